"""The answer stage's own logic on hand-made passages: composing, checking, the not-found text."""

from __future__ import annotations

import dataclasses

import pytest

from rag.answer import not_found_text
from rag.asking import identifier_written
from rag.checks import Evidence, unanswered
from rag.compose import ExtractiveComposer, Statement, spans_of
from rag.gather import gather, says_something
from rag.index import DocumentInfo
from rag.passage import Passage
from rag.query import Vocabulary
from rag.render import citations_of, render_text
from rag.settings import Settings
from rag.understand import Asks, Catalog, understand

CATALOG = Catalog((), Vocabulary(words=("山区26县", "研发经费", "首台套")))


def _q(question: str):
    return understand(question, catalog=CATALOG)


def _compose(question: str, passages) -> tuple[str, list[Passage]]:
    statements = ExtractiveComposer().compose(_q(question), passages)
    citations = citations_of(statements)
    return render_text(statements, citations), citations


def _passage(text: str, doc_id: str = "g", title: str = "指导意见", date: str = "2022-08-30", kind: str = "policy", **kw) -> Passage:
    base = dict(
        doc_id=doc_id,
        doc_title=title,
        doc_date=date,
        doc_issuer="省政府",
        doc_kind=kind,
        section=f"《{title}》 › 一、总体要求",
        score=1.0,
        chunk_id=f"{doc_id}#0",
        start=0,
        end=len(text),
    )
    base.update(kw)
    return Passage(text=text, **base)


GUIDELINE = _passage(
    "到2025年,全球先进制造业基地建设取得重大进展,制造业增加值占全省生产总值比重稳定在1/3左右;"
    "规上工业企业研发经费占营业收入比重达到2.5%以上;数字经济核心产业增加值占生产总值比重力争达到15%,"
    "高技术制造业增加值占规模以上工业增加值比重达到19%,并持续推进。",
    score=2.0,
)
OPINIONS = _passage(
    "到2025年,研发经费占营业收入比重达到2.5%以上,智能化、绿色化、服务化水平全国领先。",
    doc_id="o",
    title="若干意见",
    date="2020-03-16",
    score=1.6,
    chunk_id="o#0",
)
SPEECH = _passage("大力实施“人工智能+”行动,谋划建设人工智能强省。", doc_id="s", title="讲话", date="2024", kind="speech", score=0.5, chunk_id="s#0")


def test_the_figure_is_quoted_exactly_and_the_other_document_shown_dated_newest_first():
    text, citations = _compose("到2025年研发经费占营业收入比重要达到多少？", [GUIDELINE, OPINIONS, SPEECH])
    first, second = text.splitlines()
    assert "2.5%以上[1]" in first and "2.5%以上" in second and second.endswith("[2]。")
    assert "25%" not in text.replace("2.5%", "")
    assert [c.doc_id for c in citations] == ["g", "o"]
    assert text.index("（2022-08-30）") < text.index("（2020-03-16）")
    assert "人工智能" not in text  # a passage on another subject is not quoted
    assert "19%" not in text  # nor the other targets of the same sentence


def test_statements_know_the_spans_they_quote_and_render_with_their_markers():
    text = "到2025年,……规上工业企业研发经费占营业收入比重达到2.5%以上"
    st = Statement(text, GUIDELINE, spans_of(text, GUIDELINE.text))
    assert st.quoted == ("到2025年,", "规上工业企业研发经费占营业收入比重达到2.5%以上")
    other = Statement("大力实施“人工智能+”行动", SPEECH, spans_of("大力实施“人工智能+”行动", SPEECH.text))
    rendered = render_text([st, other])
    assert rendered.splitlines() == [
        "政策文件《指导意见》（2022-08-30）：到2025年,……规上工业企业研发经费占营业收入比重达到2.5%以上[1]。",
        "讲话《讲话》（2024）：大力实施“人工智能+”行动[2]。",
    ]


def _answer(passage: Passage, quote: str) -> list[Statement]:
    return [Statement(quote, passage, spans_of(quote, passage.text))]


@pytest.mark.parametrize(
    "question, passage, quote, reason",
    [
        # a 2025 target does not tell what happened in 2023
        ("山区26县2023年实际新增了多少家规上工业企业？", GUIDELINE, "到2025年,……山区26县每年共新增规模以上工业企业500家以上", "2023年"),
        # months are not the whole year
        (
            "2024年全年技改投资增长了多少？",
            _passage("1—4月规上工业增加值增长8.4%;技改投资增长6.3%。", date="2024"),
            "1—4月规上工业增加值增长8.4%;技改投资增长6.3%",
            "全年",
        ),
        # the province's figure is not 湖州's
        ("湖州市规上工业增加值增长了多少？", SPEECH, "规上工业增加值同比增长6%", "湖州"),
        # a sentence with no number does not give a ratio
        ("首台套产品保险补偿比例是多少？", GUIDELINE, "推行首台套产品政府首购制度,逐步提高采购比例", "具体数字"),
        ("省级未来工厂怎么申报？", GUIDELINE, "到2025年,建设“未来工厂”100家", "申报"),
        ("首台套产品认定后奖励多少钱？", GUIDELINE, "到2025年,建设“未来工厂”100家", "金额"),
        # the figures the question gives itself are not the ones it asks for
        ("用1.5%的国土面积贡献了全国多少比例的出口额？", _passage("以1.5%的国土面积,支撑了块状经济的蜕变。"), "以1.5%的国土面积,支撑了块状经济的蜕变", "没有给出"),
        # a figure of what the amount is of: 7.2% is of 工业增加值, the question asks of 出口额
        (
            "用1.5%的国土面积贡献了全国多少比例的出口额？",
            _passage("以1.5%的国土面积,创造了全国7.2%的工业增加值。"),
            "以1.5%的国土面积,创造了全国7.2%的工业增加值",
            "“出口额”",
        ),
        ("单位工业增加值碳排放低于多少吨二氧化碳的项目可以走绿色通道？", GUIDELINE, "对单位工业增加值能耗低于0.52吨标准煤/万元的新上项目", "“二氧化碳”"),
        # what was done is not what is to be done
        ("去年全省实际整治了多少家高耗低效企业？", GUIDELINE, "每年整治提升高耗低效企业5000家", "实际"),
        ("三级保障体系中省级每年安排多少财政资金？", _passage("要构建省级、市级、县级三级保障体系。"), "要构建省级、市级、县级三级保障体系", "具体数字"),
        # the meaning of a term is not another term's definition
        ("条例里的数字贸易到底指的是啥", _passage("本条例所称数字经济,是指以数据资源为关键生产要素的新经济形态。"), "本条例所称数字经济,是指以数据资源为关键生产要素的新经济形态", "“数字贸易”"),
        # what is counted is named whole after the measure word: 独角兽企业 are not 领军企业
        ("到2025年要培育多少家独角兽企业？", _passage("到2025年,打造百家领军企业。"), "到2025年,打造百家领军企业", "“独角兽企业”"),
        ("今年要新增多少个人工智能先导区？", _passage("新增未来产业先导区10个。"), "新增未来产业先导区10个", "“人工智能先导区”"),
        # how many is answered by a count, not by a growth rate beside the thing
        (
            "规划里提出建设多少个国家数字经济创新发展试验区",
            _passage("加快国家数字经济创新发展试验区建设,数字经济核心产业增加值增长7%。"),
            "加快国家数字经济创新发展试验区建设,数字经济核心产业增加值增长7%",
            "个数",
        ),
        # a code's digits are no amount: "IPv6", "5G"
        ("IPv6活跃用户数要达到多少？", _passage("全面推进IPv6规模部署,加快5G网络建设。"), "全面推进IPv6规模部署,加快5G网络建设", "具体数字"),
    ],
)
def test_an_answer_on_the_topic_that_does_not_give_what_is_asked_is_withdrawn(question, passage, quote, reason):
    assert reason in unanswered(_q(question), _answer(passage, quote))


