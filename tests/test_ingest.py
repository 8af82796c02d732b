"""Cleaning: every defect listed in corpus/SOURCES.md is undone."""

from __future__ import annotations

import re
import warnings

import pytest

from rag.errors import CorpusError
from rag.ingest import CorpusWarning, clean_document, decode_bytes, load_corpus, normalise

from .conftest import CORPUS


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def test_private_use_decimal_points_become_numbers(corpus):
    text = corpus.get("guideline-2022").text
    for number in ["2.5%以上", "3.5万家", "综合容积率达到1.5以上", "2.0版建设", "0.52吨标准煤", "区域能评2.0版"]:
        assert number in text, number
    assert "\ue010" not in text
    # Read without the private-use character these would be 25%, 35万家 ...
    assert "25%" not in text and "35万家" not in text


def test_full_width_forms_and_stray_spaces(corpus):
    text = corpus.get("guideline-2022").text
    assert "到2025年" in text and "1/3左右" in text and "35万元/人以上" in text
    assert "“链长+链主”协同机制" in text
    assert not re.search(r"[０-９％／＋]", text)
    assert not re.search(r"\d \d|\d \.|\. \d", text)


def test_pdf_hard_wraps_are_joined_but_paragraphs_kept(corpus):
    doc = corpus.get("commentary-2020")
    # "建设先进制\n\n造业基地" in the PDF text is one word again
    assert "把制造业作为富民强省之本" in doc.text
    assert "建设先进制造业基地,是推动浙江经济更快更好发展" in doc.text
    heads = [p.text for p in doc.paragraphs]
    assert "将制造业高质量发展作为立国之本、强国之基" in heads
    assert "建设先进制造业基地须彰显市场主体力量" in heads  # an unnumbered heading, not glued to the text above


def test_signature_block_is_metadata_not_text(corpus):
    doc = corpus.get("guideline-2022")
    assert "抄送" not in doc.text and "此件公开发布" not in doc.text
    assert "抄送" in doc.metadata["signature"] and "2022年8月30日" in doc.metadata["signature"]
    assert doc.paragraphs[-1].text.startswith("(六)提升制造业治理能力")


def test_web_page_furniture_asides_markup_and_faq_removed(corpus):
    doc = corpus.get("speech-2024")
    for junk in ["文章内容", "思维导图", "社交分享", "规范表述", "callback", "**", "问题1", "五千亿级产业集群,“X”"]:
        assert junk not in doc.text, junk
    assert "15个五千亿级" not in doc.text  # the machine FAQ's wrong reading of 415X
    assert "问题1" in doc.metadata["machine_faq"]
    assert "首台(套)" in doc.text  # a real parenthesis stays
    assert "4个万亿产业集群和4个五千亿级产业集群" in doc.text


def test_markdown_news_title_date_and_url_are_metadata(corpus):
    doc = corpus.get("news-2023")
    assert not doc.text.startswith("#") and "https://" not in doc.text
    assert "2023-10-24" in doc.metadata["source_lines"]


def test_normalise_is_shared_by_queries():
    assert normalise("２\ue010 ５％") == "2.5%"
    assert normalise("ＡＩ 芯片 ２０２５ 年") == "AI芯片2025年"
    assert normalise("2023-10-24 22:25") == "2023-10-24 22:25"


def test_gb18030_fallback_and_undecodable_named():
    assert decode_bytes("制造业".encode("gb18030"), "old.txt") == "制造业"
    assert decode_bytes("\ufeff制造业".encode("utf-8"), "bom.txt") == "制造业"
    with pytest.raises(CorpusError, match="broken.txt"):
        decode_bytes(b"\x81\x30\xff\xff\xfe", "broken.txt")
    with pytest.raises(CorpusError, match="binary"):
        decode_bytes(b"\x00\x01PK", "x.txt")


def test_new_document_picked_up_and_strays_warned(corpus_copy):
    (corpus_copy / "new.txt").write_text("一、总则\n\n1.目的。为了测试新增文件。\n", encoding="gb18030")
    with open(corpus_copy / "manifest.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[document]]\nid = "new"\nfile = "new.txt"\ntitle = "新文件"\nkind = "policy"\ndate = "2026-01-01"\n')
    (corpus_copy / "stray.txt").write_text("没有登记的文件", encoding="utf-8")
    (corpus_copy / "bad.txt").write_bytes(b"\xff\xfe\xfa\x81\x30")
    with open(corpus_copy / "manifest.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[[document]]\nid = "bad"\nfile = "bad.txt"\ntitle = "坏文件"\nkind = "news"\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        corpus = load_corpus(corpus_copy)
    messages = " | ".join(str(w.message) for w in caught)
    assert "stray.txt has no entry" in messages
    assert "bad.txt" in messages and "UTF-8" in messages
    assert [d.doc_id for d in corpus.documents][-2:] == ["new", "stray"]
    assert "为了测试新增文件" in corpus.get("new").text
    # A file without an entry is indexed with what was read from it (the manifest is optional).
    assert corpus.get("stray").text == "没有登记的文件"
    assert len(corpus.documents) == 7


def test_empty_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "manifest.toml").write_text("", encoding="utf-8")
    with pytest.raises(CorpusError, match="No readable documents"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nowhere")
    (tmp_path / "manifest.toml").write_text('[[document]]\nid = "x"\nfile = "x.txt"\ntitle = "X"\nkind = "blog"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="kind 'blog'"):
        load_corpus(tmp_path)


def test_clean_document_keeps_bold_leads_as_headings():
    raw = "一、总体\n\n**实体制造挑起大梁。**2023年,工业增加值达到2.94万亿元。**要优化机制。**完善体系。\n"
    doc = clean_document(raw, {"id": "t", "title": "T", "kind": "speech", "profile": "web"})
    leads = [(p.lead, p.sublead) for p in doc.paragraphs]
    assert leads == [(None, False), ("实体制造挑起大梁", False), ("要优化机制", True)]
    assert "**" not in doc.text


def test_a_document_written_with_run_in_headings_gets_them_without_bold():
    """A work report's paragraphs open with a short sentence of their own ("推动人工智能创新发展。…"):
    enough of them make the document's style, and each opens a section; a numbered heading stays one."""
    topics = ["放大经济政策实施效应", "打造一流营商环境", "推动人工智能创新发展", "优化提升传统产业", "突出抓好产业投资"]
    body = "全力争取和用足用好各类政策资金,支持经济高质量发展,提高政策执行效率和效果。"
    raw = "三、重点工作\n\n" + "\n\n".join(f"{t}。{body}" for t in topics) + f"\n\n(一)着力提振市场信心。{body}\n"
    doc = clean_document(raw, {"id": "r", "title": "R", "kind": "report"})
    assert [p.lead for p in doc.paragraphs if p.lead] == topics
    assert doc.paragraphs[-1].lead is None  # "(一)…" is a numbered heading, not a run-in one
    # Four such paragraphs are a way of writing, not a style: no leads without bold.
    few = clean_document("\n\n".join(f"{t}。{body}" for t in topics[:4]), {"id": "f", "title": "F", "kind": "report"})
    assert not any(p.lead for p in few.paragraphs)
