"""What a question asks for: the kind of answer (`Asks`), the unit of its figure, the size of the
list it names, and which of its words are grammar rather than topic.

Read from the question's grammar — "多少", "哪些", "怎么申报", "什么时候印发" — in Chinese and
English, never from the documents' words; `rag.understand` puts the results in the `Query`.
"""

from __future__ import annotations

import enum
import re
from typing import Sequence

from .query import YEAR


class Asks(enum.Flag):
    """What kind of answer a question asks for (several may hold)."""

    NOTHING = 0
    FIGURE = enum.auto()  # "多少", "比重", "how many": answered by a number
    LIST = enum.auto()  # "哪些", "分别", "list": the whole list beats one item
    WHOLE_YEAR = enum.auto()  # "全年": a figure for some months does not answer
    PROCEDURE = enum.auto()  # "怎么申报": an application procedure
    CRITERIA = enum.auto()  # "认定条件": eligibility criteria
    MONEY = enum.auto()  # "补贴多少钱": a sum of money
    PERSON = enum.auto()  # "负责人是谁": a person or office in charge
    RECORD = enum.auto()  # "什么时候印发", "主送": the document's own record
    OUTLINE = enum.auto()  # "主要任务有哪些方面": the parts of a named document
    BROAD = enum.auto()  # "有哪些支持", "主要目标是什么": gather a section's points
    TOTAL = enum.auto()  # "加起来一共多少", "总额": a figure stated as a total
    DATE = enum.auto()  # "哪年", "什么时候", "when": answered by a year or a date


# Each pattern with the reason it is there. They are questions' grammar, not the documents' words.
_LIST = re.compile(  # asks for several items
    r"哪些|哪几|哪[0-9一二三四五六七八九十两]+|有啥|些啥|几个(?!百分点)|几项|几大|分别|包括|列举|有什么措施|举措"
    r"|(?<![第\d一二三四五六七八九十两百])[一二三四五六七八九十两\d]+(?:个(?!百分点)|项|大|方面|战|条|类|种)"  # not "第二十条"
    r"|\bwhich\b|\bwhat are\b|\blist\b|\bwhat measures\b",
    re.I,
)
_QUANTITY = re.compile(  # asks for a figure
    r"多少|几[个项家条名亩成倍]|多大|多高|多快|比例|比重|占比|百分之|排第几|第几"
    r"|how (?:many|much|large|big|fast)|what (?:share|percentage|proportion|level)|\bratio\b",
    re.I,
)
# A unit of measure asked for ("产量多少万吨", "投资多少亿元"): the answer's figure must be in it.
# A count asked with its measure word ("多少亿户", "多少家", "多少标箱") is a unit too: 4.6亿 active users
# is no count of households. (Not 个: "几个" is asked of anything.)
UNITS = r"元|美元|吨|千瓦时|千瓦|瓦|亩|平方公里|平方米|公里|立方米|辆|标准煤|户|家|人次|人|名|位|所|座|台|套|艘|架|列|标箱|项|条|天"
_ASKED_UNIT = re.compile(rf"(?<!第)(?:多少|几)\s*(?:[十百千万亿]+)?({UNITS})")  # "第几名" is a rank
# The same asked in English ("…value added in 2023, in yuan?", "target in tonnes"): the unit's Chinese.
_ENGLISH_UNITS = {"yuan": "元", "tonnes": "吨", "tons": "吨", "kilowatts": "千瓦", "kilowatt-hours": "千瓦时", "mu": "亩", "teu": "标箱", "us dollars": "美元", "dollars": "美元"}
_ASKED_UNIT_EN = re.compile(rf"\bin (?:(?:billions?|millions?|trillions?|hundreds of millions) of )?({'|'.join(_ENGLISH_UNITS)})\b", re.I)
# A share asked for ("百分之几", "占比多少", "what percentage"): its figure is a percentage, 成 or 分之.
SHARE = "%"
_ASKED_SHARE = re.compile(
    r"百分之(?:几|多少)|百分比|几成|(?:占比|比重|比例)(?:是|为|有|达到?|要到|到了?)?(?:多少|几)|(?:多少|多大)的?(?:比例|比重|占比)"
    r"|what (?:share|percentage|proportion)",
    re.I,
)
# "哪几个" is a list, not a figure; so is "几个定位分别是啥" (what the several are, not how many).
_ASKS_WHICH = re.compile(r"哪些|哪几|哪[一二三四五六七八九十两\d]+[个项条大类种方]|(?:分别|都|各)是(?:什么|啥|哪)")
_TOTAL = re.compile(r"合计|加起来|总共|一共|总额|总和|总计|in total|combined|altogether", re.I)
# "一共有几个新区" asks how many there are, which a count answers ("7个省级新区"); a total is a sum.
_COUNT = re.compile(r"(?:一共|总共)(?:有|是)?(?:几|多少)\s*[个家项条所座批类种]")
_WHOLE_YEAR = re.compile(r"全年|整年|full[- ]year|whole year", re.I)
_PROCEDURE = re.compile(
    r"(?:怎么|如何|怎样|咋)(?:申报|申请|办理|报名|登记|交|缴|缴纳|预约|挂号|领取|补办|换发|续签|报(?![道告]))|(?:去|到|在)哪(?:里|儿|家)?(?:申报|申请|办理|报名|登记|办|交|缴|预约|做|领)|找哪个部门"
    r"|(?:办理|申报|申请|什么|哪些)(?:的)?(?:流程|手续)|(?:流程|手续)(?:是什么|有哪些|怎么走)"
    r"|需要(?:准备|提交)?(?:哪些|什么)材料|how (?:do|can|to|should|does|would) (?:\w+ ){0,3}(?:apply|register|renew|pay|book|file for)"
    r"|application (?:process|procedure)|procedure",
    re.I,
)
_CRITERIA = re.compile(
    r"(?:认定|评定|申报|申请|入选|评选|评审)[^，。？?,]{0,6}(?:条件|标准|门槛)|(?:要|需要|得|满足)(?:啥|什么|哪些)(?:条件|门槛|资格)"
    r"|\bcriteria\b|eligib|qualif",
    re.I,
)
_MONEY = re.compile(
    r"多少钱|(?:奖励|补贴|补助|资助|奖补|扶持)(?:资金)?(?:多少|几)|多少[^，,。？?]{0,6}(?:补贴|补助|奖励|奖金|资助|奖补)|奖补|金额"
    r"|how much (?:money|subsidy|funding|reward|support)|subsid",
    re.I,
)
# An identifier the question names — an ordinal (第二批, 第三届) or a numbered article (第六十八条):
# the answer must be about that one, not its neighbour.
IDENTIFIER = re.compile(r"第[一二三四五六七八九十百零〇两\d]+(?:批|届|轮|期|次|条|章|节|款|项|编)")
# Words counting occasions say the same ordinal ("第一次全省工业大会" is the text's "第一个工业大会"),
# and 首 is 第一 ("首批", "首次").
_OCCASION = "次届轮期个"