@pytest.mark.parametrize(
    "question, passage, quote",
    [
        ("到2025年研发经费占比目标是多少？", GUIDELINE, "到2025年,……规上工业企业研发经费占营业收入比重达到2.5%以上"),
        # the year names the document, not a period
        ("2022年指导意见里山区26县目标是多少？", GUIDELINE, "到2025年,山区26县规上工业增加值达到2170亿元以上"),
        # the speech (2024) reports 2023 in the part the passage belongs to
        ("2023年研发费用占营收比重是多少？", _passage("规上工业企业研发费用支出占营收比重达到3.1%。", date="2024", part_years=("2023",)), "规上工业企业研发费用支出占营收比重达到3.1%"),
        ("产业数字化指数排第几？", SPEECH, "产业数字化指数连续四年居全国第一"),
        ("去年全省实际整治了多少家高耗低效企业？", _passage("整治提升高耗低效企业5230家。", date="2024"), "整治提升高耗低效企业5230家"),
        # a number the question gives and asks no other amount of: the statement holding it answers
        ("68家雄鹰企业是第几批？", _passage("要以首批68家“雄鹰行动”培育企业为主体。"), "要以首批68家“雄鹰行动”培育企业为主体"),
        ("研发经费占比2.5%是哪个文件提出的？", GUIDELINE, "到2025年,……规上工业企业研发经费占营业收入比重达到2.5%以上"),
        ("实际使用外资多少？", _passage("实际使用外资115.6亿美元。", date="2026"), "实际使用外资115.6亿美元"),
        ("用1.5%的国土面积创造了全国多少比例的工业增加值？", _passage("以1.5%的国土面积,创造了全国7.2%的工业增加值。"), "以1.5%的国土面积,创造了全国7.2%的工业增加值"),
        ("到2025年要打造多少家领军企业？", _passage("到2025年,打造百家领军企业。"), "到2025年,打造百家领军企业"),  # 百家: a figure too
        ("今年要新增多少个未来产业先导区？", _passage("新增未来产业先导区10个。"), "新增未来产业先导区10个"),
        ("条例里的数字经济到底指的是啥", _passage("本条例所称数字经济,是指以数据资源为关键生产要素的新经济形态。"), "本条例所称数字经济,是指以数据资源为关键生产要素的新经济形态"),
        # what the amount is of ends with its clause: "（浙江日报那篇）" names where it was read
        ("今年1到8月415X集群规上企业营收多少了？（浙江日报那篇）", _passage("1-8月,“415X”集群规上企业营收达5.3万亿元。", date="2023-10-24"), "1-8月,“415X”集群规上企业营收达5.3万亿元"),
        # "几个光伏项目" is told, not asked
        ("我们县今年上了几个光伏项目，新增绿电会不会算进能耗总量考核？", GUIDELINE, "地方新增可再生能源消费量,不纳入能耗总量考核"),
    ],
)
def test_an_answer_that_gives_what_is_asked_stands(question, passage, quote):
    assert unanswered(_q(question), _answer(passage, quote)) == ""


def test_the_librarys_own_province_needs_no_mention_but_another_place_does():
    statements = _answer(GUIDELINE, "规上工业企业研发经费占营业收入比重达到2.5%以上")
    assert unanswered(_q("浙江研发经费占比目标是多少？"), statements, in_scope=lambda place: place == "浙江") == ""
    assert "湖州" in unanswered(_q("湖州研发经费占比目标是多少？"), statements, in_scope=lambda place: place == "浙江")


def test_not_found_text_describes_the_indexed_documents_and_the_reason():
    docs = [DocumentInfo(str(i), "t", "i", kind, "2022", 1) for i, kind in enumerate(["policy", "policy", "news"])]
    text = not_found_text(docs, "文件中没有提到“江苏”。")
    assert "没有找到" in text and "文件中没有提到“江苏”。" in text
    assert "已收录的3份文件（政策文件2份、新闻报道1份）" in text


def test_found_rule_reads_relevance_coverage_and_unknown_names():
    s = Settings()
    assert Evidence(coverage=0.0, relevance=s.min_relevance_alone + 0.1).found(s)
    assert Evidence(coverage=s.min_term_coverage, relevance=s.min_relevance).found(s)
    assert not Evidence(coverage=s.min_term_coverage - 0.01, relevance=s.min_relevance).found(s)
    assert not Evidence(coverage=1.0, relevance=s.min_relevance - 0.01).found(s)
    # a short keyword query embeds poorly: all its terms found, and rare enough, suffice
    assert Evidence(coverage=1.0, relevance=0.0, found_weight=s.min_keyword_weight).found(s)
    assert not Evidence(coverage=0.9, relevance=0.0, found_weight=9.0).found(s)
    # ... the words of what it is about, that is: "几家" in "今年新增雄鹰企业几家" is how it asks
    assert Evidence(coverage=0.7, relevance=0.0, found_weight=9.0, topic_coverage=1.0).found(s)
    assert not Evidence(coverage=0.7, relevance=0.0, found_weight=9.0, topic_coverage=1.0, keywords=False).found(s)
    assert not Evidence(coverage=1.0, relevance=99, unknown_names=("江苏",)).found(s)
    assert "江苏" in Evidence(coverage=1.0, relevance=99, unknown_names=("江苏",)).reason
    assert not Evidence(coverage=1.0, relevance=99, unknown_years=("2030",)).found(s)


def test_list_question_gets_the_parts_a_passage_announces():
    intro = _passage("根据新形势新任务,要重点抓好六方面工作:", outline=("集群培育要再上新台阶", "数实融合要抢占新赛道"))
    text, _ = _compose("要重点抓好哪几方面工作？", [intro])
    assert "集群培育要再上新台阶；数实融合要抢占新赛道[1]" in text


def test_how_to_cope_is_not_how_to_apply():
    statements = _answer(GUIDELINE, "在政策制定和执行过程中设置合理过渡期,不搞“一刀切”")
    assert unanswered(_q("新政策出得太急，企业来不及调整怎么办？"), statements) == ""
    assert "申报" in unanswered(_q("这个项目去哪办？怎么申请？"), statements)




def test_a_figure_in_another_unit_does_not_answer():
    statements = _answer(GUIDELINE, "规上工业企业研发经费占营业收入比重达到2.5%以上")
    assert "吨" in unanswered(_q("研发经费要达到多少万吨？"), statements)
    money = _answer(_passage("山区26县规上工业增加值达到2170亿元以上。"), "山区26县规上工业增加值达到2170亿元以上")
    assert unanswered(_q("山区26县规上工业增加值要达到多少亿元？"), money) == ""


