"""The second library (library2/): section paths, page furniture and records of five real texts.

Slow tier: these read the real files (see library2/SOURCES.md for what each one is).
"""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document
from rag.ingest import load_corpus

from .conftest import ROOT

pytestmark = pytest.mark.slow
LIBRARY2 = ROOT / "library2"


@pytest.fixture(scope="module")
def library():
    corpus = load_corpus(LIBRARY2)
    return corpus, {d.doc_id: chunk_document(d) for d in corpus.documents}


def _section(library, doc_id: str, needle: str) -> tuple[str, ...]:
    _, chunks = library
    found = [c.section for c in chunks[doc_id] if needle in c.text]
    assert found, needle
    return found[0]


def test_ids_and_every_passage_is_its_source_text(library):
    corpus, chunks = library
    assert [d.doc_id for d in corpus.documents] == [
        "digital-economy-regulation-2020", "work-report-2026", "miit-future-industries-2024",
        "digital-economy-plan-2021", "satellite-rules-2025",
    ]
    assert not corpus.warnings
    for doc in corpus.documents:
        for c in chunks[doc.doc_id]:
            assert c.text == doc.text[c.start : c.end]


def test_regulation_chapters_articles_and_items(library):
    doc = "digital-economy-regulation-2020"
    assert _section(library, doc, "第一条为了促进数字经济发展") == ("第一章 总则", "第一条")
    assert _section(library, doc, "本条例所称数字经济") == ("第一章 总则", "第二条")
    assert _section(library, doc, "(一)篡改、伪造") == ("第八章 法律责任", "第六十一条")
    assert _section(library, doc, "本条例自2021年3月1日起施行") == ("第九章 附则", "第六十二条")
    _, chunks = library
    # The (一)… conditions of 第五十八条 and 第六十一条 are never headings.
    assert not [c.section for c in chunks[doc] if any(s.startswith("(") for s in c.section)]
    chapters = {c.section[0] for c in chunks[doc]}
    assert len(chapters) == 9 and len({c.section[1] for c in chunks[doc]}) == 62
    text = library[0].get(doc).text
    assert "INFO" not in text and "会议通过" not in text and not text.startswith("#")


def test_work_report_parts_subsections_and_livelihood_items(library):
    doc = "work-report-2026"
    assert _section(library, doc, "提升科技创新质效") == ("一、2025年主要工作和“十四五”发展成就", "(一)强化创新驱动发展,创新浙江建设成效明显")
    # ... and its run-in headings ("放大经济政策实施效应。…") are sections of their own
    assert _section(library, doc, "着力提振市场信心增强社会预期") == ("三、2026年重点工作", "(一)着力提振市场信心增强社会预期", "放大经济政策实施效应")
    assert _section(library, doc, "1.医疗卫生方面") == ("三、2026年重点工作", "1.医疗卫生方面")
    assert _section(library, doc, "全面加强政治建设") == ("三、2026年重点工作", "(十)着力加强政府自身建设", "全面加强政治建设")
    # "各位代表!…" speaks at the level of the part again, not inside its last subsection.
    assert _section(library, doc, "“十四五”发展成就来之不易") == ("一、2025年主要工作和“十四五”发展成就",)
    paragraphs = [p.text for p in library[0].get(doc).paragraphs]
    for junk in ["下载", "全屏", "【字号:", "加大", "】", "来源:浙江日报", "时间:2026-01-22", "相关报道:", "浙江省省长刘捷"]:
        assert junk not in paragraphs, junk
    assert paragraphs[0] == "各位代表:"


def test_miit_opinions_three_levels_and_scraper_header_footer(library):
    doc = "miit-future-industries-2024"
    assert _section(library, doc, "16.强化新型基础设施") == ("四、重点任务", "(六)优化产业支撑体系", "16.强化新型基础设施")
    assert _section(library, doc, "4.突破下一代智能终端") == ("四、重点任务", "(三)打造标志性产品", "4.突破下一代智能终端")
    assert _section(library, doc, "加大金融支持") == ("五、保障措施", "(二)加大金融支持")
    text = library[0].get(doc).text
    for junk in ["**", "发布日期", "更新时间", "政策全文", "https://", "工信部联科", "中国科学院\n\n2024年1月18日"]:
        assert junk not in text, junk
    assert library[0].get(doc).paragraphs[-1].text.startswith("(四)深化国际合作")


