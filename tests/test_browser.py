"""The web chat in a real browser: Debian Chromium driven by Playwright, against `python app.py`.

The app runs as a subprocess on a free port, answering from the session's real
index. Screenshots go to the test's temporary folder; set SCREENSHOT_TO=<path>
to keep the answer's screenshot (the README's docs/screenshot.png is made so).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
QUESTION = "到2025年规上工业企业研发经费占营业收入比重要达到多少？"
GUIDELINE = "浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(env: dict[str, str], log: Path, timeout: float = 180):
    """`python app.py` on a free loopback port with ``env`` added, its output in ``log``: yields its
    URL once it has printed its address (after the index is loaded) and the API answers; stopped after."""
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "NO_PROXY": "localhost,127.0.0.1", **env}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode}:\n{log.read_text(encoding='utf-8')}")
        if url in log.read_text(encoding="utf-8"):
            try:
                with urllib.request.urlopen(url + "gradio_api/info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"app.py did not start within {timeout:.0f} s:\n{log.read_text(encoding='utf-8')}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def app_url(real_settings, tmp_path_factory):
    """`python app.py` on a free loopback port, with the session's index; stopped after the module."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does so as root)")
    env = {"RAG_INDEX_DIR": str(real_settings.index_dir), "RAG_CORPUS_DIR": str(real_settings.corpus_dir)}
    with running_app(env, tmp_path_factory.mktemp("app") / "app.log") as url:
        yield url


@pytest.fixture
def page(app_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user-data-dir for every test
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1360, "height": 900},
            locale="zh-CN",
        )
        pg = context.new_page()
        pg.outside_requests = []  # anything the page asks of a host other than the app
        pg.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else pg.outside_requests.append(r.url))
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.csp_violations = []  # anything the server's Content-Security-Policy blocked
        pg.on("console", lambda m: pg.csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
        pg.response = pg.goto(app_url, wait_until="load")  # never networkidle: the queue keeps a connection open
        pg.wait_for_selector("textarea[data-testid=textbox]", timeout=60_000)
        yield pg
        context.close()


def _ask(pg, question: str) -> None:
    """Type a question, submit it, and wait until its answer is complete."""
    before = pg.locator("[data-testid=user]").count()
    box = pg.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    # finished: a new question is shown, its answer is no longer the placeholder, the
    # textbox is enabled again and no status tracker is running
    pg.wait_for_function(
        """(before) => {
            const box = document.querySelector('#question textarea');
            const busy = [...document.querySelectorAll('[data-testid=status-tracker]')].some(e => !e.classList.contains('hide'));
            const users = document.querySelectorAll('[data-testid=user]').length;
            const bot = document.querySelectorAll('[data-testid=bot]');
            return users > before && bot.length >= users && box && !box.disabled && !busy
                && !bot[bot.length - 1].innerText.includes('正在查找');
        }""",
        arg=before,
        timeout=60_000,
    )


def test_page_offers_examples_and_document_filter(page):
    body = page.locator("body")
    assert "政策问答助手" in body.inner_text()
    examples = page.locator("#chat button").all_inner_texts()
    assert any("世界级先进产业群" in e for e in examples), examples
    page.get_by_text("筛选文件").click()
    # the accordion opens, and the list is refreshed from the index when the page loads: wait for it
    page.locator("#documents label", has_text=GUIDELINE).wait_for(timeout=30_000)
    labels = page.locator("#documents label").all_inner_texts()
    assert any(GUIDELINE in label for label in labels) and len(labels) >= 5
    assert page.outside_requests == []  # fonts, scripts and analytics all come from the app


def test_page_works_behind_the_security_headers(page, app_url):
    headers = page.response.headers
    assert "default-src 'self'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"
    _ask(page, QUESTION)  # the chat's scripts, styles and queue connection all run under the policy
    assert "[1]" in page.locator("[data-testid=bot]").last.inner_text()
    page.locator("#sources article.src-card").first.wait_for()
    assert page.csp_violations == [] and page.outside_requests == []
    # the API's documentation renders from the app's own files
    page.goto(app_url + "api/docs", wait_until="load")
    page.locator(".swagger-ui .info .title").wait_for(timeout=30_000)
    assert "/api/ask" in page.locator(".swagger-ui").inner_text()
    assert page.csp_violations == [] and page.outside_requests == []


def test_question_gets_an_answer_with_sources_and_markers_lead_to_them(page, tmp_path):
    _ask(page, QUESTION)
    answer = page.locator("[data-testid=bot]").last
    assert "2.5%以上" in answer.inner_text()
    assert "[1]" in answer.inner_text()
    card = page.locator("#sources article.src-card").first
    card.wait_for()
    assert GUIDELINE in card.inner_text() and "2022-08-30" in card.inner_text()
    assert page.locator("#sources mark").count() > 0  # the question's words are highlighted
    keep = os.environ.get("SCREENSHOT_TO")
    if keep:  # the README's picture: the answer beside its sources, before anything is clicked
        page.screenshot(path=keep, full_page=False)

    # [1] in the answer leads to source card 1 ...
    first_card = page.locator("#sources article.src-card[id$='-1']").first
    answer.locator("a.cite").first.click()
    page.wait_for_function("() => { const c = document.querySelector('#sources article.src-card'); const r = c.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }")
    assert first_card.is_visible()
    # ... and the card opens the whole document at the cited place
    first_card.locator("details.doc-view > summary").click()
    cited = first_card.locator("mark.cited").first
    cited.wait_for(state="visible")
    assert "2.5%" in first_card.locator(".doc-text").inner_text()
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=False)
    assert (tmp_path / "answer.png").stat().st_size > 10_000
    assert page.dialogs == [] and page.outside_requests == []