def test_a_count_asked_with_its_measure_word_needs_that_measure():
    users = _answer(_passage("互联网协议第六版(IPv6)活跃用户数达到4.6亿。"), "互联网协议第六版(IPv6)活跃用户数达到4.6亿")
    assert "户" in unanswered(_q("IPv6用户总数多少亿户"), users)
    firms = _answer(_passage("到2025年,新增上市公司200家以上。"), "到2025年,新增上市公司200家以上")
    assert unanswered(_q("到2025年新增上市公司多少家"), firms) == ""
    assert _q("工业增加值全国排第几名").unit == ""  # a rank, not a count of people


def test_a_figure_of_the_year_asked_is_quoted_before_a_target_that_only_names_it():
    # The report of 2026 speaks of 2025 under its heading; the plan's "到2025年…" names the year and
    # gives no figure, the report's 2026 target gives one of another year.
    plan = _passage("到2025年,未来产业技术创新全面发展,产业规模稳步提升。", doc_id="p", title="实施意见", date="2024-01-18", score=3.0, chunk_id="p#0")
    done = _passage(
        "科学布局未来产业,新培育省级未来产业先导区13个。", doc_id="r", title="报告", date="2026-01-14", score=2.5, chunk_id="r#1",
        section="《报告》 › 一、2025年主要工作",
    )
    planned = _passage(
        "建立未来产业投入增长机制,新增未来产业先导区10个。", doc_id="r", title="报告", date="2026-01-14", score=2.6, chunk_id="r#2",
        section="《报告》 › 三、2026年重点工作",
    )
    best = ExtractiveComposer().candidates(_q("2025年新培育了多少个未来产业先导区"), [plan, planned, done])[0]
    assert best.passage is done


def test_the_best_retrieved_passage_is_not_quoted_beside_the_answer_when_it_says_it_is_of_another_year():
    # The report of 2026: last year's result is retrieved first, this year's plan holds the answer.
    done = _passage("中欧班列(义新欧)开行3005列、增长14.7%。", doc_id="r", title="报告", date="2026-01-14", score=3.0, chunk_id="r#1", section="《报告》 › 一、2025年主要工作")
    plan = _passage("高质量建设中欧班列集结中心,全年开行中欧班列3000列以上。", doc_id="r", title="报告", date="2026-01-14", score=2.9, chunk_id="r#2", section="《报告》 › 三、2026年重点工作")
    said = ExtractiveComposer().compose(_q("2026年中欧班列要开行多少列"), [done, plan])
    assert [st.passage.chunk_id for st in said] == ["r#2"]
    # One that says nothing of its year is still quoted beside it (the best passage is usually right).
    undated = dataclasses.replace(done, section="《报告》 › 开放枢纽")
    said = ExtractiveComposer().compose(_q("2026年中欧班列要开行多少列"), [undated, plan])
    assert {st.passage.chunk_id for st in said} == {"r#1", "r#2"}


def test_which_cities_is_answered_by_cities_neither_the_question_nor_the_librarys_province():
    awarded = _passage("对评价优秀地区授予“浙江制造天工鼎”。")
    assert "地方" in unanswered(_q("“浙江制造天工鼎”授给了哪些市县？"), _answer(awarded, "对评价优秀地区授予“浙江制造天工鼎”"))
    fund = _passage("浙江省产业基金联合15个特色产业集群所在设区市设立基金群。")
    statements = _answer(fund, "浙江省产业基金联合15个特色产业集群所在设区市设立基金群")
    for question in ("15个特色产业集群分别由哪个设区市牵头？", "15个特色产业集群各自的牵头设区市是哪个"):
        assert "地方" in unanswered(_q(question), statements, in_scope=lambda place: place == "浙江")
    named = _passage("支持杭州、宁波、温州开展可信数据空间创新发展试点。")
    assert unanswered(_q("试点在哪几个城市？"), _answer(named, "支持杭州、宁波、温州开展可信数据空间创新发展试点"), in_scope=lambda p: p == "浙江") == ""


def test_a_part_of_the_year_asked_for_needs_that_part():
    text = "1月至9月,全省规上工业增加值增长5.5%,数字经济核心产业增加值增长10.2%"
    nine = _answer(_passage(text + "。"), "数字经济核心产业增加值增长10.2%")
    assert unanswered(_q("前三季度数字经济核心产业增加值增速"), nine) == ""  # the period is the paragraph's
    four = _answer(_passage("1—4月规上工业增加值增长8.4%。"), "1—4月规上工业增加值增长8.4%")
    assert "时段" in unanswered(_q("1-9月全省规上工业增加值增长多少"), four)
    year = _answer(_passage("2023年,全省工业增加值达到2.94万亿元。"), "2023年,全省工业增加值达到2.94万亿元")
    assert unanswered(_q("1-9月全省工业增加值总量是多少亿元"), year) != ""


def test_how_many_there_are_is_a_count_not_a_total():
    count = _answer(_passage("高起点建设7个省级新区。"), "高起点建设7个省级新区")
    assert unanswered(_q("省级新区一共有几个"), count) == ""
    each = _answer(_passage("4个集群营收超万亿元。"), "4个集群营收超万亿元")
    assert _q("4个万亿级集群营收加起来一共多少").asks & Asks.TOTAL and not _q("省级新区一共有几个").asks & Asks.TOTAL
    assert "合计" in unanswered(_q("4个万亿级集群营收加起来一共多少"), each)


def test_measure_words_that_count_the_same_things_answer_each_other():
    centres = _answer(_passage("到2025年,新建省制造业创新中心30个。"), "到2025年,新建省制造业创新中心30个")
    assert unanswered(_q("到2025年新建省制造业创新中心多少家"), centres) == ""  # 家 or 个: the same count
    people = _answer(_passage("每年引进培育高层次人才1000人。"), "每年引进培育高层次人才1000人")
    assert unanswered(_q("每年引进多少名高层次人才"), people) == ""
    assert "家" in unanswered(_q("新建创新中心多少家"), people)


def test_a_share_written_as_a_fraction_or_a_half_is_a_share():
    third = _answer(_passage("制造业增加值占全省生产总值比重稳定在1/3左右。"), "制造业增加值占全省生产总值比重稳定在1/3左右")
    assert unanswered(_q("制造业增加值占比是多少"), third) == ""


def test_a_share_asked_for_needs_a_share():
    text = "到2025年,制造业投资增速高于固定资产投资平均增速,劳动生产率达到35万元/人以上"
    growth = _answer(_passage(text + "。"), text)
    assert "比例" in unanswered(_q("2025年制造业投资增速要达到百分之几"), growth)
    share = _answer(GUIDELINE, "规上工业企业研发经费占营业收入比重达到2.5%以上")
    assert unanswered(_q("规上工业企业研发经费占营收比重是多少"), share) == ""


