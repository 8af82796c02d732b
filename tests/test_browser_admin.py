"""The administrator's tab in a real browser: an administrator uploads a PDF made here, waits for it to be
indexed, and an official (another browser, without the token, who never sees the tab) gets an answer
from it citing its page. Against `python app.py` on a temporary library and index (never corpus/ or
index/), with the bundled model."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_browser import CHROMIUM, FLAGS, _ask, running_app
from .test_readers import FONT

pytestmark = [pytest.mark.browser, pytest.mark.skipif(FONT is None, reason="no TrueType CJK font: apt-get install fonts-wqy-microhei")]

TOKEN = "browser-test-admin-token-1234"
# The library the server starts with: one short text, so the cold build takes seconds.
START = "测试省关于工业用地的通知\n一、用地保障\n工业用地出让比例不低于30%。\n二、审批\n工业项目审批时限压缩到20个工作日。\n"
PAGE_1 = [("测试市推进智能制造实施方案", 18), ("各区县人民政府，市政府各部门：", 11), ("为加快推进智能制造，现提出如下方案。", 11),
          ("一、总体要求", 15), ("坚持市场主导、政府引导，推动制造业数字化转型。", 11)]
PAGE_2 = [("二、主要目标", 15), ("到2027年，测试市新建智能工厂120家，培育智能制造系统解决方案供应商35家。", 11),
          ("三、保障措施", 15), ("市财政每年安排专项资金支持智能工厂建设。", 11), ("测试市人民政府", 11), ("2026年3月1日", 11)]


def _pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=FONT)
    for lines in (PAGE_1, PAGE_2):
        pdf.add_page()
        for text, size in lines:
            pdf.set_font("cjk", size=size)
            pdf.multi_cell(0, 7, text=text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def admin_url(tmp_path_factory):
    """`python app.py` with RAG_ADMIN_TOKEN, on a temporary one-document library and index."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does so as root)")
    root = tmp_path_factory.mktemp("admin-app")
    (root / "corpus").mkdir()
    (root / "corpus" / "land.txt").write_text(START, encoding="utf-8")
    env = {"RAG_CORPUS_DIR": str(root / "corpus"), "RAG_INDEX_DIR": str(root / "index"), "RAG_ADMIN_TOKEN": TOKEN}
    with running_app(env, root / "app.log", timeout=240) as url:
        yield url, root


def _context(pw, folder: Path):
    return pw.chromium.launch_persistent_context(
        str(folder), executable_path=CHROMIUM, headless=True, args=FLAGS, viewport={"width": 1360, "height": 900}, locale="zh-CN",
    )


def test_an_administrator_uploads_a_pdf_and_an_official_is_answered_from_its_page(admin_url, tmp_path):
    """Then the administrator corrects its record and removes it, and the official is no longer answered from it."""
    sync_api = pytest.importorskip("playwright.sync_api")
    url, root = admin_url
    pdf = _pdf(tmp_path / "智能制造实施方案.pdf")
    with sync_api.sync_playwright() as pw:
        # The official first: no tab, and the question is not answered from a document that is not there yet.
        official = _context(pw, tmp_path / "official")
        page = official.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_selector("textarea[data-testid=textbox]", timeout=60_000)
        page.wait_for_timeout(1500)  # the page-load events (the one that would show the tab) have run
        assert page.get_by_role("tab", name="管理文件库").count() == 0
        assert page.get_by_text("上传并更新索引").count() == 0  # not rendered at all, not merely disabled
        refused = page.request.post(url + "gradio_api/upload", multipart={"files": {"name": "a.txt", "mimeType": "text/plain", "buffer": b"x"}})
        assert refused.status == 403

        # The administrator logs in, uploads the PDF and waits until it is indexed.
        admin = _context(pw, tmp_path / "admin")
        apage = admin.new_page()
        apage.goto(url + "admin", wait_until="load")
        apage.fill("#token", TOKEN)
        apage.click("button[type=submit]")
        apage.wait_for_selector("textarea[data-testid=textbox]", timeout=60_000)
        apage.get_by_role("tab", name="管理文件库").click(timeout=30_000)
        apage.locator("#admin-upload input[type=file]").set_input_files(str(pdf))
        apage.wait_for_function(
            "() => document.querySelector('#admin-upload') && document.querySelector('#admin-upload').innerText.includes('智能制造实施方案')",
            timeout=60_000,
        )
        apage.click("#admin-upload-button")
        apage.wait_for_function(
            "() => (document.querySelector('#admin-status') || {innerText: ''}).innerText.includes('已收录 1')", timeout=180_000,
        )
        status = apage.locator("#admin-status").inner_text()
        assert "智能制造实施方案.pdf" in status and "未收录 0" in status, status
        # The list follows the status: the title read from the PDF, with its pages and passages.
        apage.wait_for_function(
            "() => document.querySelector('#admin-documents').innerText.includes('测试市推进智能制造实施方案')", timeout=30_000,
        )
        assert (root / "corpus" / "智能制造实施方案.pdf").exists()

        # The official, on the page opened before the upload (no restart, no reload), is answered from page 2.
        _ask(page, "测试市到2027年要新建多少家智能工厂？")
        answer = page.locator("[data-testid=bot]").last.inner_text()
        assert "120家" in answer, answer
        sources = page.locator("#sources").inner_text()
        assert "测试市推进智能制造实施方案" in sources and "第2页" in sources, sources
        assert page.get_by_role("tab", name="管理文件库").count() == 0

        # The administrator corrects the record (into the manifest), then removes the document.
        apage.get_by_text("更正元数据", exact=True).click()
        apage.click("#admin-doc input")
        apage.get_by_role("option", name="智能制造实施方案").click()
        apage.wait_for_function(
            "() => [...document.querySelectorAll('textarea, input')].some(e => e.value === '测试市推进智能制造实施方案')", timeout=30_000,
        )
        apage.get_by_label("发文机关").fill("测试市人民政府办公室")
        apage.click("#admin-save")
        apage.wait_for_function("() => document.body.innerText.includes('已保存')", timeout=120_000)
        apage.wait_for_function("() => document.querySelector('#admin-documents').innerText.includes('测试市人民政府办公室')", timeout=30_000)
        assert 'issuer = "测试市人民政府办公室"' in (root / "corpus" / "manifest.toml").read_text(encoding="utf-8")
        apage.get_by_text("删除文件", exact=True).click()
        apage.click("#admin-remove-doc input")
        apage.get_by_role("option", name="智能制造实施方案").click()
        apage.get_by_label("确认删除（文件和它的清单条目都会删除）").check()
        apage.click("#admin-remove")
        apage.wait_for_function("() => document.body.innerText.includes('已删除')", timeout=120_000)
        apage.wait_for_function("() => !document.querySelector('#admin-documents').innerText.includes('测试市推进智能制造实施方案')", timeout=30_000)
        assert not (root / "corpus" / "智能制造实施方案.pdf").exists()
        _ask(page, "测试市到2027年要新建多少家智能工厂？")
        assert "120家" not in page.locator("[data-testid=bot]").last.inner_text()
        # Logging out ends the session: the page comes back without the tab.
        apage.get_by_role("tab", name="管理文件库").click()
        apage.get_by_role("button", name="退出管理").click()
        apage.wait_for_selector("textarea[data-testid=textbox]", timeout=60_000)
        apage.wait_for_timeout(1500)
        assert apage.get_by_role("tab", name="管理文件库").count() == 0
        official.close()
        admin.close()
