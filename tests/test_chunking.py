"""Section-aware chunking: paths, sizes, and boundaries only at sentence ends."""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document
from rag.sentences import split_sentences
from rag.ingest import load_corpus

from .conftest import CORPUS


@pytest.fixture(scope="module")
def chunks_by_doc():
    corpus = load_corpus(CORPUS)
    return corpus, {d.doc_id: chunk_document(d) for d in corpus.documents}


def _find(chunks, needle):
    return next(c for c in chunks if needle in c.text)


def test_chunk_text_is_the_source_text(chunks_by_doc):
    corpus, by_doc = chunks_by_doc
    for doc_id, chunks in by_doc.items():
        text = corpus.get(doc_id).text
        for c in chunks:
            assert c.text == text[c.start : c.end]


def test_boundaries_never_split_a_sentence_or_number(chunks_by_doc):
    corpus, by_doc = chunks_by_doc
    for doc_id, chunks in by_doc.items():
        text = corpus.get(doc_id).text
        for c in chunks:
            # a chunk ends at a sentence end or at the end of a paragraph
            assert c.text.rstrip()[-1] in "。！？!?”’)" or text[c.end : c.end + 2] in ("\n\n", ""), (c.chunk_id, c.text[-20:])
            assert c.start == 0 or text[c.start - 1] in "。！？!?”’\n", (c.chunk_id, text[c.start - 10 : c.start + 10])


def test_sentence_splitter_keeps_decimals_and_quotes():
    assert split_sentences("比重达到2.5%以上。他说:“好。”然后呢?") == ["比重达到2.5%以上。", "他说:“好。”", "然后呢?"]


def test_chunk_sizes_suit_retrieval(chunks_by_doc):
    _, by_doc = chunks_by_doc
    lengths = [len(c.text) for cs in by_doc.values() for c in cs]
    assert max(lengths) <= 420 and sum(lengths) / len(lengths) < 300


@pytest.mark.parametrize(
    "doc_id, needle, path",
    [
        ("guideline-2022", "新一代信息技术、高端装备、现代消费与健康", ("二、培育先进制造业集群", "(一)打造4个世界级先进产业群")),
        ("guideline-2022", "2.5%以上", ("一、总体要求", "(二)主要目标")),
        ("guideline-2022", "2170亿元", ("八、促进制造业区域协调发展", "(四)加快山区26县生态工业发展")),
        ("opinions-2020", "不低于30%", ("七、优化制造业发展环境", "27.加强工业用地保障")),
        ("opinions-2020", "劳动生产率达到35万元/人以上", ("一、坚定不移建设全球先进制造业基地", "2.发展目标")),
        ("speech-2024", "2.94万亿元", ("一、肯定成绩、找准差距,进一步增强制造业高质量发展的信心决心", "实体制造挑起大梁")),
        ("speech-2024", "两图六清单", ("二、深学细悟、锚定目标,进一步推动全球先进制造业基地建设迈上新台阶", "集群培育要再上新台阶", "要优化“链长+链主”机制")),
        ("commentary-2020", "114家“无人车间”", ("在制造业变革中寻求新路径、构建新优势", "(四)抓住“新应用”的市场机会")),
        ("commentary-2020", "首批68家", ("建设先进制造业基地须彰显市场主体力量", "(二)推动企业做强做精,努力打造“百年企业”")),
        ("news-2023", "4+1”专项基金群", ("系统工程的推进",)),
    ],
)
def test_section_paths_of_known_passages(chunks_by_doc, doc_id, needle, path):
    _, by_doc = chunks_by_doc
    assert _find(by_doc[doc_id], needle).section == path