SECTION = [
    _passage("(四)加快山区26县生态工业发展。实施“攀登计划”,支持山区26县“一县一业”发展。深化产业链山海协作,加快推进飞地建设。",
             section="《指导意见》 › 八、促进区域协调发展 › (四)加快山区26县生态工业发展", chunk_id="g#30", start=100, end=160),
    _passage("到2025年,山区26县规上工业增加值达到2170亿元以上。",
             section="《指导意见》 › 八、促进区域协调发展 › (四)加快山区26县生态工业发展", chunk_id="g#31", start=160, end=190),
]


def test_a_broad_question_gathers_the_points_of_its_section_figures_first_in_reading_order():
    text, citations = _compose("山区26县怎么发展？", SECTION)
    for point in ("攀登计划", "一县一业", "飞地建设", "2170亿元以上"):
        assert point in text
    assert text.index("攀登计划") < text.index("2170亿元")  # the document's order
    assert len(text) <= 600 and [c.chunk_id for c in citations] == ["g#30", "g#31"]


def test_a_long_section_lists_its_sub_headings_first():
    long = [
        _passage("要" + "推进集群发展," * 60 + "到2025年,集群营收达到10万亿元。", section="《讲话》 › 二、集群 › (一)集群培育", chunk_id="s#1"),
        _passage("要" + "推进数实融合," * 60 + "。", section="《讲话》 › 二、集群 › (二)数实融合", chunk_id="s#2"),
    ]
    statements = gather(_q("集群怎么发展？"), long)
    assert statements[0].text == "二、集群：(一)集群培育；(二)数实融合"  # under the section's own heading
    assert any("10万亿元" in st.text for st in statements)
    assert sum(len(st.text) for st in statements) <= 600


LAW_CHAPTER = [
    _passage(text, doc_id="law", title="条例", section=f"《条例》 › 第六章 治理数字化 › {article}", chunk_id=f"law#{i}", start=i * 200, end=i * 200 + len(text))
    for i, (article, text) in enumerate(
        [
            ("第三十六条", "第三十六条 本条例所称治理数字化，是指运用现代信息技术推进治理体系现代化。"),
            ("第三十七条", "第三十七条 县级以上人民政府应当推进政务服务全流程网上办理，" + "实现数据共享和业务协同，" * 8 + "推进政府数字化转型。"),
            ("第三十八条", "第三十八条 省人民政府应当建设全省统一的行政处罚办案系统。"),
            ("第三十九条", "第三十九条 有关部门可以利用电子监测记录开展非现场执法。" + "加强执法协作，" * 10 + "提高执法效能。"),
            ("第四十条", "第四十条 设区的市应当推进城市大脑建设。"),
            ("第四十一条", "第四十一条 县级以上人民政府应当建设智慧养老服务平台。" + "完善服务体系，" * 10 + "提升服务质量。"),
        ]
    )
]


def test_a_chapter_of_articles_gives_every_article_before_more_of_any_one():
    statements = gather(_q("条例在治理数字化方面规定了哪些内容"), LAW_CHAPTER)
    text = "".join(st.text for st in statements)
    assert "第三十六条；第三十七条" not in text  # headings that only number their part are not listed
    for point in ("政务服务全流程网上办理", "行政处罚办案系统", "电子监测记录", "城市大脑", "智慧养老服务平台"):
        assert point in text
    assert len({st.passage.chunk_id for st in statements}) == len(LAW_CHAPTER) and len(text) <= 600
    assert [st.passage.start for st in statements] == sorted(st.passage.start for st in statements)  # reading order
    # passages handed over as retrieved, best first: still quoted in the document's order
    shuffled = gather(_q("条例在治理数字化方面规定了哪些内容"), LAW_CHAPTER[::-1])
    assert [st.text for st in shuffled] == [st.text for st in statements]


def test_a_section_answer_names_its_section_first_unless_it_quotes_its_heading():
    statements = gather(_q("条例在治理数字化方面规定了哪些内容"), LAW_CHAPTER[:2])
    assert statements[0].text == "第六章 治理数字化" and not statements[0].spans  # said, not quoted
    run_in = _passage("推动人工智能创新发展。深化国家数据要素综合试验区建设。", section="《报告》 › 三、重点工作 › 推动人工智能创新发展", chunk_id="r#1")
    said = gather(_q("怎么推动人工智能创新发展"), [run_in])
    assert [st.text for st in said].count("推动人工智能创新发展") == 0  # its passage opens with its heading
    # A heading on a line of its own is no statement: the answer still says it, once.
    lined = _passage("1.医疗卫生方面\n孕产妇生育费用零自付。举办名中医服务活动1000场。", section="《报告》 › 三、重点工作 › 1.医疗卫生方面", chunk_id="r#2")
    said = gather(_q("民生实事医疗卫生方面有哪些"), [lined])
    assert [st.text for st in said] == ["1.医疗卫生方面", "孕产妇生育费用零自付。", "举办名中医服务活动1000场。"]


def test_the_part_about_what_is_asked_comes_before_breadth():
    goals = "“十五五”发展的主要目标是：到2030年，全员劳动生产率达到30万元/人左右，居民人均可支配收入达到9万元左右，常住人口城镇化率达到78%左右。"
    section = [
        _passage(goals, section="《报告》 › 二、主要目标任务", chunk_id="r#1"),
        *(
            _passage(f"({n})聚焦{topic}。" + f"推进{topic}工作，" * 12 + "取得成效。", section=f"《报告》 › 二、主要目标任务 › ({n}){topic}", chunk_id=f"r#{i + 2}", start=(i + 1) * 300)
            for i, (n, topic) in enumerate([("一", "创新"), ("二", "开放"), ("三", "文化"), ("四", "共富")])
        ),
    ]
    text = "".join(st.text for st in gather(_q("十五五时期的主要目标是什么"), section))
    for point in ("全员劳动生产率达到30万元", "居民人均可支配收入达到9万元左右", "常住人口城镇化率达到78%"):
        assert point in text


def test_a_list_spread_over_passages_gives_more_items_than_a_single_fact_would():
    duties = ["履行网络安全等级保护义务", "核验用户真实身份信息", "建立健全投诉处理机制", "制定用户善后处理方案", "发现违法信息立即停止传输"]
    passages = [  # one article in each of five chapters: no one section gathers them
        _passage(f"第{n}条 服务提供者应当{duty}。", doc_id="rule", title="规定", section=f"《规定》 › 第{n}章 › 第{n}条", chunk_id=f"rule#{n}", score=2.0 - n / 10)
        for n, duty in enumerate(duties, start=1)
    ]
    text, citations = _compose("服务提供者要承担哪些责任？", passages)
    assert sum(duty in text for duty in duties) >= 4 and len(text) <= 600
    single, _ = _compose("服务提供者要履行网络安全等级保护义务吗？", passages)
    assert sum(duty in single for duty in duties) <= 3  # a question for one fact still gets a short answer


def test_a_figure_the_question_names_must_be_the_one_quoted():
    speech = _passage("要集中力量打造4个万亿产业集群和4个五千亿级产业集群。", doc_id="s", title="讲话", kind="speech")
    statements = _answer(speech, "要集中力量打造4个万亿产业集群和4个五千亿级产业集群")
    assert "三千亿" in unanswered(_q("讲话里要打造几个三千亿级产业集群？"), statements)
    assert unanswered(_q("讲话里要打造几个五千亿级产业集群？"), statements) == ""