def identifier_written(identifier: str, text: str) -> bool:
    """Whether ``text`` (lower-cased) writes ``identifier`` ("第二批", "第六十八条", "5G"), or the same
    ordinal of an occasion."""
    identifier = identifier.lower()
    if identifier in text:
        return True
    if not IDENTIFIER.fullmatch(identifier):
        return False  # a code ("5G") is written as it is
    number, measure = identifier[1:-1], identifier[-1]
    measures = _OCCASION if measure in _OCCASION else measure
    return bool(re.search(rf"第{re.escape(number)}[{measures}]", text)) or (number == "一" and bool(re.search(f"首[{measures}]", text)))


# A code of letters and digits ("5G", "IPv6", "415X", "PM2.5") names one thing exactly; not an ordinal ("14th").
CODE = re.compile(r"(?<![A-Za-z0-9.])(?=[A-Za-z0-9.+]*\d)(?=[A-Za-z0-9.+]*[A-Za-z])(?![0-9]+(?:st|nd|rd|th)\b)[A-Za-z0-9.+]{2,12}(?![A-Za-z0-9])")
_DATE = re.compile(r"哪一?年|哪一?天|什么时候|啥时候|何时|什么时间|几月|几号|\bwhen\b|\bwhat (?:year|date)\b|\bwhich year\b", re.I)
_PERSON = re.compile(r"是谁|组长|负责人|哪个(?:厅|局|部门|单位)|^who\b|who (?:is|was|are|leads|heads|chairs)\b", re.I)
_BROAD = re.compile(  # asks for what a section gathers, not one fact
    r"(?:有|采取了?|提出了?|出台了?|作出了?|取得了?)(?:哪些|什么|啥)(?:支持|政策|措施|举措|任务|要求|规定|保障|重点|方向|安排|部署|做法|成绩|成效|亮点|目标)"
    r"|(?:目标|任务|措施|举措|要求|重点|方向|安排|部署)(?:都|主要|分别)?(?:是|有)(?:什么|啥|哪些)|(?:支持|鼓励|规定|要求)(?:了)?些(?:啥|什么)|(?:有|是)(?:什么|啥|哪些)说法"  # colloquial: "目标是啥"
    r"|主要(?:目标|任务|内容|措施|举措)|具体(?:指|是)什么|(?:具体)?(?:怎么|如何|怎样)(?:做|干|办)\b|(?:具体)?(?:怎么|如何)(?:做|干)"
    r"|(?:怎么|如何|怎样)(?!办理|申报|申请|报名|登记|样)(?:[\u4e00-\u9fff]{0,2})(?:发展|推进|推动|建设|支持|培育|打造|实施|落实|抓|促进|加快|加强|增强|强化|完善|深化|汇聚|提升|布局|安排|优化|升级|保障|治理|管理|规范|监管|改革)"
    r"|what (?:support|measures|steps|actions|are the main)|how (?:will|does|do|is|are|should) .{0,60}(?:develop|promote|support|build|cultivate|boost)",
    re.I,
)
# The record of a document (who issued it, when, to whom) rather than its content.
_RECORD_FIELDS = {
    # When it was signed, issued or published (a report or speech: given); 施行 and 通过 are asked apart.
    "issued": re.compile(
        r"(?:什么时候|啥时候|何时|哪(?:一)?(?:年|天|月))(?:发布|印发|出台|公布|签发|发的|出的|发表|讲的|写的|作的|做的)"
        r"|(?:发布|印发|签发|成文|出台)(?:时间|日期)|(?<!施行)(?<!实施)(?<!生效)(?<!通过)日期(?:$|[\s，,、?？])|when (?:was|were|did) .{0,120}(?:issued|published|released|signed|written|given|delivered)",
        re.I,
    ),
    "effective": re.compile(
        r"(?:什么时候|啥时候|何时|哪(?:一)?天)(?:起|开始)?(?:施行|实施|生效)|(?:从|自)(?:哪(?:一)?天|啥时候|什么时候)(?:起|开始)"
        r"|(?:施行|实施|生效)(?:时间|日期)|when .{0,120}(?:take effect|come into (?:force|effect)|effective)",
        re.I,
    ),
    "adopted": re.compile(r"(?:什么时候|啥时候|何时|哪(?:一)?(?:年|天))[^。？?]{0,10}通过|通过(?:时间|日期)|when .{0,120}(?:adopted|passed)", re.I),
    "venue": re.compile(r"哪(?:一)?(?:次|届|个)会议?|在(?:什么|啥)会(?:议)?上|at (?:which|what) (?:meeting|session)", re.I),
    "issuer": re.compile(
        r"(?:哪个|哪些|哪几个|哪[一二三四五六七八九十两]+个|什么)(?:部门|单位|机关|机构)(?:发布|印发|出台|制定|联合|发的|出的)|谁(?:发布|印发|发的|写的|讲的|出的|作的|做的)"
        r"|发文(?:机关|单位)|作者是谁|是谁写的|who (?:issued|published|wrote|signed|authored|delivered|gave)",
        re.I,
    ),
    "number": re.compile(r"文号|发文字号|字号|document number", re.I),
    # How many articles (numbered parts) it has: "条例一共有多少条" (not "…建设多少条铁路").
    "items": re.compile(r"(?:一共|总共|共)?有?(?:多少|几)条[？?]?$|条数|how many articles", re.I),
    "recipients": re.compile(r"主送|发给(?:哪些|谁)|addressed to", re.I),
    "copied": re.compile(r"抄送|copied to", re.I),
    "title": re.compile(r"全称|(?:文件|文章)(?:名称|标题|题目)|full (?:title|name)", re.I),
    "source": re.compile(r"来源|出处|网址|原文链接|where .{0,30}published", re.I),
    "repeals": re.compile(r"废止|失效|取代|替代|repeal|supersede", re.I),
}
_CONTENTS = re.compile(
    r"主要内容|主要任务|重点任务|主要措施|(?:哪些|哪几个|几个|几)(?:部分|章节|章)|框架|结构|目录|提纲"
    r"|main (?:tasks|contents|parts|sections|points)|(?:what|which) (?:parts|sections|chapters)|outline|structure",
    re.I,
)


