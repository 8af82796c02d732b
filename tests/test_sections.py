"""Which section a broad question is about: heading paths, siblings, and a sentence that says it better.

An inline library of two documents, indexed with the fake embedder through the real build."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rag import retrieval
from rag.build import build_index
from rag.retrieval import get_retriever
from rag.sections import find_section
from rag.settings import Settings

from .conftest import FAKE_RELEVANCE

LAW = """浙江省测试促进条例
第一章 总则
第一条 为了促进测试事业发展，根据有关法律、行政法规，结合本省实际，制定本条例。
第二章 数据资源
第十条 县级以上人民政府应当加强公共数据平台建设，推进公共数据归集共享。
第十一条 公共数据应当依法有序向社会开放，优先开放与民生紧密相关的数据。
第十二条 数据采集者应当对所采集数据的真实性、准确性负责。
第三章 附则
第二十条 本条例自2021年3月1日起施行。
"""

OPINION = """关于推动测试产业发展的实施意见
一、总体要求
到2027年，测试产业规模显著提升。
二、在变革中寻求新路径
（一）抓住新政策的政策机会
要用好国家和省里出台的各项扶持政策，推动企业加快转型。
（二）抓住新科技的技术机会
要加快关键核心技术攻关，推动科技成果转化应用。
（三）抓住新市场的市场机会
要开拓国内国际两个市场，培育新的增长点。
三、2026年重点工作
综合考虑各方面因素，今年经济社会发展主要预期目标为：全省生产总值增长5%左右，城镇调查失业率5.5%以内。
四、主要目标任务
（一）聚焦经济社会绿色转型
推进绿色低碳发展，加快建设生态省，推动经济社会全面绿色转型。
五、发展目标
到2030年，测试产业营收突破一千亿元，培育领军企业十家。
30.创新测试产业的治理方式
建立测试产业领导小组，统筹推进测试产业发展工作。
"""


def _build(tmp_path: Path, texts: dict[str, str]) -> Settings:
    """An index of ``texts`` (file stem: text) with the fake embedder, through the real build."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for stem, text in texts.items():
        (corpus / f"{stem}.txt").write_text(text, encoding="utf-8")
    retrieval.reset_cache()
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="fake", auto_rebuild=False, **FAKE_RELEVANCE)
    build_index(settings)
    return settings


@pytest.fixture
def library(tmp_path: Path, fake_embedder):
    yield get_retriever(_build(tmp_path, {"law": LAW, "opinion": OPINION}))
    retrieval.reset_cache()


def _section(retriever, question: str):
    query = retriever.understand(question, ())
    return find_section(retriever, query, retriever.retrieve(query, k=5).passages)


def _section_in(tmp_path: Path, texts: dict[str, str], question: str):
    """The section ``question`` is about in an inline library of ``texts``."""
    try:
        return _section(get_retriever(_build(tmp_path, texts)), question)
    finally:
        retrieval.reset_cache()


def test_a_chapter_is_found_by_its_heading(library):
    section = _section(library, "条例对数据资源有哪些规定？")
    assert section is not None and section.path == ("第二章 数据资源",)
    assert [p.headings[-1] for p in section.passages] == ["第十条", "第十一条", "第十二条"]


def test_sibling_headings_that_all_match_make_their_parent_the_section(library):
    section = _section(library, "要抓住哪些机会？")
    assert section is not None and section.path == ("二、在变革中寻求新路径",)
    assert len({p.headings[-1] for p in section.passages}) == 3


def test_fragments_of_the_question_that_are_no_words_do_not_keep_headings_under_the_share(library):
    # "哪几个" (a question phrase) and "中要" (a cut between two words) weigh most, being nowhere in the
    # library; counted, no heading would hold half the question.
    section = _section(library, "文件说在变革中要抓住哪几个机会")
    assert section is not None and section.path == ("二、在变革中寻求新路径",)


def test_a_sentence_saying_it_better_than_any_heading_is_not_a_section_question(library):
    # "四、主要目标任务 › (一)聚焦经济社会绿色转型" holds 主要, 目标, 经济社会; the sentence in 三 holds them all.
    assert _section(library, "经济社会发展主要预期目标是啥？") is None


def test_a_term_in_quotes_the_library_never_mentions_is_not_answered(library):
    from rag import ask

    answer = ask("“尖兵”计划要抓住哪些机会？", settings=library.settings)
    assert answer.status == "not_found" and "尖兵" in answer.reason
    assert ask("“政策机会”是什么", settings=library.settings).status == "answered"  # one it mentions is


def test_numbers_that_order_headings_and_words_of_grammar_do_not_match(library):
    # "30." only numbers its heading: "30条意见" calls the document by its articles; "那个" is grammar
    for question in ("30条意见的发展目标是什么", "那个意见的发展目标是啥"):
        section = _section(library, question)
        assert section is not None and section.path == ("五、发展目标",), question