def test_a_figure_must_be_given_where_its_subject_is_named():
    talent = _passage("实施“启明计划”等引才工程,加强制造业高层次人才引进和培育。到2025年,培育领军企业100家。")
    statements = [Statement(u, talent, spans_of(u, talent.text), 1.0, 1.0) for u in ("实施“启明计划”等引才工程,加强制造业高层次人才引进和培育。", "到2025年,培育领军企业100家。")]
    rarity = {"启明": 6.0, "启明计划": 6.0, "计划": 2.0, "引进": 3.0, "人才": 3.0, "每年": 1.0}.get
    assert "数字" in unanswered(_q("启明计划每年引进多少名人才？"), statements, rarity=lambda t: rarity(t, 1.0))
    assert unanswered(_q("到2025年培育多少家领军企业？"), statements, rarity=lambda t: rarity(t, 1.0)) == ""


def test_a_figure_asked_of_a_number_the_question_gives_must_stand_with_that_number():
    """"48个传统行业增加值涨了多少": a statement naming the 48 trades and another giving a growth
    rate of 17 trades do not answer it; the rate written beside the 48 does."""
    speech = _passage("全省17个重点传统制造业增加值增长6.8%。", doc_id="s", title="讲话", kind="speech")
    guideline = _passage("深入推进48个传统制造业行业改造提升。")
    apart = _answer(speech, "全省17个重点传统制造业增加值增长6.8%") + _answer(guideline, "深入推进48个传统制造业行业改造提升")
    assert "数字" in unanswered(_q("全省48个传统制造业行业增加值去年涨了多少？"), apart)
    together = _passage("全省48个传统制造业行业增加值增长6.8%。", doc_id="s", title="讲话", kind="speech")
    assert unanswered(_q("全省48个传统制造业行业增加值去年涨了多少？"), _answer(together, "全省48个传统制造业行业增加值增长6.8%")) == ""


def test_a_question_asking_when_needs_a_year_or_date_where_its_subject_is_named():
    plan = _passage("适时组织开展规划中期评估。展望2035年,数字经济将迈向繁荣成熟期。", title="数字经济规划", date="2021-12-12")
    statements = [Statement(u, plan, spans_of(u, plan.text), 1.0, 1.0) for u in ("适时组织开展规划中期评估。", "展望2035年,数字经济将迈向繁荣成熟期。")]
    rarity = {"中期": 6.0, "评估": 5.0, "规划": 2.0, "数字经济": 1.0}.get
    question = _q("规划的中期评估定在哪一年开展？")
    assert question.asks & Asks.DATE
    assert "时间" in unanswered(question, statements, rarity=lambda t: rarity(t, 1.0))  # 2035 is another subject's year
    assert unanswered(_q("数字经济哪一年迈向繁荣成熟期？"), statements, rarity=lambda t: rarity(t, 1.0)) == ""
    # a year only in a title names a document, not when anything happened
    titled = _passage("依据《国民经济和社会发展第十四个五年规划和2035年远景目标纲要》,制定本规划。")
    assert "时间" in unanswered(_q("What year did China join the WTO?"), _answer(titled, "依据《国民经济和社会发展第十四个五年规划和2035年远景目标纲要》,制定本规划"))


def test_a_term_the_question_quotes_must_be_what_the_statements_speak_of():
    record = _passage("发文字号：国发〔2021〕29号", doc_id="plan", title="“十四五”数字经济发展规划", section="《“十四五”数字经济发展规划》")
    statements = _answer(record, "发文字号：国发〔2021〕29号")
    assert "十五五" in unanswered(_q("“十五五”数字经济发展规划的发文字号是什么？"), statements)
    assert unanswered(_q("“十四五”数字经济发展规划的发文字号是什么？"), statements) == ""  # its section names it


def test_a_year_in_a_title_or_the_documents_date_does_not_answer_for_a_year_its_headings_deny():
    looking_back = _passage("低保最低月标准提高到1190元。", doc_id="r", title="2026年政府工作报告", date="2026-01-14", kind="report",
                            section="《2026年政府工作报告》 › 一、2025年主要工作")
    statements = _answer(looking_back, "低保最低月标准提高到1190元")
    assert "2026" in unanswered(_q("2026年低保标准要涨到多少？"), statements)
    assert unanswered(_q("2025年低保标准提高到多少？"), statements) == ""
    preamble = _passage("为贯彻落实《国民经济和社会发展第十四个五年规划和2035年远景目标纲要》,现提出如下意见。", doc_id="m", title="实施意见",
                        date="2024-01-18", section="《实施意见》")
    quote = "为贯彻落实《国民经济和社会发展第十四个五年规划和2035年远景目标纲要》,现提出如下意见"
    assert "2035" in unanswered(_q("实施意见到2035年要实现什么？"), _answer(preamble, quote), lambda p: p.text)


def test_a_list_whose_size_the_question_names_needs_its_members():
    labs = _passage("构建新型实验室体系,完成十大省实验室布局,高质量建设一批省重点实验室。")
    statements = _answer(labs, "构建新型实验室体系,完成十大省实验室布局,高质量建设一批省重点实验室")
    assert _q("十大省实验室分别是哪十个").members == 10
    assert "名单" in unanswered(_q("十大省实验室分别是哪十个"), statements)
    chains = _passage("重点打造数字安防、炼化一体化与新材料、节能与新能源汽车、现代纺织等十大标志性产业链。")
    listed = _answer(chains, "重点打造数字安防、炼化一体化与新材料、节能与新能源汽车、现代纺织等十大标志性产业链")
    assert unanswered(_q("十大标志性产业链具体是哪十条"), listed) == ""
    assert _q("十大标志性产业链有什么作用").members == 0  # no list asked for
    # The items listed must be of what is counted, not another list beside it.
    beside = _passage("推动人形机器人、脑机接口、类脑智能、量子信息等产业发展,新增未来产业先导区10个。")
    other = _answer(beside, "推动人形机器人、脑机接口、类脑智能、量子信息等产业发展,新增未来产业先导区10个")
    assert "名单" in unanswered(_q("今年新增的10个未来产业先导区具体是哪几个"), other)
    groups = _passage("打造新一代信息技术、高端装备、现代消费与健康、绿色石化与新材料等4个世界级先进产业群。")
    named = _answer(groups, "打造新一代信息技术、高端装备、现代消费与健康、绿色石化与新材料等4个世界级先进产业群")
    assert unanswered(_q("4个世界级先进产业群 有哪些"), named) == ""


def test_a_total_asked_for_needs_a_statement_of_a_total():
    clusters = _passage("4个集群营收超万亿元,智能物联首次突破万亿。")
    statements = _answer(clusters, "4个集群营收超万亿元,智能物联首次突破万亿")
    assert "合计" in unanswered(_q("4个万亿级集群营收加起来一共多少？"), statements)
    cloud = _passage("浙江上云企业累计超过35万家。")
    assert unanswered(_q("上云企业一共多少家？"), _answer(cloud, "浙江上云企业累计超过35万家")) == ""