def test_plan_subsections_on_their_own_line_and_run_in(library):
    doc = "digital-economy-plan-2021"
    assert _section(library, doc, "我国深入实施数字经济发展战略") == ("一、发展现状和形势", "(一)发展现状")
    assert _section(library, doc, "(一)加快建设信息网络基础设施") == ("三、优化升级数字基础设施", "(一)加快建设信息网络基础设施")
    assert _section(library, doc, "(五)强化监测评估") == ("十一、保障措施", "(五)强化监测评估")
    text = library[0].get(doc).text
    for junk in ["发布机构", "国发〔2021〕29号", "此件公开发布", "2021年12月12日", "更新时间"]:
        assert junk not in text, junk


def test_satellite_rules_without_markdown_cues(library):
    doc = "satellite-rules-2025"
    assert _section(library, doc, "第一条为了促进和规范") == ("第一章 总则", "第一条")
    assert _section(library, doc, "(三)关口站") == ("第五章 附则", "第三十九条")
    assert _section(library, doc, "本规定自2025年6月1日起施行") == ("第五章 附则", "第四十一条")
    _, chunks = library
    assert len({c.section[0] for c in chunks[doc] if c.section}) == 5
    assert len({c.section[1] for c in chunks[doc] if len(c.section) > 1}) == 41
    text = library[0].get(doc).text
    assert "国家广播电视总局\n\n2025年4月23日" not in text and "国信办发文" not in text


def test_records_read_from_the_texts(library):
    corpus, _ = library
    law = corpus.get("digital-economy-regulation-2020").info
    assert (law.adopted, law.effective, law.repeals) == ("2020-12-24", "2021-03-01", ("《浙江省信息化促进条例》",))
    assert law.validity("2021-02-01") == "not_yet" and law.validity("2026-01-01") == "in_force"
    report = corpus.get("work-report-2026").info
    assert (report.delivered, report.published, report.salutation) == ("2026-01-14", "2026-01-22", "各位代表")
    miit = corpus.get("miit-future-industries-2024").info
    assert miit.doc_number == "工信部联科〔2024〕12号" and miit.signed == "2024-01-18"
    assert miit.addressees.startswith("各省、自治区、直辖市及计划单列市") and miit.addressees.endswith("各有关单位")
    plan = corpus.get("digital-economy-plan-2021").info
    assert (plan.doc_number, plan.signed, plan.issuer) == ("国发〔2021〕29号", "2021-12-12", "国务院")
    assert plan.notice_title == "国务院关于印发“十四五”数字经济发展规划的通知"
    assert plan.addressees == "各省、自治区、直辖市人民政府,国务院各部委、各直属机构"
    rules = corpus.get("satellite-rules-2025").info
    assert (rules.doc_number, rules.signed, rules.effective) == ("国信办发文〔2025〕1号", "2025-04-23", "2025-06-01")
    assert rules.notice_title == "关于印发《终端设备直连卫星服务管理规定》的通知"
    assert "issuer" in rules.read and rules.issuer.startswith("国家互联网信息办公室、国家发展和改革委员会")


def test_library2_without_its_manifest_reads_the_same_records(tmp_path):
    """The manifest is optional: with the texts alone, titles, dates and kinds are read from them."""
    for path in LIBRARY2.glob("*.txt"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = load_corpus(tmp_path)
    got = {d.file: (d.title, d.kind, d.date) for d in corpus.documents}
    assert got["zj_digital_economy_promotion_regulation_2020.txt"] == ("浙江省数字经济促进条例", "law", "2020-12-24")
    assert got["zj_government_work_report_2026.txt"] == ("2026年浙江省政府工作报告", "report", "2026-01-14")
    assert got["sc_14th_fyp_digital_economy_plan_2021.txt"] == ("“十四五”数字经济发展规划", "policy", "2021-12-12")
    assert got["satellite_direct_connection_rules_2025.txt"] == ("终端设备直连卫星服务管理规定", "law", "2025-04-23")
    assert got["miit_future_industries_opinions_2024.txt"][1:] == ("policy", "2024-01-18")