def test_a_target_sentence_becomes_one_statement_per_target_with_its_lead_in():
    from rag.sentences import statements

    text = (
        "(二)主要目标。到2025年,全球先进制造业基地建设取得重大进展,制造业增加值占全省生产总值比重稳定在1/3左右,"
        "规上制造业全员劳动生产率达到35万元/人以上;规上工业企业研发经费占营业收入比重达到2.5%以上;"
        "数字经济核心产业增加值占生产总值比重力争达到15%。"
    )
    out = statements(text, headings=("(二)主要目标",))
    assert "(二)主要目标。" not in out  # a heading is not a statement
    assert "到2025年,……规上工业企业研发经费占营业收入比重达到2.5%以上;" in out
    assert all(s.startswith("到2025年,") for s in out)


def test_a_long_clause_is_cut_at_commas_into_phrases_of_some_length():
    from rag.sentences import statements

    sentence = (
        "要在长三角一体化的大趋势之中,创新产业平台的管理体制和运行机制,努力探索市场化的产业平台定价机制,"
        "并参照张江高科、苏州工业园等平台的做法,实现在资本市场中的融资创新与发展,优化产业平台的各种功能,"
        "为制造业高质量发展提供最佳的产业空间、制度空间。"
    )
    out = statements(sentence)
    assert len(out) >= 2 and all(len(s.split("……")[-1]) >= 25 for s in out)
    assert "".join(s.split("……")[-1] for s in out) == sentence  # nothing lost, nothing repeated
    assert out[1].startswith("要在长三角一体化的大趋势之中,……")  # a later phrase keeps the lead-in


def test_a_prepositional_phrase_with_a_figure_stays_with_the_clause_it_leads_into():
    from rag.sentences import statements

    sentence = (
        "20年间,浙江聚焦工业经济、数字经济、民营经济三条主跑道,努力推动制造业高端化、智能化、绿色化、融合化、集群化发展,"
        "先进制造业基地建设不断开创新局面,块状特色产业完成脱胎换骨的蜕变:以1.5%的国土面积,创造了全国7.2%的工业增加值和6.4%的GDP。"
    )
    out = statements(sentence)
    assert any("以1.5%的国土面积,创造了全国7.2%的工业增加值" in s for s in out)
    assert "".join(s.split("……")[-1] for s in out) == sentence.removeprefix("20年间,")  # each keeps the lead-in
    # a figure that is a target of its own still ends its phrase
    targets = "到2025年," + "规上工业企业研发经费占营业收入比重达到2.5%以上,高新技术企业达到3.5万家," * 3 + "科技型中小企业达到10万家。"
    assert len(statements(targets)) >= 4


def test_unnumbered_heading_lines_open_their_passage_but_are_not_statements(chunks_by_doc):
    from rag.sentences import units

    _, by_doc = chunks_by_doc
    chunk = _find(by_doc["commentary-2020"], "疫情后,国家将重点推进新型基础设施建设工程")
    assert chunk.text.startswith("(一)抓住“新基建”的政策机会\n\n")  # shown as the document has it
    assert not any("抓住“新基建”" in u for u in units(chunk.text, chunk.section))


def test_a_passage_that_announces_a_list_carries_the_list(chunks_by_doc):
    _, by_doc = chunks_by_doc
    intro = _find(by_doc["speech-2024"], "要重点抓好六方面工作")
    assert intro.outline == (
        "集群培育要再上新台阶",
        "数实融合要抢占新赛道",
        "品质品牌要实现新跃升",
        "专精特新要培育新力量",
        "绿色低碳要取得新成效",
        "企业治理要提升新能力",
    )
    preamble = by_doc["guideline-2022"][0]
    assert len(preamble.outline) == 10 and preamble.outline[0] == "一、总体要求"
    assert not _find(by_doc["guideline-2022"], "2170亿元").outline


def test_a_figure_ends_its_phrase_so_each_target_stays_a_statement(chunks_by_doc):
    from rag.sentences import statements

    _, by_doc = chunks_by_doc
    chunk = _find(by_doc["opinions-2020"], "研发经费占营业收入比重达到2.5%以上")
    out = statements(chunk.text, headings=chunk.section)
    assert "到2025年,……研发经费占营业收入比重达到2.5%以上," in out
    assert any(s.endswith("劳动生产率达到35万元/人以上,") for s in out)