def test_a_statement_speaks_of_the_year_written_before_it_and_of_its_own_subject():
    text = "2023年,全省工业增加值达到2.94万亿元,居全国第三。规上工业增加值同比增长6%。1—4月制造业投资增长7.1%。"
    speech = _passage(text, doc_id="s", title="讲话", date="2024-05-20", kind="speech")
    units = ["2023年,全省工业增加值达到2.94万亿元,居全国第三。", "规上工业增加值同比增长6%。", "1—4月制造业投资增长7.1%。"]
    statements = [Statement(u, speech, spans_of(u, text), 1.0, 1.0) for u in units]
    # "规上工业增加值同比增长6%" follows "2023年,…": it is 2023's, not 2024's (the speech's year)
    assert "2024" in unanswered(_q("2024年规上工业增加值增长了多少？"), statements[1:2])
    rarity = {"投资": 5.0, "制造业": 3.0, "制造": 3.0, "全年": 2.0, "增长": 1.0}.get
    reason = unanswered(_q("2023年全年制造业投资增长了多少"), statements, rarity=lambda t: rarity(t, 1.0))
    assert "全年" in reason  # the investment figure is for four months; the 2.94万亿元 is another subject's


def test_a_national_text_speaks_of_china_as_our_country():
    plan = _passage("互联网协议第六版(IPv6)活跃用户数达到4.6亿,我国数字经济规模稳居世界第二。", doc_id="p", title="数字经济发展规划")
    statements = _answer(plan, "互联网协议第六版(IPv6)活跃用户数达到4.6亿,我国数字经济规模稳居世界第二")
    assert unanswered(_q("中国IPv6活跃用户数有多少？"), statements) == ""
    assert "江苏" in unanswered(_q("江苏IPv6活跃用户数有多少？"), statements)


def test_a_broad_answer_stays_under_600_characters_with_its_documents_name_and_markers():
    title = "工业和信息化部等七部门关于推动未来产业创新发展的实施意见"
    section = [
        _passage(f"({n})任务{n}。" + f"推进第{n}项工作,完善相关机制," * 6 + "取得成效。", title=title, section=f"《{title}》 › 五、保障措施 › ({n})任务{n}", chunk_id=f"m#{i}", start=i * 300)
        for i, n in enumerate("一二三四五六")
    ]
    text, _ = _compose("实施意见有哪些保障措施", section)
    assert 400 < len(text) <= 600


def test_a_heading_that_only_numbers_its_part_says_nothing():
    assert not says_something("第三十七条") and not says_something("(二)") and not says_something("3.")
    assert says_something("(一)加快建设创新浙江") and says_something("第二章 数据资源") and says_something("保障措施")


def test_an_answer_about_the_neighbouring_batch_or_article_is_withdrawn():
    first = _answer(_passage("以首批68家“雄鹰行动”培育企业为主体。"), "以首批68家“雄鹰行动”培育企业为主体")
    assert "第二批" in unanswered(_q("第二批雄鹰行动培育企业有几家？"), first)
    article = _passage("第二十条 县级以上人民政府应当加强数据资源管理。", section="《条例》 › 第三章 数据资源 › 第二十条")
    statements = _answer(article, "县级以上人民政府应当加强数据资源管理")
    assert unanswered(_q("条例第二十条规定了什么？"), statements) == ""  # the article's number is in its path
    assert "第六十八条" in unanswered(_q("条例第六十八条规定了什么？"), statements)


def test_money_asked_in_other_words_still_needs_a_sum():
    statements = _answer(GUIDELINE, "规上工业企业研发经费占营业收入比重达到2.5%以上")
    assert "金额" in unanswered(_q("入选鲲鹏计划的人才能拿多少安家补贴？"), statements)


def test_a_citation_says_its_page_and_whether_its_document_is_in_force():
    from rag.chat import source_card

    repealed = _passage("研发经费占营业收入比重达到2.5%以上。", doc_id="old", title="旧办法", date="2019-01-01", validity="已废止", chunk_id="old#1")
    current = _passage("研发经费占营业收入比重达到2.5%以上。", page=3, last_page=4, chunk_id="g#9")
    statements = [Statement(p.text, p, spans_of(p.text, p.text), 1.0, 1.0) for p in (repealed, current)]
    from rag.compose import in_reading_order

    text = render_text(in_reading_order(statements))
    assert "（2019-01-01，已废止）" in text
    assert text.index("指导意见") < text.index("旧办法")  # the document in force first
    assert current.pages == "第3–4页" and "第3–4页" in source_card(current, 1, 1) and "已废止" in source_card(repealed, 2, 1)


def test_a_dictionarys_guesses_all_found_do_not_make_a_question_answerable():
    from rag.checks import Evidence
    from rag.settings import Settings

    s = Settings()
    weak = dict(coverage=1.0, relevance=0.1, found_weight=s.min_keyword_weight + 1)
    assert Evidence(**weak).found(s)  # "415X": a short question in the documents' own words
    assert not Evidence(**weak, keywords=False).found(s)  # "population" -> 总体 by the dictionary


def test_what_officials_call_things_is_not_a_figure_or_a_name_the_documents_lack():
    opinions = _passage("制造业增加值占全省生产总值比重保持在1/3以上。实施“鲲鹏计划”等重大人才工程。", doc_id="o", title="若干意见")
    statements = _answer(opinions, "制造业增加值占全省生产总值比重保持在1/3以上")
    assert unanswered(_q("30条里制造业增加值占GDP要保持在多少以上？"), statements) == ""  # "30条": the document
    assert _q("30条在优化发展环境方面有哪些举措？").members == 0
    assert unanswered(_q("“鲲鹏行动”是哪个文件提的？"), statements) == ""  # the programme's stem is named
    assert "星火" in unanswered(_q("“星火行动”是哪个文件提的？"), statements)
    goal = _passage("到2025年,山区26县规上工业增加值达到2170亿元以上。")
    assert unanswered(_q("山区26县到2025年要达到两千一百七十亿以上吗？"), _answer(goal, "到2025年,山区26县规上工业增加值达到2170亿元以上")) == ""


def test_a_statement_is_completed_by_its_article_or_the_sentences_its_opening_heads():
    from rag.quote import continued

    law = _passage(
        "第六十条 建设单位未按标准预留基站站址的,由住房城乡建设主管部门责令限期改正;逾期不改正的,处五万元以上二十万元以下罚款。",
        kind="law", section="《条例》 › 第八章 法律责任 › 第六十条",
    )
    duty = _answer(law, "第六十条 建设单位未按标准预留基站站址的,由住房城乡建设主管部门责令限期改正;")[0]
    assert continued(duty).text.endswith("处五万元以上二十万元以下罚款。")
    goals = _passage("到2027年,未来产业综合实力显著提升。关键核心技术取得重大突破,成为重要策源地。到2035年,形成完整体系。")
    opening = _answer(goals, "到2027年,未来产业综合实力显著提升。")[0]
    grown = continued(opening)
    assert "成为重要策源地" in grown.text and "2035" not in grown.text  # not into another year
    assert grown.quoted == (grown.text,)  # the span is the passage's own text
    # a clause of a long policy sentence stays a clause: the next target is another statement
    target = _answer(GUIDELINE, "规上工业企业研发经费占营业收入比重达到2.5%以上")[0]
    assert continued(target) is target


