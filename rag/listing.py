"""Lists and terms a question asks for: whether the statements list the members of what it counts,
and which term it asks the meaning of.

- "十大省实验室分别是哪十个" is not answered by "完成十大省实验室布局" (no members), nor "新增的10个未来产业
  先导区具体是哪几个" by another list beside "新增未来产业先导区10个" (members of something else);
- "数字贸易到底指的是啥" names the term the answer must speak of.
"""

from __future__ import annotations

import re
from typing import Sequence

from .asking import COUNTED
from .naming import words_of
from .understand import Query

_ITEM_SEPARATOR = re.compile(r"[、；;]")  # how a statement enumerates


def lists_members(query: Query, texts: Sequence[str]) -> bool:
    """Whether the statements ``texts`` list the members of a list whose size the question names:
    at least three (or all) items it does not name itself, listed where what it counts is named."""
    if max((_new_items(t, query.raw) for t in texts), default=0) < min(query.members, 3):
        return False
    head = _counted_head(query.raw)
    return not head or any(_lists(t, head) for t in texts)


# "10个未来产业先导区具体是哪几个": what a list question counts, up to where it asks.
_COUNTED_THING = re.compile(COUNTED.pattern + r"([\u4e00-\u9fff]{2,14}?)(?=\s|是|分别|有|都|具体|包括|指|哪|[,，?？]|$)")


def _counted_head(question: str) -> str:
    """The last two characters of what a list question counts ("导区" of 未来产业先导区), or ""."""
    m = _COUNTED_THING.search(question)
    return m.group(2)[-2:] if m and not m.group(2).endswith("的") else ""


def _lists(text: str, head: str) -> bool:
    """Whether a statement lists items of ``head``: an enumeration running into it within one phrase
    ("…、绿色石化与新材料等4个世界级先进产业群"), or ``head`` announcing a list (": ")."""
    return bool(
        re.search(rf"、[^、，,；;。]{{1,32}}?{re.escape(head)}", text) or re.search(rf"{re.escape(head)}[^。]{{0,6}}[:：]", text)
    )


# A question asking what a term means ("数字贸易到底指的是啥", "双核一带一廊是什么意思").
_ASKS_MEANING = re.compile(r"(?:到底|具体|究竟)?(?:指的是|是指|指)(?:啥|什么)|(?:是)?(?:什么|啥)意思")


# A definition as texts write it: "(三)关口站,是指…", "本条例所称数字经济,是指…", "X指的是…".
_DEFINITION = re.compile(r"([^\s,，、。；;:：()（）“”\"《》]{2,24}?)\s*[,，]?\s*(?:是指|指的是|系指)")


# "量子计算是什么", "什么是区块链", "X到底指啥": the term a question asks what it is.
_WHAT_IS = re.compile(
    r"^(?P<a>.{2,16}?)(?:具体|到底|究竟)?(?:是|指)(?:什么|啥)[？?。!！]?$|^什么是(?P<b>.{2,16}?)[？?。!！]?$|^(?P<c>.{2,16}?)(?:是)?(?:什么|啥)意思"
)


def what_is(query: Query) -> str:
    """The term a question asks what it is, as written (after "…的", "…里"); "" for other questions."""
    m = _WHAT_IS.search(query.text.strip()) if query.language == "zh" else None
    if not m:
        return ""
    term = next(g for g in m.groups() if g)
    return re.sub(r"^.*(?:的|里|中)", "", term).strip("“”\"'").lower()


def only_listed(term: str, texts: Sequence[str]) -> bool:
    """Whether the texts that write ``term`` write it only as an item of an enumeration ("…人形机器人、
    量子计算机、超高速列车…"): a list that names a thing says nothing of what it is."""
    places = [(text, m.start(), m.end()) for text in texts for m in re.finditer(re.escape(term), text.lower())]
    return bool(places) and all(re.search(r"[、和与及]$", t[:a]) or t[b : b + 1] == "、" for t, a, b in places)


_MEANING_WORDS = re.compile(r"定义|含义|意思|是指|指的是|什么叫|何谓|\b(?:define|definition|meaning|mean)s?\b", re.I)


def asks_meaning(query: Query) -> bool:
    """Whether a question asks what words mean: "…是什么意思", "什么是X", "终端设备 定义", "what does X mean"."""
    return bool(meaning_asked(query) or what_is(query) or _MEANING_WORDS.search(query.text))


def meaning_asked(query: Query) -> str:
    """What precedes "什么意思" / "指的是啥" in a question asking what a term means, lower-cased ("" for none)."""
    return _before_meaning(query).lower()


def _before_meaning(query: Query) -> str:
    """The question's text (slips read: "数子经济" is 数字经济) before the words that ask a meaning."""
    m = _ASKS_MEANING.search(query.text) if query.language == "zh" else None
    return query.text[: m.start()] if m else ""


def defines(asked: str, text: str) -> bool:
    """Whether ``text`` defines the term ``asked`` ends with (see `meaning_asked`): the term as the
    text defines it, not as jieba cuts the question ("关口站" is 关口 + 站)."""
    if not asked:
        return False
    for m in _DEFINITION.finditer(text.lower()):
        term = m.group(1).rsplit("所称", 1)[-1]
        if len(term) >= 2 and asked.endswith(term):
            return True
    return False


def defined_term(query: Query) -> str:
    """The term a question asks the meaning of: the nouns just before "指的是啥" / "什么意思" ("" for none)."""
    nouns: list[str] = []
    for word, tag in reversed(words_of(_before_meaning(query))):
        if not (tag[:1] == "n" or tag in ("vn", "x", "eng")) or not word.strip() or re.fullmatch(r"\W+", word):
            break
        nouns.insert(0, word)
    term = "".join(nouns).lower()
    return term if len(term) >= 2 else ""


def _new_items(text: str, question: str) -> int:
    """How many items a statement enumerates that the question does not already name
    ("除了智能物联、新能源汽车、集成电路，另外5个是哪几个" against a sentence naming just those three)."""
    items = [x.strip() for x in _ITEM_SEPARATOR.split(text) if x.strip()]
    return sum(1 for x in items if x[:4] not in question and x[-4:] not in question)
