"""Figures: which numbers a statement gives for what a question asks.

A figure asked for ("多少") is answered by a number of the question's subject — the statements
holding its rarest term — that is neither a year, an article's label, nor a figure the question
gives itself ("用1.5%的国土面积贡献了多少出口额" is not answered by 1.5%).
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from .asking import CODE, Asks
from .naming import word_tag, words_of
from .quote import HAS_NUMBER, Statement
from .query import YEAR
from .understand import Query

# An article's label ("第三十条") numbers the text, it is no figure of what it says. (Items' labels,
# "(一)…(三)", may be the count asked for: "有几项重点任务".)
_LABEL = re.compile(r"第[一二三四五六七八九十百零〇两\d]+[编章节条款]")


def rarest_held(terms: Sequence[str], texts: Sequence[str], rarity: Callable[[str], float]) -> str:
    """The rarest of ``terms`` that ``texts`` hold: what a figure is asked about, as the statements name it ("" for none)."""
    present = [t for t in terms if any(t in x for x in texts)]
    return max(present, key=rarity) if present else ""


def subject_terms(query: Query) -> list[str]:
    """The question's words that may name what it asks about: not its years, nor a time word
    ("今年", "目前"), which says when, and is written wherever a text speaks of this year."""
    return [t for t in query.topic if len(t) >= 2 and not YEAR.search(t) and word_tag(t) != "t"]


def about_subject(query: Query, statements: Sequence[Statement], rarity: Callable[[str], float]) -> list[Statement]:
    """The statements that hold the question's rarest term the statements hold (all when none does)."""
    subject = rarest_held(subject_terms(query), [st.text.lower() for st in statements], rarity)
    return [st for st in statements if subject in st.text.lower()] if subject else list(statements)


def figure_of_subject(
    query: Query, statements: Sequence[Statement], rarity: Callable[[str], float], own: Sequence[str] = ()
) -> bool:
    """Whether a statement that names what a figure is asked about (the question's rarest term the
    statements hold) gives a figure: the number quoted must be the subject's, not a neighbour's, nor
    one of ``own``, the figures the question gives itself (`own_numbers`)."""
    if query.asks & Asks.RECORD or query.language != "zh":
        return True  # an English question's terms are translations: too loose to pin a subject
    texts = [st.text.lower() for st in statements]
    terms = [t for t in subject_terms(query) if not re.fullmatch(r"[\d.%]+", t)]
    subject = rarest_held(terms, texts, rarity)
    if not subject:
        return not terms  # statements that share no word with the question give no figure of its subject
    return any(subject in x and has_figure(without(x, own)) for x in texts)


# A number as a question writes it: "1.5%", "26", "4+1", or a numeral with its measure word ("三级").
_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:\+\d+)?%?")


# Where a question asks for an amount ("多少", "几"): not an ordinal ("第几批"), a year ("多少年定的")
# or a rank, which the statement may write with the very number the question gives.
_ASKED_AMOUNT = re.compile(r"(?<!第)(?:多少|几)(?![年批届期号名])")


# What may stand between the amount asked and what it is of: a measure word, "比例", "的" ("多少比例的出口额").
_BEFORE_THING = re.compile(r"^(?:比例|比重|份额|的|[\W\d]+)$")
_CLAUSE_END = re.compile(r"[？?！!。，,；;（(]")


# How a question says what it asks the amount of before it: "…速率各是多少", "…规模目标是多少".
_THEN_AMOUNT = re.compile(r"(?:各|分别|都|一共|总共)?(?:是|为|有|达到?|要达到|能达到|要到|到了?|在)?$")
# Nouns that say a figure is asked (its target, its share), not what it is of: the noun before them is.
_FIGURE_NOUN = re.compile(r"目标|比重|比例|占比|数量|规模|水平|标准|数|指标|任务|情况|总量|数字|数据")