def test_a_statement_announcing_items_brings_them():
    from rag.quote import continued

    text = "第五十八条 工作中出现失误,但同时符合下列条件的,不作负面评价:\n(一)符合改革方向;\n(二)决策程序符合法律规定。\n第五十九条 另一条。"
    law = _passage(text, kind="law", section="《条例》 › 第七章 保障 › 第五十八条")
    lead = _answer(law, "第五十八条 工作中出现失误,但同时符合下列条件的,不作负面评价:")[0]
    grown = continued(lead)
    assert grown.text.endswith("(一)符合改革方向;(二)决策程序符合法律规定。") and "第五十九条" not in grown.text
    assert [law.text[a:b] for a, b in grown.spans][1:] == ["(一)符合改革方向;", "(二)决策程序符合法律规定。"]


def test_a_statement_pointing_back_brings_what_it_points_to():
    from rag.quote import continued

    text = "建设单位应当预留基站站址,配套建设通信基础设施。老旧小区改造应当配套建设前述通信基础设施。"
    law = _passage(text, kind="law", section="《条例》 › 第二章 数字基础设施 › 第十六条")
    back = _answer(law, "老旧小区改造应当配套建设前述通信基础设施。")[0]
    assert continued(back).text == text and continued(back).quoted == (text,)


def test_a_code_the_question_names_must_be_quoted():
    broadband = _answer(_passage("移动宽带用户普及率达到108%。"), "移动宽带用户普及率达到108%")
    assert "5G" in unanswered(_q("5G用户普及率目标定的多少"), broadband)
    assert unanswered(_q("移动宽带用户普及率多少"), broadband) == ""
    assert _q("How many users did the 14th plan count?").identifiers == ()  # an ordinal, not a code


def test_a_city_must_be_named_where_the_statement_stands():
    part = "杭州、宁波开展可信数据空间试点。\n力争全社会研发投入强度达到3.35%。"
    target = _answer(_passage("力争全社会研发投入强度达到3.35%。"), "力争全社会研发投入强度达到3.35%")
    # the city is named in the part of the document, not where the figure is
    assert "杭州" in unanswered(_q("杭州研发投入强度目标多少"), target, context=lambda p: part)
    assert "Hangzhou" in unanswered(_q("What R&D intensity is Hangzhou aiming for?"), target, context=lambda p: part)


def test_a_figures_year_is_that_of_the_statements_about_its_subject():
    loans = _answer(_passage("无还本续贷新增5982亿元。", date="2026-01-14"), "无还本续贷新增5982亿元")
    goals = _answer(_passage("到2027年,未来产业综合实力显著提升。", doc_id="m", date="2024-01-18"), "到2027年,未来产业综合实力显著提升。")
    idf = lambda t: 5.0 if t == "无还本续贷" else 1.0
    assert "2027" in unanswered(_q("2027年无还本续贷要新增多少"), loans + goals, rarity=idf)
    later = _answer(_passage("到2027年,无还本续贷新增8000亿元。"), "到2027年,无还本续贷新增8000亿元")
    assert unanswered(_q("2027年无还本续贷要新增多少"), later + goals, rarity=idf) == ""

    # A time word says when, not what: "今年" in another statement ("做好今年工作") does not make it the subject.
    looking_back = "《报告》 › 一、2025年主要工作"
    subsidy = _answer(_passage("低保最低月标准提高到1190元。", date="2026-01-14", section=looking_back), "低保最低月标准提高到1190元")
    opening = _answer(_passage("2026年是开局之年。做好今年工作,必须坚持二十大精神。"), "2026年是开局之年。做好今年工作,必须坚持二十大精神")
    rare = lambda t: {"今年": 6.0, "低保": 5.0}.get(t, 1.0)
    assert "2026" in unanswered(_q("低保标准今年(2026年)要涨到多少"), subsidy + opening, rarity=rare)


def test_a_passage_without_years_is_read_in_its_part_of_the_document():
    # The speech of 2024 reports 2023: "2023年,全省工业增加值…" opens its part; the R&D share beside it
    # names no year. It is of 2023, and the plan's "到2025年…" target names another year.
    part = "一、肯定成绩"
    result = _passage(
        "规上工业企业研发费用支出占营收比重达到3.1%。", doc_id="s", title="讲话", date="2024-02-18", kind="speech",
        score=2.4, chunk_id="s#2", section=f"《讲话》 › {part} › 创新驱动", part_years=("2023",),
    )
    target = _passage("到2025年,规上工业企业研发经费占营业收入比重达到2.5%以上。", score=3.0, chunk_id="g#1", part_years=("2025",))
    question = _q("2023年规上工业企业研发费用占营收比重是多少")
    said = ExtractiveComposer().compose(question, [target, result])
    assert said[0].passage is result
    assert unanswered(question, said) == ""
    # Read by its document's date alone, it would be of 2024: the year asked is then not spoken of.
    alone = dataclasses.replace(result, part_years=())
    assert "2023" in unanswered(question, _answer(alone, "规上工业企业研发费用支出占营收比重达到3.1%"))


def test_a_figure_is_of_the_noun_asked_before_the_amount_when_the_library_writes_it():
    network = _answer(_passage("建成5G基站231万个,前瞻布局6G网络技术储备。"), "建成5G基站231万个,前瞻布局6G网络技术储备")
    known = lambda term: term in ("速率", "营收")
    assert "“速率”" in unanswered(_q("5G和6G的理论峰值速率各是多少"), network, known=known)
    # a word the library never writes may be the asker's for one it does: no judgement
    assert unanswered(_q("5G和6G的理论峰值速率各是多少"), network) == ""
    # shortened as askers do: 营收 is 营业收入; a figure noun (目标) names no subject
    revenue = _answer(_passage("到2027年,集群规上企业营业收入达到15万亿元。"), "到2027年,集群规上企业营业收入达到15万亿元")
    assert unanswered(_q("集群到2027年规上企业营收目标是多少"), revenue, known=known) == ""
    # where it is counted is no subject: "规上工业企业浙江有多少家" is of 企业
    firms = _answer(_passage("全省规上工业企业达到5.6万家。"), "全省规上工业企业达到5.6万家")
    assert unanswered(_q("规上工业企业浙江有多少家"), firms, in_scope=lambda place: place == "浙江", known=lambda term: True) == ""


def test_the_same_asked_of_several_listed_things_is_answered_for_each():
    leaders = _passage("到2025年,打造产业领航企业100家,新增上市公司200家以上。", score=3.0, chunk_id="g#1")
    champions = _passage("到2025年,累计培育“隐形冠军”企业500家,新增制造业单项冠军企业130家。", score=2.9, chunk_id="g#2")
    tech = _passage("到2025年,培育科技领军企业100家、高新技术企业3.5万家。", score=2.0, chunk_id="g#3")
    filler = _passage("到2025年,制造业增加值占全省生产总值比重稳定在1/3左右。", score=2.8, chunk_id="g#4")
    text, _ = _compose("到2025年，领航企业、单项冠军、科技企业这些的培育目标分别是多少？", [champions, filler, leaders, tech])
    assert "领航企业100家" in text and "单项冠军企业130家" in text and "科技领军企业100家" in text