def test_markup_in_a_question_shows_as_text_and_runs_nothing(page):
    page.evaluate("() => { window.__xss = 0; }")
    payload = "<img src=x onerror=alert(1)>"
    _ask(page, payload)
    user = page.locator("[data-testid=user]").last
    assert payload in user.inner_text()  # shown literally, as typed
    assert page.locator("[data-testid=user] img").count() == 0
    reply = page.locator("[data-testid=bot]").last.inner_text()
    assert "HTML" in reply  # the assistant says what to do instead

    mixed = "<script>window.__xss=1</script><b onmouseover=alert(2)>山区26县</b>规上工业增加值目标"
    _ask(page, mixed)
    assert mixed in page.locator("[data-testid=user]").last.inner_text()
    assert "2170亿元" in page.locator("[data-testid=bot]").last.inner_text()
    page.locator("[data-testid=user]").last.hover()
    assert page.evaluate("() => window.__xss") == 0
    assert page.dialogs == []


def test_empty_and_out_of_scope_questions_get_messages(page):
    _ask(page, "明天杭州会下雨吗？")
    assert "没有找到" in page.locator("[data-testid=bot]").last.inner_text()
    _ask(page, "研" * 3000)
    assert "问题太长" in page.locator("[data-testid=bot]").last.inner_text()


def test_a_filter_that_excludes_the_answer_says_so_and_new_chat_resets_it(page):
    page.get_by_text("筛选文件").click()
    policy_only = page.locator("#policy-only input[type=checkbox]")
    policy_only.check()
    _ask(page, "2023年全省工业增加值是多少？")  # only the 2024 speech (not a policy document) gives it
    reply = page.locator("[data-testid=bot]").last.inner_text()
    assert "筛选条件排除" in reply and "2.94万亿元" not in reply
    page.locator("#new-chat").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=user]').length === 0")
    page.wait_for_function("() => !document.querySelector('#policy-only input[type=checkbox]').checked")
    assert not policy_only.is_checked()


def test_the_chats_own_buttons_are_labelled_in_chinese(page):
    _ask(page, QUESTION)
    page.locator("[data-testid=bot]").last.hover()
    english = {"Copy", "Copied", "Copy message", "Copy conversation", "Clear", "Delete", "Retry", "Undo", "Edit", "Submit", "Stop", "Share"}
    page.wait_for_function(
        """(english) => [...document.querySelectorAll('button[title], button[aria-label]')]
            .every(b => !english.includes(b.getAttribute('title')) && !english.includes(b.getAttribute('aria-label')))""",
        arg=sorted(english),
        timeout=10_000,
    )
    labels = page.evaluate("() => [...document.querySelectorAll('#chat button[title], #chat button[aria-label]')].map(b => b.getAttribute('title') || b.getAttribute('aria-label'))")
    assert labels and not english & set(labels)
    # the 新对话 button stays a button beside the open filter panel, not a tall block
    page.get_by_text("筛选文件").click()
    page.locator("#documents label").first.wait_for(timeout=30_000)
    assert page.locator("#new-chat").bounding_box()["height"] <= 60


def test_phone_width_shows_the_question_box_without_empty_space(app_url, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium missing")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
        )
        pg = context.new_page()
        pg.goto(app_url, wait_until="load")
        pg.wait_for_selector("textarea[data-testid=textbox]", timeout=60_000)
        chat = pg.locator("#chat").bounding_box()
        box = pg.locator("#question textarea").bounding_box()
        pg.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
        context.close()
    assert chat["height"] <= 0.75 * 844  # no fixed 560 px block filling the screen
    assert box["y"] + box["height"] <= 844  # the question box is on the first screen
    assert (tmp_path / "phone.png").stat().st_size > 5_000
