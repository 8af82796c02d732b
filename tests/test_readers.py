"""Readers: PDF, Word, web pages, OFD and old .doc files made in the tests, read into passages with
their text, section paths, pages and record."""

from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import pytest

from rag.chunking import chunk_document
from rag.errors import CorpusError
from rag.ingest import CorpusWarning, load_corpus
from rag.paged import page_problem
from rag.readers import read_file, table_rows

# TrueType CJK fonts (Debian fonts-wqy-microhei / fonts-wqy-zenhei). Not Noto CJK: fpdf2 embeds
# its CFF outlines without a usable Unicode map, and such a PDF is (rightly) read as garbled.
FONTS = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
FONT = next((f for f in FONTS if Path(f).exists()), None)
needs_font = pytest.mark.skipif(FONT is None, reason="no TrueType CJK font: apt-get install fonts-wqy-microhei")


def _load(folder: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        corpus = load_corpus(folder)
    return corpus, [str(w.message) for w in caught]


def _pdf(path: Path, pages: list[list[tuple[str, int]]], title: str = "") -> Path:
    """A PDF with Chinese text: each page a list of (text, font size); an empty page has no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=FONT)
    if title:
        pdf.set_title(title)
    for lines in pages:
        pdf.add_page()
        for text, size in lines:
            pdf.set_font("cjk", size=size)
            pdf.multi_cell(0, 7, text=text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


GOAL = ("（一）主要目标。到2025年，规上工业企业研发经费占营业收入比重达到2.5%以上，制造业增加值占全省生产总值比重稳定在"
        "1/3左右，数字经济核心产业增加值占生产总值比重力争达到15%。")


@needs_font
def test_pdf_text_headings_pages_and_a_scanned_page_reported(tmp_path):
    _pdf(
        tmp_path / "guide.pdf",
        [
            [("测试省制造业指导意见", 18), ("各市、县人民政府，省政府直属各单位：", 11), ("为加快建设制造强省，现提出如下意见。", 11),
             ("一、总体要求", 15), (GOAL, 11)],
            [("二、重点任务", 15), ("（一）打造世界级先进产业群。培育新一代信息技术、高端装备四大产业群。", 11)],
            [],  # no text layer: a scanned page, and no OCR extra here
        ],
        title="测试省制造业指导意见",
    )
    corpus, messages = _load(tmp_path)
    doc = corpus.get("guide")
    assert (doc.title, doc.kind) == ("测试省制造业指导意见", "policy")
    assert doc.info.addressees == "各市、县人民政府,省政府直属各单位"
    # Hard-wrapped lines are joined: the target sentence is whole, with its number intact.
    assert "规上工业企业研发经费占营业收入比重达到2.5%以上,制造业增加值占全省生产总值比重稳定在1/3左右" in doc.text
    chunks = {c.section: c for c in chunk_document(doc)}
    assert chunks[("一、总体要求", "(一)主要目标")].page == 1
    assert chunks[("二、重点任务", "(一)打造世界级先进产业群")].page == 2
    assert any("guide.pdf" in m and "第3页" in m and "no text layer" in m and "OCR" in m for m in messages), messages


@needs_font
def test_a_two_column_pdf_reads_column_by_column(tmp_path):
    from fpdf import FPDF

    left = "（一）加快建设信息网络基础设施。建设高速泛在、天地一体、云网融合、智能敏捷、绿色低碳、安全可控的智能化综合性数字信息基础设施。"
    right = "（二）推进云网协同和算网融合发展。加快构建算力、算法、数据、应用资源协同的全国一体化大数据中心体系。"
    pdf = FPDF()
    pdf.add_font("cjk", fname=FONT)
    pdf.add_page()
    pdf.set_font("cjk", size=11)
    with pdf.text_columns(ncols=2, gutter=8) as cols:
        cols.write(text="三、优化升级数字基础设施\n" + left + "\n")
        cols.new_column()
        cols.write(text=right + "\n")
    pdf.output(str(tmp_path / "columns.pdf"))
    corpus, _ = _load(tmp_path)
    doc = corpus.get("columns")
    sections = {c.section: c.text for c in chunk_document(doc)}
    # Each column's wrapped lines are one paragraph again, in reading order, under its heading.
    assert "建设高速泛在、天地一体、云网融合、智能敏捷、绿色低碳、安全可控的智能化综合性数字信息基础设施。" in (
        sections[("三、优化升级数字基础设施", "(一)加快建设信息网络基础设施")]
    )
    assert "加快构建算力、算法、数据、应用资源协同的全国一体化大数据中心体系。" in (
        sections[("三、优化升级数字基础设施", "(二)推进云网协同和算网融合发展")]
    )


@needs_font
def test_a_pdf_whose_font_has_no_unicode_map_is_reported_not_indexed(tmp_path):
    import pypdf
    from pypdf.generic import DictionaryObject, NameObject

    source = _pdf(tmp_path / "src.pdf", [[("一、总体要求", 15), (GOAL, 11)], [("二、重点任务", 15), (GOAL, 11)]])
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    for obj in writer._objects:  # what a broken font map is: no ToUnicode table
        if isinstance(obj, DictionaryObject) and "/ToUnicode" in obj:
            del obj[NameObject("/ToUnicode")]
    folder = tmp_path / "lib"
    folder.mkdir()
    with open(folder / "broken.pdf", "wb") as fh:
        writer.write(fh)
    (folder / "good.txt").write_text("一、总则\n正文。", encoding="utf-8")
    corpus, messages = _load(folder)
    assert [d.doc_id for d in corpus.documents] == ["good"]  # no garbage indexed
    report = next(m for m in messages if "broken.pdf" in m and "第1页" in m)
    assert "第2页" in report and "garbled" in report


@needs_font
def test_a_scanned_page_is_ocrd_when_the_ocr_extra_is_there(tmp_path, monkeypatch):
    """The OCR path with a stand-in engine (the real one is the optional `ocr` extra): it gets the
    page's image, and what it reads is indexed with the page number."""
    from fpdf import FPDF
    from PIL import Image

    from rag import paged

    pdf = FPDF()
    pdf.add_font("cjk", fname=FONT)
    pdf.add_page()
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 7, text="一、总体要求", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, text=GOAL, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.image(Image.new("RGB", (320, 200), "white"), x=10, y=10, w=180)  # a scanned page: an image, no text
    pdf.output(str(tmp_path / "scan.pdf"))
    seen = []

    def engine(data):
        seen.append(Image.open(__import__("io").BytesIO(data)).size)
        return [[[0, 0], "二、重点任务", 0.99], [[0, 0], "培育四大产业群,打造世界级先进制造业集群。", 0.98]], 0.1

    monkeypatch.setattr(paged, "_ocr_engine", lambda: engine)
    read = read_file(tmp_path / "scan.pdf")
    assert seen == [(320, 200)] and read.ocr_pages == (2,) and not read.problems
    corpus, _ = _load(tmp_path)
    chunk = next(c for c in chunk_document(corpus.get("scan")) if "四大产业群" in c.text)
    assert chunk.page == 2 and chunk.section == ("二、重点任务",)


def test_garbled_pages_are_decided_page_by_page():
    chinese = 0.9  # the rest of the document is Chinese
    assert page_problem("", chinese).startswith("no text layer")
    assert page_problem("(cid:12)(cid:45)(cid:77)(cid:9)(cid:3)制造", chinese).startswith("garbled")
    assert page_problem("\ue010\ue011\ue012\ue013\ufffd\ufffd业", chinese).startswith("garbled")
    assert "not Chinese" in page_problem("Ëçæ¿ø ÐÝÅÖÜ ßàáâ ãäåæ çèéê ëìíî ïðñò óôõö", chinese)
    assert page_problem("到2025年，规上工业企业研发经费占营业收入比重达到2.5%以上。", chinese) is None
    assert page_problem("Annex: list of indicators and their targets for 2025", 0.0) is None  # an English document


def _docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "测试省数字经济发展方案"
    document.add_heading("测试省数字经济发展方案", level=0)
    document.add_paragraph("各设区市人民政府，省级有关单位：")
    document.add_heading("一、发展目标", level=1)
    document.add_paragraph("到2025年，数字经济核心产业增加值占生产总值比重达到10%。")
    document.add_heading("（一）主要指标", level=2)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["指标", "2020年", "2025年"], ["数字经济核心产业增加值占GDP比重", "7.8%", "10%"], ["IPv6活跃用户数", "4.6亿", "8亿"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("测试省人民政府")
    document.add_paragraph("2022年1月12日")
    document.save(str(path))
    return path


def test_docx_heading_styles_and_table_rows_with_their_header(tmp_path):
    _docx(tmp_path / "plan.docx")
    corpus, _ = _load(tmp_path)
    doc = corpus.get("plan")
    assert doc.title == "测试省数字经济发展方案" and doc.info.signed == "2022-01-12" and doc.issuer == "测试省人民政府"
    chunks = chunk_document(doc)
    row = next(c for c in chunks if "IPv6活跃用户数" in c.text)
    assert row.section == ("一、发展目标", "(一)主要指标")
    # A table row is one unit that keeps its header.
    assert "指标:IPv6活跃用户数;2020年:4.6亿;2025年:8亿。" in row.text
    assert "指标:数字经济核心产业增加值占GDP比重;2020年:7.8%;2025年:10%。" in doc.text
    assert "2022年1月12日" not in doc.text


def test_table_rows_of_a_one_row_table_and_empty_cells():
    assert table_rows([["甲", "乙"]]) == ["甲；乙。"]
    assert table_rows([["指标", "目标"], ["研发投入", ""], ["", ""]]) == ["指标: 研发投入。"]


PAGE = """<html><head><title>测试省人民政府关于推动未来产业发展的意见</title><script>var x = "下载";</script>
<style>p {color: red}</style></head><body>
<nav><a href="/">首页</a> <a href="/zc">政策</a></nav>
<div class="toolbar"><span>下载</span><span>打印</span><span>收藏</span><span>【字号：大 中 小】</span></div>
<h1>测试省人民政府关于推动未来产业发展的意见</h1>
<div class="info">来源：测试省人民政府办公厅</div><div class="info">发布时间：2024-01-18</div>
<p>各市、县人民政府：</p>
<h2>一、总体要求</h2>
<p>到2027年，未来产业综合实力<strong>显著提升</strong>，部分领域实现全球引领。</p>
<h2>二、重点任务</h2>
<p>（一）全面布局未来产业。加强前瞻谋划部署。</p>
<table><tr><th>方向</th><th>重点</th></tr><tr><td>未来制造</td><td>智能制造、生物制造</td></tr></table>
<div class="share">分享到：</div>
<p>相关报道：</p><p><a href="/x">某新闻</a></p>
</body></html>"""


def test_html_page_furniture_headings_and_record(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    corpus, _ = _load(tmp_path)
    doc = corpus.get("page")
    assert doc.title == "测试省人民政府关于推动未来产业发展的意见"
    paragraphs = [p.text for p in doc.paragraphs]
    for junk in ["首页", "下载", "打印", "【字号:大中小】", "来源:测试省人民政府办公厅", "分享到:", "相关报道:", "某新闻", "var x"]:
        assert not any(junk in p for p in paragraphs), junk
    assert doc.info.published == "2024-01-18" and doc.info.addressees == "各市、县人民政府"
    chunks = {c.section: c for c in chunk_document(doc)}
    assert "显著提升" in chunks[("一、总体要求",)].text
    assert "方向:未来制造;重点:智能制造、生物制造。" in chunks[("二、重点任务", "(一)全面布局未来产业")].text


def _ofd(path: Path, pages: list[list[str]]) -> Path:
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("OFD.xml", f'<ofd:OFD {ns} Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        listed = "".join(f'<ofd:Page ID="{i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
        z.writestr("Doc_0/Document.xml", f"<ofd:Document {ns}><ofd:Pages>{listed}</ofd:Pages></ofd:Document>")
        for i, lines in enumerate(pages):
            objects = "".join(
                f'<ofd:TextObject ID="{i}{n}" Boundary="20 {30 + 10 * n} 170 8" Font="1" Size="4">'
                f'<ofd:TextCode X="0" Y="6">{text}</ofd:TextCode></ofd:TextObject>'
                for n, text in enumerate(lines)
            )
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", f"<ofd:Page {ns}><ofd:Content><ofd:Layer>{objects}</ofd:Layer></ofd:Content></ofd:Page>")
    return path


def test_ofd_pages_text_and_record(tmp_path):
    _ofd(
        tmp_path / "notice.ofd",
        [
            ["测试省人民政府关于印发制造业行动方案的通知", "测政发〔2024〕5号", "各市、县人民政府：", "现将《制造业行动方案》印发给你们，请认真贯彻执行。"],
            ["一、工作目标", "到2026年，规上工业增加值年均增长6%以上。", "测试省人民政府", "2024年3月1日"],
        ],
    )
    corpus, _ = _load(tmp_path)
    doc = corpus.get("notice")
    assert doc.info.doc_number == "测政发〔2024〕5号" and doc.info.signed == "2024-03-01"
    assert doc.title == "测试省人民政府关于印发制造业行动方案的通知"
    chunk = next(c for c in chunk_document(doc) if "年均增长6%以上" in c.text)
    assert chunk.section == ("一、工作目标",) and chunk.page == 2


def test_doc_without_a_converter_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with pytest.raises(CorpusError, match="antiword or LibreOffice"):
        read_file(tmp_path / "old.doc")
    (tmp_path / "good.txt").write_text("一、总则\n正文。", encoding="utf-8")
    corpus, messages = _load(tmp_path)  # the rest of the folder is still indexed
    assert [d.doc_id for d in corpus.documents] == ["good"]
    assert any("old.doc" in m and "antiword" in m for m in messages)


def test_damaged_and_mislabelled_files_are_named(tmp_path):
    (tmp_path / "fake.pdf").write_bytes(b"MZ\x90\x00 this is an exe renamed")
    with pytest.raises(CorpusError, match="fake.pdf cannot be read as PDF"):
        read_file(tmp_path / "fake.pdf")
    (tmp_path / "fake.ofd").write_bytes(b"not a zip")
    with pytest.raises(CorpusError, match="fake.ofd"):
        read_file(tmp_path / "fake.ofd")
    (tmp_path / "x.exe").write_bytes(b"MZ")
    with pytest.raises(CorpusError, match="cannot be read"):
        read_file(tmp_path / "x.exe")


@pytest.mark.slow
@needs_font
def test_a_scanned_page_is_read_by_the_real_ocr_extra(tmp_path):
    """With the `ocr` extra installed (RapidOCR, models inside its wheel), a scanned page is read."""
    pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra is not installed: pip install '.[ocr]'")
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (900, 160), "white")
    ImageDraw.Draw(image).text((30, 50), "规上工业企业研发经费占营业收入比重达到2.5%以上", fill="black", font=ImageFont.truetype(FONT, 36))
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=190)
    pdf.output(str(tmp_path / "scan.pdf"))
    read = read_file(tmp_path / "scan.pdf")
    assert read.ocr_pages == (1,) and not read.problems
    assert "研发经费占营业收入比重达到2.5%以上" in read.text


@needs_font
def test_encrypted_and_truncated_pdfs_are_refused_with_their_name(tmp_path):
    import pypdf

    source = _pdf(tmp_path / "src.pdf", [[("一、总体要求", 15), (GOAL, 11)]])
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner")
    with open(tmp_path / "locked.pdf", "wb") as fh:
        writer.write(fh)
    with pytest.raises(CorpusError, match="locked.pdf is an encrypted PDF"):
        read_file(tmp_path / "locked.pdf")
    data = source.read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    with pytest.raises(CorpusError, match="cut.pdf"):
        read_file(tmp_path / "cut.pdf")


def test_an_ofd_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    from rag import paged

    monkeypatch.setattr(paged, "MAX_UNPACKED", 10_000)  # the real limit is 200 MB; the rule is the same
    with zipfile.ZipFile(tmp_path / "bomb.ofd", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", "<OFD/>")
        z.writestr("Doc_0/filler.xml", "0" * 50_000)
    with pytest.raises(CorpusError, match="bomb.ofd unpacks to"):
        read_file(tmp_path / "bomb.ofd")


@needs_font
@pytest.mark.parametrize("outline", [True, False])
def test_pdf_outline_marks_headings_set_in_the_body_size(tmp_path, outline):
    """A heading set in the body's size is still a heading when the PDF's outline names it."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("cjk", fname=FONT)
    pdf.add_page()
    pdf.set_font("cjk", size=11)
    long_heading = "关于加快建设信息网络基础设施和推进云网协同与算网融合发展的总体考虑"  # too long for a plain heading line
    for heading, body in [(long_heading, "数字经济是继农业经济、工业经济之后的主要经济形态。"), ("主要目标", "到2025年，数字经济迈向全面扩展期。")]:
        if outline:
            pdf.start_section(heading)  # an outline (bookmark) entry
        pdf.multi_cell(0, 7, text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 7, text=body, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "outline.pdf"))
    corpus, _ = _load(tmp_path)
    sections = {c.section: c.text for c in chunk_document(corpus.get("outline"))}
    if outline:
        assert "全面扩展期" in sections[("主要目标",)] and "主要经济形态" in sections[(long_heading,)]
    else:  # without the outline the long line is text (the short one is still a heading line)
        assert "主要经济形态" in sections[()]