def test_what_a_thing_is_is_not_answered_by_a_list_that_names_it():
    listed = _answer(_passage("突破人形机器人、量子计算机、超高速列车等标志性产品。"), "突破人形机器人、量子计算机、超高速列车等标志性产品")
    assert "量子计算" in unanswered(_q("量子计算是什么"), listed)
    assert "量子计算" in unanswered(_q("什么是量子计算？"), listed)
    # a statement about the thing itself is another matter, and so is a question of another kind
    about = _answer(_passage("实施“雄鹰行动”,培育一批世界一流企业。"), "实施“雄鹰行动”,培育一批世界一流企业")
    assert unanswered(_q("雄鹰行动是什么"), about) == ""
    assert unanswered(_q("要突破哪些标志性产品"), listed) == ""


def test_what_a_term_means_is_answered_by_its_definition():
    use = _passage("第二十八条 提供服务,应当将关口站、地球站等地面设施建设在境内。", doc_id="r", title="规定", kind="law", score=3.0, chunk_id="r#1")
    other = _passage("(五)配套通信平台,是指包括关口站和地球站控制系统的通信设施。", doc_id="r", title="规定", kind="law", score=2.8, chunk_id="r#2")
    meaning = _passage("(三)关口站,是指卫星通信链路中用于信号中继的地面设施。", doc_id="r", title="规定", kind="law", score=2.0, chunk_id="r#3")
    said = ExtractiveComposer().compose(_q("规定里说的关口站是什么意思"), [use, other, meaning])
    assert [st.passage.chunk_id for st in said] == ["r#3"]  # jieba cuts 关口站 as 关口 + 站: the text's term counts
    # another term's definition is no answer to this one's meaning
    said = ExtractiveComposer().compose(_q("地球站是什么意思"), [use, other, meaning])
    assert "r#3" not in [st.passage.chunk_id for st in said]


def test_who_did_it_is_named_where_the_subject_is():
    idf = lambda t: 5.0 if t in ("领导小组", "投资基金", "产业投资基金") else 1.0
    group = _answer(_passage("建立省制造业高质量发展领导小组,统筹基地建设工作。"), "建立省制造业高质量发展领导小组,统筹基地建设工作")
    leaders = _answer(_passage("建立党委、政府主要领导抓制造业工作机制。"), "建立党委、政府主要领导抓制造业工作机制")
    assert "负责人或部门" in unanswered(_q("省制造业高质量发展领导小组的组长是谁"), group + leaders, rarity=idf)
    fund = _answer(_passage("省人民政府设立数字经济产业投资基金,用于重大项目建设。"), "省人民政府设立数字经济产业投资基金,用于重大项目建设")
    assert unanswered(_q("数字经济产业投资基金是谁设立的"), fund, rarity=idf) == ""
    duty = _answer(_passage("省经济和信息化主管部门负责推进全省数字经济发展工作。"), "省经济和信息化主管部门负责推进全省数字经济发展工作")
    assert unanswered(_q("哪个部门负责推进全省数字经济发展工作"), duty, rarity=idf) == ""


def test_a_count_of_rivers_is_not_answered_by_kilometres():
    rivers = _answer(_passage("全域幸福河湖建设700公里。"), "全域幸福河湖建设700公里")
    assert "条" in unanswered(_q("全域幸福河湖今年建多少条"), rivers)


def test_an_age_in_the_question_is_the_askers_case_and_a_number_is_matched_whole():
    cover = _answer(_passage("70周岁以上户籍老年人意外伤害保险全覆盖。"), "70周岁以上户籍老年人意外伤害保险全覆盖")
    assert unanswered(_q("家里老人75岁了，政府给不给买意外伤害保险"), cover) == ""
    land = _answer(_passage("优先支持10亿元以上制造业重大项目,2025年完成投资8000亿元。"), "优先支持10亿元以上制造业重大项目,2025年完成投资8000亿元")
    assert "5" in unanswered(_q("投资5个亿的制造业项目有啥优先"), land)


def test_a_document_without_a_date_is_named_without_empty_brackets():
    from rag.render import label

    assert label(_passage("某句。", date="")) == "政策文件《指导意见》："
    assert label(_passage("某句。")) == "政策文件《指导意见》（2022-08-30）："


def test_an_articles_label_is_no_figure():
    article = _answer(_passage("第三十条 终止提供服务的,应当制定用户善后处理方案。", kind="law"), "第三十条 终止提供服务的,应当制定用户善后处理方案。")
    assert "数字" in unanswered(_q("终止服务要提前多少天通知用户"), article)


def test_which_cities_needs_cities():
    pilot = _answer(_passage("推进灵活就业人员参加住房公积金制度试点。"), "推进灵活就业人员参加住房公积金制度试点")
    assert "地方" in unanswered(_q("住房公积金制度试点在哪几个城市"), pilot)
    named = _answer(_passage("支持杭州、宁波、温州开展可信数据空间创新发展试点。"), "支持杭州、宁波、温州开展可信数据空间创新发展试点")
    assert unanswered(_q("可信数据空间试点在哪几个城市"), named) == ""


def test_a_chapter_of_long_articles_gives_each_article_a_brief_word():
    from rag.gather import gather

    articles = [
        _passage(
            f"第{n}条 县级以上人民政府应当推进{topic}建设,完善相关制度和标准体系,加强统筹协调和督促检查,"
            "定期评估实施效果并向社会公布,确保各项措施落到实处、取得实效、惠及群众和各类市场主体。"
            "有关部门应当按照职责分工做好相关工作。",
            kind="law", section=f"《条例》 › 第六章 治理数字化 › 第{n}条", chunk_id=f"law#{n}",
        )
        for n, topic in zip("三十六 三十七 三十八 三十九 四十 四十一".split(), ["城市大脑", "智慧养老", "网络交易监测平台", "行政处罚办案系统", "未来社区", "智慧校园"])
    ]
    statements = gather(_q("条例在治理数字化方面规定了哪些内容"), articles)
    text = "".join(st.text for st in statements)
    for topic in ["城市大脑", "智慧养老", "网络交易监测平台", "行政处罚办案系统", "未来社区", "智慧校园"]:
        assert topic in text  # every article is heard
    assert all(st.quoted and st.quoted[0] == st.text for st in statements if st.spans)


@pytest.mark.parametrize(
    "identifier, text, written",
    [
        ("第一次", "2003年6月,浙江召开改革开放后全省第一个工业大会", True),  # occasions: 次 = 个 = 届
        ("第一批", "以首批68家“雄鹰行动”培育企业为主体", True),  # 首 is 第一
        ("第三届", "第三次会议通过", True),
        ("第二批", "以首批68家“雄鹰行动”培育企业为主体", False),
        ("第六十八条", "第六十八个项目", False),  # an article is no occasion
        ("第一条", "首次提出", False),
    ],
)
def test_an_ordinal_is_written_with_any_word_counting_the_same_occasions(identifier, text, written):
    assert identifier_written(identifier, text) is written


def test_a_code_the_question_names_is_written_as_it_is():
    assert identifier_written("5G", "推动5g商用部署") and not identifier_written("6G", "推动5g商用部署")