def test_a_run_in_heading_opens_a_section_and_stays_its_paragraphs_first_statement():
    """"加强生态文明建设。坚持…": the sentence heads a section of its own and says what the
    sentences after it are about, so it is quoted with them."""
    from rag.sentences import statements
    from rag.cleaning import clean_document

    topics = ["放大经济政策实施效应", "打造一流营商环境", "推动人工智能创新发展", "优化提升传统产业", "加强生态文明建设"]
    body = "坚持双碳引领,严格落实碳排放双控制度,加快构建碳排放数智治理体系。"
    raw = "三、重点工作\n\n" + "\n\n".join(f"{t}。{body}" for t in topics)
    doc = clean_document(raw, {"id": "r", "title": "R", "kind": "report"})
    chunks = chunk_document(doc, target=60, limit=200)
    last = next(c for c in chunks if "加强生态文明建设" in c.text)
    assert last.section == ("三、重点工作", "加强生态文明建设")
    assert statements(last.text, headings=last.section)[0] == "加强生态文明建设。"
    # ... and is embedded once, as the heading its units are prefixed with
    from rag.index import IndexedChunk

    text = last.text + "推广绿色低碳生活方式,健全绿色消费激励机制,推进资源节约集约利用,开展水预算管理试点。"
    indexed = IndexedChunk("r#9", "r", "R", "", "", "report", last.section, text, 0, len(text))
    assert indexed.units and all(u.count("加强生态文明建设") == 1 for u in indexed.units)


def test_an_outline_keeps_to_the_kind_of_number_it_announces():
    """"十方面民生实事：1.…2.…" then "(十)…": the next part of the text is no item of the list."""
    from rag.cleaning import clean_document

    body = "为群众办好实事，确保各项任务落到实处，让群众有更多获得感。"
    raw = (
        "三、重点工作\n\n今年要继续认真办好十方面民生实事，坚决做到言必信、行必果。\n\n"
        f"1.医疗卫生方面。{body}\n\n2.养老帮困方面。{body}\n\n(十)着力加强政府自身建设。{body}"
    )
    doc = clean_document(raw, {"id": "r", "title": "R", "kind": "report"})
    chunks = chunk_document(doc, target=40, limit=200)
    intro = next(c for c in chunks if "十方面民生实事" in c.text)
    assert intro.outline == ("1.医疗卫生方面", "2.养老帮困方面")


def test_dashed_items_after_an_announcing_passage_are_its_list():
    """"做到“三个更加注重”：——更加注重…。" — the items are the dashed paragraphs' first sentences; the
    last of them, before the section's subsections, does not announce those subsections."""
    from rag.cleaning import clean_document

    body = "坚持问题导向、目标导向、效果导向相统一，推动各项工作落实到位。"
    raw = (
        "二、主要目标任务\n\n实现上述目标，在工作推进中做到“三个更加注重”：\n\n"
        f"——更加注重强化战略引领，突出战略导向。{body}\n\n——更加注重秉持长期主义，推动可持续发展。{body}\n\n"
        f"——更加注重抓具体抓深入，以实干实绩求实效。{body}\n\n(一)聚焦建设创新浙江。{body}\n\n(二)聚焦畅通经济循环。{body}"
    )
    doc = clean_document(raw, {"id": "r", "title": "R", "kind": "report"})
    chunks = chunk_document(doc, target=40, limit=200)
    intro = next(c for c in chunks if "三个更加注重" in c.text)
    # (the cleaned text's commas are half-width)
    assert intro.outline == ("更加注重强化战略引领,突出战略导向", "更加注重秉持长期主义,推动可持续发展", "更加注重抓具体抓深入,以实干实绩求实效")
    last_item = next(c for c in chunks if "抓具体抓深入" in c.text)
    assert last_item.outline == ()
