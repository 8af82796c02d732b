"""Question understanding on inline questions: no corpus, no model, no index."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from rag.errors import InputError
from rag.index import DocumentInfo
from rag.query import Vocabulary
from rag.understand import Asks, Catalog, understand

DOCS = (
    DocumentInfo("guideline-2022", "浙江省人民政府关于高质量发展建设全球先进制造业基地的指导意见", "浙江省人民政府", "policy", "2022-08-30", 38),
    DocumentInfo("opinions-2020", "关于以新发展理念引领制造业高质量发展的若干意见", "中共浙江省委、浙江省人民政府", "policy", "2020-03-16", 33),
    DocumentInfo("speech-2024", "聚焦重点 攻坚突破 奋力谱写全球先进制造业基地建设新篇章", "浙江省领导", "speech", "2024", 35),
)
VOCAB = Vocabulary(words=("山区26县", "研发经费"), glossary={"r&d": ("研发",), "target": ("目标",)}, synonym_map={"卖地收入": ("土地出让收入",)})
CATALOG = Catalog(DOCS, VOCAB)
PREVIOUS = "到2025年规上工业企业研发经费占营业收入比重要达到多少？"


@dataclass(frozen=True)
class _Earlier:  # an earlier Answer, as far as understanding reads it
    question: str
    found: bool
    query: object = None


def test_a_follow_up_naming_a_document_asks_the_previous_question_of_it():
    q = understand("2020年的文件怎么说？", [PREVIOUS], CATALOG)
    assert q.documents == ("opinions-2020",) and "研发经费" in q.text
    assert q.inherited and q.inherited.kept == "whole" and "按上一问理解为" in q.inherited.reason
    q = understand("讲话里怎么说？", [PREVIOUS], CATALOG)
    assert q.documents == ("speech-2024",) and "研发经费" in q.text


def test_a_follow_up_with_a_subject_of_its_own_keeps_only_the_time_and_what_was_asked():
    q = understand("山区26县呢？", [PREVIOUS], CATALOG)
    assert q.documents == () and q.inherited.kept == "time and ask"
    assert "山区26县" in q.text and "2025年" in q.text and "多少" in q.text
    assert "研发经费" not in q.text
    # "X呢，…" too, its own ask after the comma
    q = understand("园区呢，要建几个", ["到2025年绿色低碳工厂要建多少家"], CATALOG)
    assert q.inherited and q.inherited.kept == "time and ask" and "2025年" in q.text and "工厂" not in q.text


def test_a_follow_up_opening_with_na_asks_something_new_of_the_previous_question():
    # "那…" with nothing of the previous question's time or ask to lend is read with it whole
    q = understand("那归哪个部门管，是通信管理局吗？", ["新建楼盘不预留基站站址会怎么处理？"], CATALOG)
    assert q.inherited and q.inherited.kept == "whole" and "基站站址" in q.text and "按上一问理解为" in q.inherited.reason
    # ... but "X呢？" with nothing to lend asks X, not the previous question
    assert understand("山区26县呢？", ["新建楼盘不预留基站站址会怎么处理？"], CATALOG).inherited is None


@pytest.mark.parametrize(
    "question",
    [
        "浙江要打造哪4个世界级先进产业群，每个集群的发展目标分别是什么？",  # long and complete
        "2023年全省工业增加值是多少？",  # complete, with a year: not restricted to that year's documents
        "山区26县规上工业增加值目标是多少？",
        "制造业30条里提出要打造哪十条标志性产业链？",  # "哪十条" asks; "30条" names a document, it does not point back
    ],
)
def test_a_question_that_stands_alone_inherits_nothing(question):
    q = understand(question, [PREVIOUS], CATALOG)
    assert q.inherited is None and "研发经费" not in q.text.replace(question, "")
    assert q.documents == () or "2023" not in question


def test_nothing_is_inherited_from_a_refused_question_or_without_history():
    refused = _Earlier(PREVIOUS, found=False)
    assert understand("山区26县呢？", [refused], CATALOG).inherited is None
    assert understand("山区26县呢？", [], CATALOG).inherited is None
    answered = _Earlier(PREVIOUS, found=True)
    assert understand("山区26县呢？", [answered], CATALOG).inherited is not None


@pytest.mark.parametrize("history", ["上一个问题", [1], [{"role": "user"}], 5])
def test_bad_history_is_an_input_error_that_says_what_history_is(history):
    with pytest.raises(InputError, match="history"):
        understand("山区26县呢？", history, CATALOG)


def test_what_is_asked():
    assert understand("研发经费占比要达到多少？", catalog=CATALOG).asks & Asks.FIGURE
    assert not understand("要打造哪几个产业群？", catalog=CATALOG).asks & Asks.FIGURE  # a list, not a figure
    assert understand("要打造哪几个产业群？", catalog=CATALOG).asks & Asks.LIST
    # what the several are, not how many; "分别是多少" still asks figures
    several = understand("到2035年浙江要成为什么？几个定位分别是啥", catalog=CATALOG).asks
    assert several & Asks.LIST and not several & Asks.FIGURE
    assert understand("两个指标分别是多少", catalog=CATALOG).asks & Asks.FIGURE
    assert understand("未来工厂怎么申报？", catalog=CATALOG).asks & Asks.PROCEDURE
    assert understand("违停罚单在网上怎么交？", catalog=CATALOG).asks & Asks.PROCEDURE
    assert understand("How do I renew my driving licence?", catalog=CATALOG).asks & Asks.PROCEDURE
    assert understand("2024年全年技改投资增长多少", catalog=CATALOG).asks & Asks.WHOLE_YEAR
    assert understand("对专精特新企业有哪些支持？", catalog=CATALOG).asks & Asks.BROAD
    # told, not asked: "几个光伏项目" in the first clause
    assert not understand("我们县今年上了几个光伏项目，新增绿电会不会算进考核？", catalog=CATALOG).asks & Asks.FIGURE
    # ... but a last clause of a word or two is an afterthought to the question before it
    assert understand("低保标准今年要涨到多少，每月", catalog=CATALOG).asks & Asks.FIGURE
    assert not understand("今年要涨到多少，说说看哪几个", catalog=CATALOG).asks & Asks.FIGURE


def test_record_questions_name_the_fields_they_ask_for():
    q = understand("指导意见是什么时候印发的？", catalog=CATALOG)
    assert q.asks & Asks.RECORD and q.documents == ("guideline-2022",) and q.record_fields == ("issued",)
    q = understand("指导意见的抄送单位有哪些？", catalog=CATALOG)
    assert q.asks & Asks.RECORD and q.record_fields == ("copied",)
    # without a document named, a date question is about content
    assert not understand("什么时候实施的？", catalog=CATALOG).asks & Asks.RECORD


def test_outline_only_when_nothing_but_the_structure_is_asked():
    assert understand("指导意见的主要任务有哪些？", catalog=CATALOG).asks & Asks.OUTLINE
    assert not understand("指导意见里山区26县的主要任务？", catalog=CATALOG).asks & Asks.OUTLINE


def test_years_that_name_a_document_are_neither_periods_nor_content():
    q = understand("2022年的指导意见里，2025年山区26县目标是多少", catalog=CATALOG)
    assert q.years == ("2025",) and set(q.mentioned_years) == {"2022", "2025"}
    assert "山区26县" in q.terms and not {"意见", "指导意见", "2022"} & set(q.terms)


def test_english_terms_are_kept_apart_from_the_question():
    q = understand("What is the R&D target?", catalog=CATALOG)
    assert q.language == "en" and q.text == "What is the R&D target?"
    assert set(q.expansion) == {"研发", "目标"} and {"研发", "目标"} <= set(q.terms)
    assert "研发" in q.search_text and "研发" in q.plain_text
    assert [u.english for u in q.english] == ["r&d", "target"]


def test_everyday_wording_gets_the_documents_words_for_search():
    q = understand("卖地收入能用在哪", catalog=CATALOG)
    assert q.expansion == ("土地出让收入",) and "土地出让收入" in q.search_text and q.text == "卖地收入能用在哪"


def test_markup_is_not_part_of_a_question():
    assert understand("<b>研发经费</b>目标", catalog=CATALOG).text == "研发经费目标"
    with pytest.raises(InputError, match="HTML"):
        understand("<img src=x>", catalog=CATALOG)


def test_a_follow_up_after_a_question_at_the_limit_stays_within_it():
    long_previous = "研发经费" * 490 + "是多少？"
    q = understand("山区26县呢？", [long_previous], CATALOG, max_chars=2000)
    assert len(q.text) <= 2000 and "山区26县" in q.text


@pytest.mark.parametrize(
    "question, broad",
    [
        ("对专精特新企业有哪些支持？", True),
        ("山区26县怎么发展", True),
        ("数字经济发展规划的主要目标是什么？", True),
        ("讲话里绿色低碳具体怎么做", True),
        ("意见怎么增强企业活力", True),
        ("规定里国家在发展促进方面支持鼓励些什么", True),
        ("指导意见在金融支持上有什么说法", True),
        ("研发经费占比目标是多少？", False),
        ("指导意见是哪天印发的？", False),
    ],
)
def test_broad_questions_are_told_from_single_facts(question, broad):
    assert bool(understand(question, catalog=CATALOG).asks & Asks.BROAD) is broad


def test_the_topic_leaves_out_the_words_that_say_what_is_asked():
    q = understand("绿色低碳要取得新成效具体怎么做", catalog=CATALOG)
    assert "具体" not in q.topic and "绿色" in q.topic and all(len(t) >= 2 for t in q.topic)
    assert understand("产量要达到多少万吨", catalog=CATALOG).unit == "吨"
    # a share asked for, whichever side of its noun the question word stands
    assert understand("出口额占全国的比重是多少", catalog=CATALOG).unit == "%"
    assert understand("贡献了全国多少比例的出口额", catalog=CATALOG).unit == "%"
    assert understand("出口额有多少", catalog=CATALOG).unit == ""


def test_a_short_question_without_a_subject_of_its_own_continues_the_previous_one():
    q = understand("从哪天起施行？", ["浙江省数字经济促进条例是什么时候通过的？"], CATALOG)
    assert q.inherited is not None and q.inherited.kept == "whole" and "数字经济促进条例" in q.text
    assert understand("研发经费 山区26县", [PREVIOUS], CATALOG).inherited is None  # keywords of its own


def test_a_title_the_library_does_not_hold_is_kept_apart():
    q = understand("被废止的《浙江省信息化促进条例》是哪天通过的？", catalog=CATALOG)
    assert q.other_titles == ("浙江省信息化促进条例",)
    assert understand("《关于以新发展理念引领制造业高质量发展的若干意见》是谁发的？", catalog=CATALOG).other_titles == ()


def test_a_lone_surrogate_is_not_part_of_a_question():
    q = understand("研发\ud800经费", catalog=CATALOG)
    assert q.text == "研发经费" and "\ud800" not in q.search_text


def test_a_question_pointing_back_with_duiying_inherits_even_when_it_names_a_document():
    q = understand("2020年那份若干意见里对应的是哪几个集群？", ["2022年指导意见中打造的4个世界级先进产业群是哪几个？"], CATALOG)
    assert q.inherited is not None and q.documents == ("opinions-2020",) and "世界级先进产业群" in q.text


@pytest.mark.parametrize(
    "question, year, years",
    [("22年那份指导意见怎么说？", "2022", ()), ("22年全省工业增加值到多少了", "2022", ("2022",)), ("到25年底要建成多少家？", "2025", ("2025",))],
)
def test_a_two_digit_year_is_read_as_the_year(question, year, years):
    query = understand(question, catalog=CATALOG)
    assert f"{year}年" in query.text and query.years == years  # the first names a document, not a period


@pytest.mark.parametrize("question", ["过去20年浙江制造业变化大吗？", "20年间产业有什么变化？", "未来10年怎么发展？", "10年来取得了哪些成绩？"])
def test_a_span_of_years_is_not_a_year(question):
    query = understand(question, catalog=CATALOG)
    assert query.mentioned_years == () and "年" in query.text and not any(f"20{d}年" in query.text for d in ("10", "20"))


@pytest.mark.parametrize(
    "question, place",
    [("深山老林里手机没信号，卫星直连能用吗？", None), ("在国外买的手机带回国要申报吗？", None), ("湖州的研发投入目标是多少？", "湖州"), ("江苏省有什么政策？", "江苏")],
)
def test_only_proper_names_are_places(question, place):
    # jieba tags everyday words as places ("回国", "深山老林"); the dictionary says which are names.
    query = understand(question, catalog=CATALOG)
    assert query.places == ((place,) if place else ())


@pytest.mark.parametrize("question", ["想申请省级概念验证中心，要啥条件、怎么报？", "评选省级企业技术中心需要满足哪些条件？"])
def test_colloquial_criteria_and_procedures_are_asked_for(question):
    assert understand(question, catalog=CATALOG).asks & Asks.CRITERIA


def test_a_follow_up_naming_only_another_year_asks_the_previous_question_of_that_year():
    query = understand("那2035年呢？", ["规划里2025年核心产业增加值占比目标是多少？"], catalog=CATALOG)
    assert query.years == ("2035",) and "2025" not in query.text and "核心产业" in query.text
    assert query.inherited is not None and query.inherited.reason.startswith("按上一问理解为")


def test_a_follow_up_naming_another_year_with_words_of_its_own_replaces_the_previous_year():
    query = understand("那2026年要新增多少家", ["2025年浙江新增了多少家专精特新小巨人企业"], catalog=CATALOG)
    assert query.years == ("2026",) and "专精特新" in query.text and "要新增" in query.text
    assert "2025" not in query.inherited.reason
    # with a subject of its own, the previous question's year is not carried beside its own
    query = understand("山区26县呢，2026年新增多少家", ["2025年全省新增了多少家规上工业企业"], catalog=CATALOG)
    assert query.years == ("2026",) and "山区26县" in query.text


def test_a_follow_up_saying_last_year_asks_the_previous_question_of_that_year():
    import datetime

    last = str(datetime.date.today().year - 1)
    query = understand("去年呢？", ["2026年浙江要新增多少个未来产业先导区？"], catalog=CATALOG)
    assert query.years == (last,) and "先导区" in query.text and query.inherited.kept == "time"
    # with words of its own they are asked of the previous question, of that year
    query = understand("那去年实际新增了多少？", ["2026年城镇新增就业目标是多少？"], catalog=CATALOG)
    assert query.years == (last,) and "城镇新增就业" in query.text and "实际" in query.text
    # a year written with two digits in the previous question is a year
    query = understand("那今年打算开多少", ["义新欧班列25年开了多少趟？"], catalog=CATALOG)
    assert query.years == (str(datetime.date.today().year),) and "义新欧班列" in query.text


def test_a_region_jieba_tags_a_noun_is_a_place_the_dictionary_names():
    assert "京津冀" in understand("科技创新券在京津冀地区能否通用", catalog=CATALOG).places
    assert "珠三角" in understand("珠三角的企业能用吗", catalog=CATALOG).places
    assert understand("数字经济核心产业增加值是多少", catalog=CATALOG).places == ()


def test_an_english_question_names_places_by_the_dictionary():
    lishui = understand("What is the 2025 target for above-scale industrial value added in Lishui city?", catalog=CATALOG)
    assert [w for w, _ in lishui.english_places] == ["Lishui"] and "丽水" in lishui.english_places[0][1]
    assert understand("How fast did value added grow from January to September?", catalog=CATALOG).english_places == ()
    assert understand("In Lan Jianping's commentary, how many workshops?", catalog=CATALOG).english_places == ()  # a person
    # an abbreviation in capitals is a place wherever it stands; "us" is a pronoun
    us = understand("What do the US FCC rules say about satellite phones?", catalog=CATALOG)
    assert [w for w, _ in us.english_places] == ["US"] and "美国" in us.english_places[0][1]
    assert understand("Can you tell us the 2025 target?", catalog=CATALOG).english_places == ()


LAWS = Catalog(
    (
        DocumentInfo("regulation", "浙江省数字经济促进条例", "浙江省人民代表大会常务委员会", "law", "2020-12-24", 60),
        DocumentInfo("satellite", "终端设备直连卫星服务管理规定", "国家互联网信息办公室", "law", "2025-04-23", 41),
        DocumentInfo("plan", "“十四五”数字经济发展规划", "国务院", "policy", "2021-12-12", 40),
    ),
    Vocabulary(words=(), glossary={"terminal": ("终端",), "satellite": ("卫星",), "digital economy": ("数字经济",)}, synonym_map={}),
)


def test_a_document_is_named_by_its_count_of_numbered_parts():
    # Three documents called 意见; only the 2020 opinions has thirty numbered parts ("制造业30条").
    opinions = Catalog(
        (
            dataclasses.replace(DOCS[0], items=37),
            dataclasses.replace(DOCS[1], items=30),
            DocumentInfo("miit", "关于推动未来产业创新发展的实施意见", "工业和信息化部等七部门", "policy", "2024-01-18", 30, items=16),
        ),
        VOCAB,
    )
    assert understand("30条意见的发展目标是什么", catalog=opinions).documents == ("opinions-2020",)
    assert understand("那个30条里说制造业增加值占比要保持多少", catalog=opinions).documents == ("opinions-2020",)
    assert "opinions-2020" not in understand("第30条讲什么", catalog=opinions).documents  # an article, not a count
    assert understand("民营经济32条有哪些条款", catalog=opinions).documents == ()  # no document of 32 parts


def test_an_english_question_names_a_document_by_the_chinese_words_of_its_title():
    # "rules" names both rules; the words of one title (终端, 卫星) tell which
    q = understand("When do the rules on terminal devices connecting to satellites take effect?", catalog=LAWS)
    assert q.documents == ("satellite",) and q.asks & Asks.RECORD and q.record_fields == ("effective",)
    q = understand("Under the Zhejiang digital economy regulation, what must agencies promote?", catalog=LAWS)
    assert q.documents == ("regulation",)
    # one shared word (数字经济) names no document
    assert understand("What does the digital economy need?", catalog=LAWS).documents == ()


def test_an_everyday_word_that_is_also_a_place_name_is_not_a_place():
    # 新建 is "newly built" and a county of Nanchang: no sure name
    assert understand("到2025年新建创新中心多少家", catalog=CATALOG).places == ()
    assert understand("湖州规上工业增加值多少", catalog=CATALOG).places == ("湖州",)


def test_a_place_given_as_an_example_of_a_kind_is_not_asked_about():
    q = understand("企业想在上海、深圳这些大城市设个研发点，省里支不支持？", catalog=CATALOG)
    assert q.places == () and q.names == ()
    assert understand("像杭州这样的城市有什么政策", catalog=CATALOG).places == ()
    assert "上海" in understand("上海的研发点有什么支持", catalog=CATALOG).places  # named, not an example


def test_a_unit_asked_in_english_is_the_units_chinese():
    assert understand("What is the 2026 cargo throughput target in tonnes for the port?", catalog=CATALOG).unit == "吨"
    assert understand("How much was core industry value added in 2023, in yuan?", catalog=CATALOG).unit == "元"
    assert understand("What is the target in 2025?", catalog=CATALOG).unit == ""  # a year, no unit


@pytest.mark.parametrize("question", ["浙政发〔2022〕23号是哪天印发的？", "浙政发[2022]23号 谁发的", "浙政发（2022）23号的主送单位"])
def test_a_document_number_names_its_document_whatever_brackets_it_is_written_with(question):
    catalog = dataclasses.replace(CATALOG, numbers=(("浙政发〔2022〕23号", "guideline-2022"),))
    query = understand(question, catalog=catalog)
    assert query.documents == ("guideline-2022",)
    assert understand(question, catalog=CATALOG).documents == ()  # without the number in any record, none