def wants_figure(text: str) -> bool:
    """A question answered by a figure. Only its last clause is read: "我们县今年上了几个光伏项目，
    …会不会算进考核？" tells how many projects, it does not ask; "哪几个" asks for a list."""
    last = _last_clause(text)
    return bool(_QUANTITY.search(last)) and not _ASKS_WHICH.search(last)


AFTERTHOUGHT = 4  # characters: a last clause this short ("…要涨到多少，每月") adds to the question before it


def _last_clause(text: str) -> str:
    clauses = re.split(r"[,，;；。]", text.strip().rstrip("?？!！。"))
    if len(clauses) >= 2 and len(clauses[-1].strip()) <= AFTERTHOUGHT:
        return "，".join(clauses[-2:])
    return clauses[-1]


_COUNTING = re.compile(r"(?:一共|总共|共有|共|多少|几|条)+")  # how a question counts a document's articles


def asks_of(text: str, terms: Sequence[str], named: bool, titles: Sequence[str] = ()) -> tuple[Asks, tuple[str, ...]]:
    """What a question asks for, and the record fields it names (issued, 主送…); ``titles``: those
    of the documents it names."""
    asks = Asks.NOTHING
    for flag, test in (
        (Asks.FIGURE, wants_figure(text)),
        (Asks.LIST, bool(_LIST.search(_last_clause(text)))),  # "上了几个项目，…会不会算进考核？" tells, does not ask
        (Asks.WHOLE_YEAR, bool(_WHOLE_YEAR.search(text))),
        (Asks.PROCEDURE, bool(_PROCEDURE.search(text))),
        (Asks.CRITERIA, bool(_CRITERIA.search(text))),
        (Asks.MONEY, bool(_MONEY.search(text))),
        (Asks.PERSON, bool(_PERSON.search(text))),
        (Asks.DATE, bool(_DATE.search(text))),
        (Asks.BROAD, bool(_BROAD.search(text))),
    ):
        if test:
            asks |= flag
    if asks & Asks.FIGURE and _TOTAL.search(text) and not _COUNT.search(text):
        asks |= Asks.TOTAL
    fields = tuple(name for name, pattern in _RECORD_FIELDS.items() if pattern.search(text))
    about = [t for t in terms if not _STRUCTURE.fullmatch(t) and not YEAR.search(t)]
    if [t for t in about if not _COUNTING.fullmatch(t) and not any(t in title for title in titles)]:
        fields = tuple(f for f in fields if f != "items")  # "条例第五章有多少条" asks of a part
    if fields and named:
        asks |= Asks.RECORD
    # "指导意见的主要任务有哪些？" asks for the outline; "指导意见里山区26县的主要任务？" does not.
    if named and _CONTENTS.search(text) and not about:
        asks |= Asks.OUTLINE
    return asks, fields