def test_a_programme_named_without_quotes_that_the_library_never_mentions_is_not_answered(library):
    from rag import ask

    answer = ask("天鹅行动要抓住哪些机会？", settings=library.settings)
    assert answer.status == "not_found" and "天鹅行动" in answer.reason
    # a pronoun or a numeral before 计划 names no programme
    assert "计划" not in ask("那几个计划要抓住哪些机会？", settings=library.settings).reason


def test_a_programme_whose_word_the_library_holds_only_inside_a_longer_one_is_not_answered(tmp_path: Path, fake_embedder):
    """"天鹅行动" in a library that speaks of 黑天鹅 (black swans) and of its own 雄鹰行动."""
    from rag import ask

    text = "测试意见\n一、总体要求\n当前黑天鹅事件频发，要全面实施雄鹰行动，培育一批领军企业。\n"
    settings = _build(tmp_path, {"opinion": text})
    try:
        answer = ask("天鹅行动主要搞什么", settings=settings)
        assert answer.status == "not_found" and "天鹅行动" in answer.reason
        assert "雄鹰" not in ask("雄鹰计划主要搞什么", settings=settings).reason  # its own word, otherwise ended
    finally:
        retrieval.reset_cache()


def test_a_chapter_named_by_its_label_is_found_by_it(library):
    # "第二章" is stripped from headings when matching words; named by the question, it is the label.
    section = _section(library, "条例第二章都规定了哪些？")
    assert section is not None and section.path == ("第二章 数据资源",)


def test_a_second_section_on_the_same_matter_fills_the_room_the_first_leaves(tmp_path: Path, fake_embedder):
    """"…数据资源有哪些规定" in a library where the regulation and a plan each have a section on it:
    the answer gathers the first and, in the room left, the second, each cited to its document."""
    from rag import ask

    plan = "数字产业发展规划\n一、总体要求\n到2027年，数据产业规模显著提升。\n二、数据资源\n（一）推进数据资源开发\n推动数据资源分级分类开发利用，建设数据资源交易场所。\n（二）加强数据资源安全\n建立数据资源安全评估制度。\n"
    settings = _build(tmp_path, {"law": LAW, "plan": plan})
    try:
        answer = ask("数据资源方面有哪些规定？", settings=settings)
        assert answer.status == "answered"
        assert {c.doc_id for c in answer.citations} == {"law", "plan"}
        for point in ("公共数据平台", "向社会开放", "交易场所", "安全评估"):
            assert point in answer.text, point
        assert len(answer.text) <= 600
        # Asked of one document, only that document's section is gathered.
        named = ask("测试促进条例对数据资源有哪些规定？", settings=settings)
        assert {c.doc_id for c in named.citations} == {"law"}
    finally:
        retrieval.reset_cache()


def test_an_article_named_and_asked_nothing_more_of_is_quoted_whole(tmp_path: Path, fake_embedder):
    """"条例第十条讲的啥": the article's every paragraph, not its best sentence; with no document
    named, each document's article of that number."""
    from rag import ask

    law = LAW.replace("第十条 县级以上人民政府应当加强公共数据平台建设，推进公共数据归集共享。",
                      "第十条 县级以上人民政府应当加强公共数据平台建设，推进公共数据归集共享。\n经审核确认的电子监测记录，可以作为行政执法的证据。")
    rules = "测试服务管理规定\n第一章 总则\n第十条 提供测试服务应当遵守法律法规，不得危害国家安全。\n第十一条 本规定自2025年6月1日起施行。\n"
    settings = _build(tmp_path, {"law": law, "rules": rules})
    try:
        answer = ask("测试促进条例第十条讲的啥", settings=settings)
        assert answer.status == "answered" and {c.doc_id for c in answer.citations} == {"law"}
        assert "公共数据平台" in answer.text and "电子监测记录" in answer.text  # both paragraphs
        both = ask("第十条的内容是什么", settings=settings)
        assert {c.doc_id for c in both.citations} == {"law", "rules"}
        # A figure asked of the article is not answered by quoting it.
        assert ask("测试促进条例第十条罚款多少", settings=settings).status == "not_found"
    finally:
        retrieval.reset_cache()


def test_a_time_word_is_no_heading_term(library):
    # "今年" says when; the heading "五、发展目标" says what, and is the section asked about.
    section = _section(library, "今年的发展目标是啥")
    assert section is not None and section.path == ("五、发展目标",)


def test_a_question_repeats_a_heading_when_it_holds_its_whole_name():
    from rag.ranking import repeats_heading

    assert repeats_heading("浙江今年怎么推动人工智能创新发展", "推动人工智能创新发展")
    assert repeats_heading("今年民生实事医疗卫生方面具体有哪些", "1.医疗卫生方面")  # its number is no word
    assert repeats_heading("附则里说了什么", "第五章 附则")
    assert repeats_heading("国家在发展促进方面支持些什么", "第二章 发展与促进")  # said without its conjunction
    assert not repeats_heading("8个重点产业集群由谁牵头", "产业集群的突围")  # part of a heading
    assert not repeats_heading("第十条讲的啥", "第十条")  # a heading that only numbers


