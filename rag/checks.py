"""Answerability: may the documents answer this query, and do the chosen statements answer it?

Two checks, both reading values, never answer strings:

- before composing, `gather_evidence` summarises what retrieval found and
  `Evidence.found` decides whether the library speaks to the question at all —
  from signals the index computes for itself (the null level calibrated at build
  time, the rarity of the question's terms in this library);
- after composing, `unanswered` tells whether the statements give what the
  `Query` asks for (the year, the place, a figure, a procedure…); if not the
  answer is withdrawn with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .asking import SHARE, Asks, identifier_written
from .compose import HAS_NUMBER, Statement, headed_years
from .figures import about_subject, asked_of, count_missing, figure_of_subject, has_figure, holds_number, own_numbers, without, written
from .listing import defined_term, lists_members, only_listed, what_is
from .mentions import missing_quote, unknown_names
from .naming import places, tagged
from .query import TITLED, YEAR, years_named
from .retrieval import Passage, Retrieval, Retriever
from .settings import Settings
from .understand import Query


@dataclass(frozen=True)
class Evidence:
    """What retrieval found, summarised for the not-found rule.

    A question is answerable when its best passage matches it clearly better than
    questions on unrelated matters match this index (``relevance``, calibrated per
    index at build time), and either matches very clearly or shares enough of its
    rarer terms with the passages found (``coverage``). A question that names a
    year, place, person or organisation the documents never mention is not
    answerable from them, however close the topic.
    """

    coverage: float  # share of the question's terms (weighted by rarity) found in the top passages
    relevance: float  # best passage's similarity above the index's null level, in null standard deviations
    unknown_years: tuple[str, ...] = ()  # years the documents never mention
    unknown_names: tuple[str, ...] = ()  # places, people, organisations the documents never mention
    # Summed rarity of the question's terms found in the top passages: a short keyword
    # query ("415X", "2.5%") embeds poorly but says exactly what it wants.
    found_weight: float = 0.0
    # Whether the terms are the question's own words: an English question's come from a dictionary's
    # guesses ("population" -> 总体), which all being found proves nothing.
    keywords: bool = True
    # Share of the question's topic (its terms outside its grammar: not "几家", "哪些") found there.
    topic_coverage: float = 0.0

    def found(self, s: Settings) -> bool:
        if self.unknown_years or self.unknown_names:
            return False
        if self.relevance >= s.min_relevance_alone:
            return True
        if max(self.coverage, self.topic_coverage) >= 0.999 and self.found_weight >= s.min_keyword_weight and self.keywords:
            return True
        return self.relevance >= s.min_relevance and self.coverage >= s.min_term_coverage

    @property
    def reason(self) -> str:
        """Why the documents cannot answer, when the question itself shows it."""
        if self.unknown_names:
            return f"文件中没有提到“{self.unknown_names[0]}”。"
        if self.unknown_years:
            return f"文件中没有关于{self.unknown_years[0]}年的内容。"
        return ""


# ---------------------------------------------------------------- before composing


def gather_evidence(retriever: Retriever, retrieval: Retrieval) -> Evidence:
    """Evidence for one search from its passages and the whole index."""
    query, passages = retrieval.query, retrieval.passages
    top = " ".join(p.text + p.section for p in passages[:3]).lower()
    if query.language == "en":
        # Each content word counts once: found when one of its Chinese terms is in the
        # passages, missing when they are not or no vocabulary has a word for it ("passport").
        units = query.english
        found = [max(retriever.idf(t.lower()) for t in u.chinese if t.lower() in top) for u in units if any(t.lower() in top for t in u.chinese)]
        coverage = len(found) / len(units) if units else 0.0
        found_weight = sum(found)
        topic_coverage = 0.0  # its topic is a dictionary's guesses too
    else:
        # Coverage weighted by rarity: "杭州" found and "明天", "下雨" missing is a miss,
        # however many common words ("会") match.
        weights = {t: retriever.idf(t) for t in query.terms}
        total = sum(weights.values())
        found_weight = sum(w for t, w in weights.items() if t in top)
        coverage = found_weight / total if total else 0.0
        # "今年新增雄鹰企业几家": every word of what it is about is found, "几家" being how it asks.
        topic = {t: weights[t] for t in query.topic if t in weights}
        topic_total = sum(topic.values())
        topic_coverage = sum(w for t, w in topic.items() if t in top) / topic_total if topic_total else 0.0
    years = tuple(y for y in query.mentioned_years if y not in retriever.known_text)
    return Evidence(coverage, retrieval.relevance, years, unknown_names(retriever, query), found_weight, query.language != "en", topic_coverage)


# ---------------------------------------------------------------- after composing

# How any Chinese government text names its own country: "我国" is 中国 in every library.
_SELF_NAMES = {"中国": ("我国", "中华人民共和国", "全国")}
_A_SHARE = re.compile(r"\d\s*%|百分点|[\d一二三四五六七八九十]\s*成(?![本果员立为都])|分之|\d\s*/\s*\d|一半|过半|半数")  # how a share is written
# Measure words that count the same things: "多少家创新中心" is answered by "30个", "多少名" by "1000人".
_ALIKE = ("个|家|所|座|项|批|条", "人|名|位|人次", "台|套|辆|艘|架|列")
_COUNTED_ALIKE = {w: group for group in _ALIKE for w in group.split("|")}
# How a policy text states a target, not a result: "到2025年…", "力争…", "每年新增…", "确保…".
_TARGET = re.compile(r"到\s*20\d\d\s*年|力争|目标|每年|确保|预期")
# A question asking which places ("试点在哪几个城市", "哪些县"): the answer must name some.
_PLACE_KINDS = r"(?:城市|地市|设区市|市县|市|县|区县|地区|省份|省)"
_ASKS_PLACES = re.compile(rf"哪(?:些|几个|几座|个){_PLACE_KINDS}|{_PLACE_KINDS}(?:分别)?是哪(?:些|几个|个)")  # "牵头设区市是哪个" too
_A_DATE = re.compile(r"(?:19|20)\d\d|\d{1,2}\s*[月日]|[一二三四五六七八九十]{1,3}月")  # how a year or a date is written
# A figure for part of a year ("1—4月", "1月至9月") does not answer for the whole year.
_PART_OF_YEAR = re.compile(r"\d{1,2}\s*(?:月)?\s*(?:—|-|–|至|到)\s*\d{1,2}\s*月|上半年|前三季度|一季度")
# A figure the question itself names ("68家", "2.5%", "三千亿级"): not dates or ordinals (第二批 is an identifier).
# Not a count of articles either ("30条" is what officials call a document of thirty articles), and
# a Chinese numeral only as a round magnitude ("三千亿级"): "两千一百七十亿" is written 2170亿 in the text.
_QUESTION_NUMBER = re.compile(
    r"(?<![\d.第])\d+(?:\.\d+)?(?:%|万亿|千亿|百亿|亿|万|千)?(?![\d.年月日号条岁]|周岁)"  # not an age: "老人75岁" is the asker's case
    r"|(?<![第一二三四五六七八九十两百千万零〇])[一二三四五六七八九两][千百]?(?:万亿|亿)"
)
# What a quote must contain to give what policy texts rarely hold, and the reason when it does not.
_GIVES = (
    (Asks.PROCEDURE, re.compile(r"申报|申请|办理|流程|手续|提交|所需材料"), "文件中没有写申报或办理的具体程序。"),
    (Asks.CRITERIA, re.compile(r"条件|门槛|认定标准|评定标准"), "文件中没有给出认定条件或标准。"),
    (Asks.MONEY, re.compile(r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十百千两]+)\s*(?:万|亿)?元"), "文件中没有给出具体金额。"),
    (Asks.TOTAL, re.compile(r"合计|共计|总计|总额|总量|累计|总和|(?<!公)共(?![同享建性识治])|全部"), "文件中没有给出合计数。"),
    (Asks.PERSON, re.compile(r"组长|负责人|厅|局|委员会|办公室|牵头|公司|院|部门|政府|机构|单位"), "文件中没有写明具体负责人或部门。"),
)


def unanswered(
    query: Query,
    statements: Sequence[Statement],
    context: Callable[[Passage], str] = lambda p: p.text,
    in_scope: Callable[[str], bool] = lambda place: False,
    rarity: Callable[[str], float] | None = None,
    known: Callable[[str], bool] = lambda term: False,
) -> str:
    """Why the statements do not answer the query after all, or "" when they do.

    The passages may be on the query's topic yet not hold what it asks:
    - a year: every statement that names years names others, or names none and
      its part of the document and its date do not speak of that year;
    - a term the question quotes (“十五五”) that the statements and their sections do not hold;
    - the members of a list whose size the question names, when no statement enumerates them;
    - the whole year, when the statements give figures for some months only;
    - a place the cited passages never mention (湖州's figures against the
      province's), unless the library as a whole is about it (``in_scope``);
    - a figure the question names ("三千亿级") that the statements do not;
    - a figure, when the statements hold no number, or none where they speak of the question's
      rarest term ("启明计划每年引进多少名人才" against "实施“启明计划”等引才工程");
    - what policy texts rarely hold: how to apply, criteria, sums of money, who is in charge.
    ``context`` gives the text a passage is read in (its part of the document); ``known`` whether
    the library writes a word anywhere.
    """
    quoted = " ".join(st.text for st in statements)
    # A figure's year is that of the statements about its subject: "2027年无还本续贷要新增多少" is not
    # answered by 2025's loans beside another document's 2027 goals.
    dated = statements
    if query.asks & Asks.FIGURE and rarity:
        # ... or, when its subject is named otherwise ("中欧班列" for "义新欧"), of the statements with a figure.
        about = [st for st in about_subject(query, statements, rarity) if HAS_NUMBER.search(YEAR.sub("", st.text))]
        dated = about or [st for st in statements if HAS_NUMBER.search(YEAR.sub("", st.text))] or statements
    for year in query.years:
        supported = False
        for st in dated:
            passage, years = st.passage, _years_of(st)
            # A statement without years is read under its headings ("一、2025年主要工作": the report of
            # 2026 looking back), then its part of the document and the document's date.
            headed = headed_years(passage)
            if year in years or (not years and (year in headed if headed else year in passage.part_years or year == passage.doc_date[:4])):
                supported = True
                break
        if not supported:
            return f"找到的相关内容都不是关于{year}年的。"
    if query.members and not lists_members(query, [st.text for st in statements]):
        return "文件中没有列出具体名单。"  # "十大省实验室分别是哪十个" against "完成十大省实验室布局"
    if query.asks & Asks.WHOLE_YEAR and statements:
        # The figures of what is asked about (the statements holding its rarest term), not a neighbour's.
        about = about_subject(query, statements, rarity) if rarity else list(statements)
        if all(_PART_OF_YEAR.search(st.text) for st in about if HAS_NUMBER.search(st.text)):
            return "文件中只有部分月份的数据，没有全年数据。"
    if asked := _periods(query.raw):
        # "1-9月…总量" is not answered by the whole year's figure, nor by January to April's; the unit
        # asked is then looked for in the figures of that period.
        of_period = [st for st in statements if _periods_of(st) & asked and HAS_NUMBER.search(YEAR.sub("", st.text))]
        if not of_period:
            return "找到的相关内容不是这个时段的数据。"
        quoted = " ".join(st.text for st in of_period)
    # The passages quoted from, not only the statements: "深化“凤凰行动”…" may be the sentence before the figure.
    if quote := missing_quote(query, [*(st.passage.text for st in statements), *(st.passage.section for st in statements)]):
        return f"找到的相关内容不是关于“{quote}”的。"
    if (term := defined_term(query)) and not any(term in (st.text + st.passage.section).lower() for st in statements):
        return f"找到的相关内容没有讲“{term}”指什么。"  # "条例里的数字贸易到底指的是啥" against 数字经济's definition
    if (term := what_is(query)) and len(term) >= 2 and only_listed(term, [st.text for st in statements]):
        return f"文件中只是提到“{term}”，没有说明它是什么。"  # "量子计算是什么" against "…人形机器人、量子计算机、…"
    for identifier in query.identifiers:
        if not any(identifier_written(identifier, (st.text + st.passage.section).lower()) for st in statements):
            return f"找到的相关内容不是关于“{identifier}”的。"
    named = _QUESTION_NUMBER.findall(YEAR.sub(" ", query.raw)) if query.language == "zh" else []
    if named:
        hay = (quoted + " ".join(st.passage.section for st in statements)).lower()
        for number in named:
            if not holds_number(hay, number):
                # "打造几个三千亿级产业集群" against "4个五千亿级产业集群": the figure it names is not the one quoted.
                return f"找到的相关内容没有提到“{number}”。"
    # The figures quoted, without those the question gives itself: it asks for another.
    own = own_numbers(query)
    figures = without(quoted, own)
    if query.asks & Asks.FIGURE and not has_figure(figures):
        return "文件中没有给出这方面的具体数字。"
    if query.asks & Asks.FIGURE and rarity is not None and not figure_of_subject(query, statements, rarity, own):
        return "文件中没有给出这方面的具体数字。"
    given = [n for n in named if n in own]
    if query.asks & Asks.FIGURE and given and not any(
        has_figure(without(st.text, own)) and any(holds_number(st.text + st.passage.text, n) for n in given) for st in statements
    ):
        # "48个传统制造业行业增加值涨了多少": the figure must stand with the 48 it is of; "17个重点传统制造业…
        # 增长6.8%" is another subject's, though another statement names the 48 trades.
        return "文件中没有给出这方面的具体数字。"
    if query.unit == SHARE:
        if not _A_SHARE.search(figures):
            return "文件中没有给出这方面的比例。"
    elif query.unit and not re.search(rf"[\d一二三四五六七八九十两百千万亿]\s*(?:[十百千万亿]+)?(?:{_COUNTED_ALIKE.get(query.unit, query.unit)})", figures):
        return f"文件中没有以“{query.unit}”为单位的相关数字。"
    if query.asks & Asks.FIGURE and "实际" in query.raw and "实际" not in quoted:
        # "去年实际整治了多少家" asks what was done; "每年整治提升…5000家" is what is to be done.
        with_figures = [st.text for st in statements if has_figure(without(st.text, own))]
        if with_figures and all(_TARGET.search(t) for t in with_figures):
            return "文件中只有目标，没有实际完成的数字。"
    if _ASKS_PLACES.search(query.raw) and not any(
        p not in query.raw and not in_scope(p) for st in statements for p in places(tagged(st.text, ()))
    ):
        # "试点在哪几个城市" against "推进…试点" naming none; nor is the question's own place ("“浙江制造
        # 天工鼎”授给了哪些市县") or the library's province (浙江省产业基金) a city named in answer.
        return "文件中没有列出具体的地方。"
    for asks, gives, reason in _GIVES:
        said = quoted
        if asks == Asks.PERSON and rarity and query.language == "zh":
            # Who did it is said where it is named: "组长是谁" is not answered by "党委、政府主要领导…" beside
            # "建立省制造业高质量发展领导小组".
            said = " ".join(st.text for st in about_subject(query, statements, rarity))
        if query.asks & asks and not gives.search(said):
            return reason
    if query.asks & Asks.FIGURE and not query.asks & Asks.LIST and count_missing(query, [st.text for st in statements]):
        return "文件中没有给出这方面的个数。"
    if query.asks & Asks.FIGURE and query.language == "zh" and (thing := asked_of(query, known)) and not any(
        written(thing, st.text.lower()) and has_figure(without(st.text, own)) for st in statements
    ):
        # "贡献了全国多少比例的出口额": a figure of what the amount is of, not the 7.2% of 工业增加值 beside it;
        # "5G和6G的理论峰值速率各是多少" is not answered by "推动5G商用部署".
        return f"文件中没有给出“{thing}”的具体数字。"
    if query.asks & Asks.DATE and not query.asks & Asks.RECORD:
        # "中期评估定在哪一年" is answered by a year or a date written where its subject is named, not
        # by a neighbour's ("展望2035年…"); a year in a title ("《…2035年远景目标纲要》") names a document.
        about = about_subject(query, statements, rarity) if rarity and query.language == "zh" else statements
        if not any(_A_DATE.search(TITLED.sub("", st.text)) for st in about):
            return "文件中没有写明时间。"
    return missing_place(query, statements, context, in_scope)


def missing_place(
    query: Query, statements: Sequence[Statement], context: Callable[[Passage], str], in_scope: Callable[[str], bool]
) -> str:
    """Why the statements are not about a place the question names ("上海市数据条例什么时候施行"
    against the Zhejiang regulation), or "": the library's own province needs no mention."""
    # An English question's places by their Chinese names ("Hangzhou": 杭州).
    asked = [(place, (place,)) for place in query.places] + [(word, chinese) for word, chinese in query.english_places]
    for place, chinese in asked:
        if any(in_scope(c) for c in chinese):
            continue  # the library's own province: every passage speaks of it
        names = [n for c in chinese for n in (c, *_SELF_NAMES.get(c, ()))]
        # A city or province must be named where the statement stands ("Hangzhou" is not answered by the
        # province's target because its part of a report mentions 杭州 elsewhere); the country, which a
        # national text calls 我国 now and then, in the statement's part of the document.
        where = context if any(c in _SELF_NAMES for c in chinese) else (lambda p: p.text)
        if not any(n in where(st.passage) + st.passage.section + st.passage.doc_title for st in statements for n in names):
            return f"找到的相关内容没有专门讲“{place}”的。"
    return ""


_MONTH_RANGE = re.compile(r"(\d{1,2})\s*月?\s*(?:—|-|–|~|至|到)\s*(\d{1,2})\s*月")
_NAMED_PERIODS = {"一季度": (1, 3), "第一季度": (1, 3), "上半年": (1, 6), "前三季度": (1, 9)}


def _periods_at(text: str) -> list[tuple[int, tuple[int, int]]]:
    """(where, (first month, last month)) for each part of a year a text names: "1月至9月", "1-9月", "前三季度"."""
    named = [(m.start(), (int(m.group(1)), int(m.group(2)))) for m in _MONTH_RANGE.finditer(text)]
    named += [(text.rfind(name), span) for name, span in _NAMED_PERIODS.items() if name in text]
    return [(at, (a, b)) for at, (a, b) in named if 1 <= a < b <= 12]


def _periods(text: str) -> set[tuple[int, int]]:
    """The parts of a year a text names, as (first month, last month)."""
    return {span for _, span in _periods_at(text)}


def _periods_of(st: Statement) -> set[tuple[int, int]]:
    """The parts of a year a statement speaks of: its own, else the last one named before it in its
    paragraph ("1月至9月,全省规上工业增加值增长5.5%,…数字经济核心产业增加值增长10.2%")."""
    own = _periods(st.text)
    if own or not st.spans:
        return own
    text = st.passage.text
    start, end = st.spans[0][0], st.spans[-1][1]
    named = _periods_at(text[text.rfind("\n", 0, start) + 1 : end])
    return {max(named)[1]} if named else set()


def _years_of(st: Statement) -> set[str]:
    """The years a statement speaks of: its own, else the last one written before it in its paragraph
    ("2023年,全省工业增加值…。规上工业增加值同比增长6%"), never those of 《titles》."""
    own = set(years_named(st.text))
    if own or not st.spans:
        return own
    text = st.passage.text
    start = st.spans[0][0]
    found = years_named(text[text.rfind("\n", 0, start) + 1 : start])
    return {found[-1]} if found else set()