_STRUCTURE = re.compile(  # a word made only of these says nothing about a topic
    r"(?:主要|重点|任务|内容|措施|部分|章节|章|方面|框架|结构|目录|提纲|包括|包含|分为|哪些|哪几|几个|几|个|有|年|提出|部署|讲|说"
    r"|main|task|part|section|chapter|outline|structure|content)+",
    re.I,
)


# A count a question names ("10个", "十大", "4家"): the number, then its measure word.
COUNTED = re.compile(r"(?<![第\d.])(\d+|[一二三四五六七八九十两]+)\s*(?:个|家|大|项|类|种|所|座|批)")
_MEMBERS = re.compile(r"哪(?:些|几|[一二三四五六七八九十两\d]+)|名单|分别是")
_NUMERAL = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def unit_of(text: str) -> str:
    """The unit a question asks its figure in ("多少万吨", "in tonnes"), SHARE for a share, or ""."""
    if unit := next((u for m in _ASKED_UNIT.finditer(text) for u in m.groups() if u), ""):
        return unit
    if m := _ASKED_UNIT_EN.search(text):
        return _ENGLISH_UNITS[m.group(1).lower()]
    return SHARE if _ASKED_SHARE.search(text) else ""


def members_of(text: str) -> int:
    """How many items a list question names, or 0."""
    if not _MEMBERS.search(text) or not (m := COUNTED.search(text)):
        return 0
    n = m.group(1)
    return int(n) if n.isdigit() else _NUMERAL.get(n, 10 if "十" in n else 0)


def topic_of(text: str, terms: Sequence[str]) -> tuple[str, ...]:
    """The terms of what the question is about: not in the words that say what kind of answer it wants."""
    grammar = " ".join(m.group(0) for pattern in (_BROAD, _LIST, _QUANTITY, _PROCEDURE) for m in pattern.finditer(text))
    return tuple(t for t in terms if len(t) >= 2 and t not in grammar)