def test_a_question_repeating_a_whole_heading_asks_for_its_section_though_an_outline_names_it_too(tmp_path: Path, fake_embedder):
    """"今年民生实事医疗卫生方面具体有哪些": the section 1.医疗卫生方面, whatever "具体" weighs, and not
    the outline of the parent that names every one of its parts ("1.医疗卫生方面；2.养老帮困方面")."""
    report = (
        "2026年测试工作报告\n三、2026年重点工作\n今年继续认真办好十方面民生实事。\n1.医疗卫生方面；2.养老帮困方面。\n"
        "1.医疗卫生方面\n孕产妇生育费用零自付。举办名中医服务活动1000场。\n"
        "2.养老帮困方面\n新增老年助餐点1000个。\n"
    )
    section = _section_in(tmp_path, {"report": report}, "今年民生实事医疗卫生方面具体有哪些")
    assert section is not None and section.path[-1] == "1.医疗卫生方面"


def _boost_lift(settings: Settings, question: str, lifted: str, other: str) -> float:
    """How much the heading boost adds to the lead of the passage headed ``lifted`` over ``other``."""

    def lead(s: Settings) -> float:
        retrieval.reset_cache()
        scores = {p.headings[-1]: p.score for p in get_retriever(s).search(question, k=2)}
        return scores[lifted] - scores[other]

    try:
        return lead(settings) - lead(dataclasses.replace(settings, heading_boost=0.0))
    finally:
        retrieval.reset_cache()


@pytest.mark.parametrize(
    "text, question, lifted, other",
    [
        # Both passages hold the question's words; only the second's heading is what the question repeats.
        (
            "测试规划\n一、推进数据开放\n要强化数据安全体系，推进公共数据开放共享。\n二、强化数据安全体系\n加快保障能力建设，落实分级分类保护制度。\n",
            "强化数据安全体系有哪些要求", "二、强化数据安全体系", "一、推进数据开放",
        ),
        # "…的保障措施有哪些" asks for all of "二、保障措施", whose passages are headed by their own
        # sub-headings (brackets as the cleaner writes them).
        (
            "测试规划\n一、发展目标\n到2025年，保障措施更加完善，数据开放水平明显提升。\n二、保障措施\n（一）加强统筹协调\n建立部际协调机制，推进数据开放。\n",
            "测试规划的保障措施有哪些", "(一)加强统筹协调", "一、发展目标",
        ),
    ],
)
def test_a_passage_under_a_heading_the_question_repeats_is_lifted_by_the_heading_boost(tmp_path: Path, fake_embedder, text, question, lifted, other):
    settings = _build(tmp_path, {"plan": text})
    assert _boost_lift(settings, question, lifted, other) == pytest.approx(settings.heading_boost)


def test_two_sibling_sections_that_each_hold_part_of_the_question_are_both_the_section(tmp_path: Path, fake_embedder):
    # "缺地缺能耗" asks about land and energy: "(一)优化能耗资源配置" holds one, "(二)加强工业用地保障" the other.
    text = (
        "测试意见\n一、优化发展环境\n（一）优化能耗资源配置\n重大项目能耗指标统筹平衡，简化能评审批手续。\n"
        "（二）加强工业用地保障\n工业用地比例不低于30%，每年安排建设用地计划指标。\n"
        "二、其他事项\n加强宣传引导。\n"
    )
    section = _section_in(tmp_path, {"opinion": text}, "项目缺地缺能耗指标，意见给了哪些保障？")
    assert section is not None and section.path == ("一、优化发展环境",)
    assert {p.headings[-1] for p in section.passages} == {"(一)优化能耗资源配置", "(二)加强工业用地保障"}


def test_a_list_of_definitions_gives_way_unless_the_question_asks_what_words_mean(tmp_path: Path, fake_embedder):
    """A glossary article holds every word of its subject; it answers what the words mean."""
    text = (
        "测试规定\n第三章 服务管理\n第十九条 携带终端设备入境的人员，应当主动向海关申报终端设备。\n"
        "第五章 附则\n第三十九条 本规定下列用语的含义是：（一）终端设备，是指能够接入卫星系统的手持终端设备。"
        "（二）入境申报，是指携带终端设备入境时向海关申报的活动。\n"
    )
    settings = _build(tmp_path, {"rules": text})

    def drop(question: str) -> float:
        def lead(s: Settings) -> float:
            retrieval.reset_cache()
            scores = {p.headings[-1]: p.score for p in get_retriever(s).search(question, k=2)}
            return scores["第十九条"] - scores["第三十九条"]

        try:
            return lead(settings) - lead(dataclasses.replace(settings, glossary_penalty=0.0))
        finally:
            retrieval.reset_cache()

    assert drop("带终端设备入境要向海关申报吗") == pytest.approx(settings.glossary_penalty)
    assert drop("终端设备是什么意思") == pytest.approx(0.0)
    assert drop("终端设备 定义") == pytest.approx(0.0)