def asked_of(query: Query, known: Callable[[str], bool] = lambda term: False) -> str:
    """What the amount a question asks is of, when it names it right after ("多少比例的出口额",
    "多少吨二氧化碳", "多少家领军企业"): the nouns written there, together; else the noun
    just before it ("5G和6G的理论峰值速率各是多少"), when the library writes that word (``known``):
    one it never writes may be the asker's word for one it does. "" for none."""
    text = YEAR.sub(" ", query.raw)
    asked = _ASKED_AMOUNT.search(text)
    if not asked:
        return ""
    if thing := _noun_after(query, text[asked.end():]):
        return thing
    before = words_of(_THEN_AMOUNT.sub("", text[: asked.start()]))
    nouns = []
    for word, tag in reversed(before):
        if not (tag[:1] == "n" or tag == "vn"):
            break
        nouns.insert(0, (word, tag))
    # Not a figure noun (目标, 比重), nor where it is counted ("灯塔工厂浙江有几家": 浙江 is no subject).
    while nouns and (_FIGURE_NOUN.fullmatch(nouns[-1][0]) or nouns[-1][1] == "ns"):
        nouns.pop()
    nouns = [word for word, _ in nouns]
    thing = nouns[-1].lower() if nouns and len(nouns[-1]) >= 2 else ""
    return thing if thing and known(thing) else ""


def written(thing: str, text: str) -> bool:
    """Whether ``text`` writes ``thing``, whole or shortened as askers do ("营收" for 营业收入)."""
    return bool(re.search(".{0,3}".join(map(re.escape, thing)), text))


def _noun_after(query: Query, after: str) -> str:
    if query.unit and after.startswith(query.unit):
        after = after[len(query.unit):]
    words = words_of(after)
    i = 0
    # Not past the end of its clause: "营收多少了？（浙江日报那篇）" asks an amount of 营收, not of 浙江日报.
    while i < len(words) and (words[i][1][:1] in ("q", "m", "u") or _BEFORE_THING.match(words[i][0])) and not _CLAUSE_END.search(words[i][0]):
        i += 1
    nouns = []
    while i < len(words) and (words[i][1][:1] == "n" or words[i][1] == "vn"):
        nouns.append(words[i][0])
        i += 1
    # The whole phrase: "多少家独角兽企业" is not answered by 百家领军企业, though both are 企业.
    phrase = "".join(nouns).lower()
    return phrase if len(phrase) >= 2 else ""


# A count asked ("多少个", "几个"; not "几个百分点"), and a count given: a number with its measure word.
_COUNT_ASKED = re.compile(r"(?<!第)(?:多少|几)\s*个(?!百分点)")
_A_COUNT = re.compile(r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十百千万两]+)\s*(?:[十百千万亿]+)?(?:个|家|项|条|批|座|所|类|种|处|支|名|人|台|套|艘|列|级|大)")


def count_missing(query: Query, texts: Sequence[str]) -> bool:
    """Whether a question asks how many ("规划里提出建设多少个…试验区") and no text gives a count: a
    growth rate or a sum beside its subject is no number of things."""
    return bool(_COUNT_ASKED.search(query.raw)) and not any(_A_COUNT.search(YEAR.sub(" ", t)) for t in texts)


def own_numbers(query: Query) -> tuple[str, ...]:
    """The figures a question gives itself before the amount it asks ("用1.5%的国土面积贡献了多少
    出口额", "三级保障体系…安排多少资金"): it knows them, so they do not answer what it asks. None
    when it asks no amount ("68家雄鹰企业是第几批", "2.5%是哪个文件提出的")."""
    text = YEAR.sub(" ", query.raw)
    asked = _ASKED_AMOUNT.search(text)
    if not asked:
        return ()
    given = text[: asked.start()]
    words = [m.group(0) for m in HAS_NUMBER.finditer(given) if not m.group(0).isdigit()]
    return tuple(sorted({*_NUMBER_TOKEN.findall(given), *words}, key=len, reverse=True))


def _alone(number: str) -> str:
    """A pattern of the number itself, not the digits of another ("5" is not in "2025" or "50家")."""
    return rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)"


def holds_number(text: str, number: str) -> bool:
    """Whether a text holds the number itself."""
    return bool(re.search(_alone(number), text))


def without(text: str, numbers: Sequence[str]) -> str:
    """``text`` without the whole ``numbers`` ("1.5%" goes, the 1.5 of "21.5%" stays)."""
    for number in numbers:
        text = re.sub(_alone(number), " ", text)
    return text


def has_figure(text: str) -> bool:
    """Whether a text gives a figure: a number that is neither a year, an article's label nor a code's."""
    # A code ("5G", "IPv6", "415X") names a thing: its digits are no amount.
    return bool(HAS_NUMBER.search(CODE.sub("", _LABEL.sub("", YEAR.sub("", text)))))
