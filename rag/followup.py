"""Follow-ups: whether a question leans on the previous one, and what it takes from it.

Only a question that cannot stand alone inherits, and only from the last
question that was answered; what it inherited, and why, travels in the `Query`
(``Query.inherited``) so the answer and the chat can say how it was read.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Sequence

from .errors import InputError
from .query import full_years, period_years


@dataclass(frozen=True)
class Inherited:
    """What a follow-up took from the previous question, and why."""

    previous: str  # the earlier question it was read with
    kept: str  # "whole" (asked again of other documents), "time" (of another year) or "time and ask"
    reason: str  # shown to the user: how the question was read


# ---------------------------------------------------------------- follow-ups

# Words of a follow-up that only point back ("…怎么说？", "那…呢？", "what about").
POINTING = re.compile(r"(?:怎么|如何)?(?:说|讲)(?:了什么)?|呢|那|这|该|上述|同样|what|about|how|and", re.I)
_REFERRING = re.compile(
    r"怎么说|如何说|怎么讲|说了什么|呢(?:[?？,，]|$)|^那|^这|^该|上述|同样|对应|相应|这方面|这一块|这个|这些|what about|how about|and the|and in"
    r"|\b(?:it|its|that|those|these)\b",
    re.I,
)
# "X呢？", "X呢，要建几个": X is a new subject (_ABOUT_TAIL); so it may be in "那X…" (_WHAT_ABOUT)
_ABOUT_TAIL = re.compile(r"呢(?:[?？,，]|$)|what about|how about|and the|and in", re.I)
_WHAT_ABOUT = re.compile(rf"{_ABOUT_TAIL.pattern}|^那", re.I)
_ASKED = re.compile(r"多少|哪些|哪几|什么|目标|要求|措施|how many|how much|which|what")  # what a question asks for
_COMPLETE = re.compile(
    r"[吗么][?？]?$|多少|哪(?:[些个几里儿年天位家类种]|[一二三四五六七八九十两\d]+)|什么|如何|怎么|怎样|是否|几[个项家]|how|what|which|when|who", re.I
)  # "哪十条标志性产业链" asks as much as "哪些"


def _stands_alone(text: str, own_terms: Sequence[str]) -> bool:
    """A question complete on its own: it asks something (a question word) about a subject of its
    own (two content terms or more) and does not point back ("那…呢", "怎么说")."""
    if _REFERRING.search(text):
        return False
    return bool(_COMPLETE.search(text)) and len(own_terms) >= 2


# A year said relative to the present ("去年呢？"): this calendar year and its neighbours.
RELATIVE_YEARS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1, "后年": 2}
_RELATIVE = re.compile("|".join(RELATIVE_YEARS))


def read_followup(
    text: str, previous: str, own: Sequence[str], named: Sequence[str], year_named: bool, max_chars: int, subject: bool = True,
    this_year: int | None = None,
) -> tuple[str, Inherited] | None:
    """The question as read with ``previous``, or None when it stands alone.

    It leans on the previous question when it points back ("怎么说", "那…呢"), names other
    documents ("2020年的文件…", "讲话里…"), or has no subject of its own (no noun: "从哪天起施行？").
    "X呢？" brings a subject of its own and keeps only the time and what was asked.
    """
    if subject and _stands_alone(text, own) and not (named and not own):
        return None
    if not (_REFERRING.search(text) or named or year_named or not subject):
        return None
    previous = full_years(previous)  # "25年" is 2025
    if (relative := _RELATIVE.search(text)) and not period_years(text):
        # "去年呢？" after "2026年…多少？": the previous question, of last year (by the calendar, as the
        # words mean); with words of its own ("那去年实际新增了多少？") those are asked of it too.
        year = str((this_year or datetime.date.today().year) + RELATIVE_YEARS[relative.group(0)])
        before = period_years(previous)
        base = previous.replace(before[0], year) if len(before) == 1 else f"{year}年 {previous}"
        if not [t for t in own if t not in RELATIVE_YEARS]:
            read = base[:max_chars]
            return read, Inherited(previous, "time", f"按上一问理解为：{read}")
        read = f"{base[: max(0, max_chars - len(text) - 1)]} {text}"
        return read, Inherited(previous, "whole", f"按上一问理解为：{base[:60]}（{text}）")
    if own and subject and not named and _WHAT_ABOUT.search(text):
        # A subject of its own ("山区26县呢？"): the previous question lends only its time and what it asked.
        carried = ([] if period_years(text) else [f"{y}年" for y in period_years(previous)]) + _ASKED.findall(previous)
        carried = [c for c in dict.fromkeys(carried) if c not in text]
        if carried:
            read = " ".join([text, *carried])[:max_chars]
            return read, Inherited(previous, "time and ask", f"按上一问理解为：{read}")
        if _ABOUT_TAIL.search(text):
            return None
        # "那归哪个部门管？" after "…不预留基站站址会怎么处理？" asks something new of what was asked
        # about: it is read with the previous question, whole.
    asked, before = period_years(text), period_years(previous)
    base = previous
    if len(asked) == 1 and len(before) == 1 and not year_named:
        # "那2035年呢？" after "规划里2025年…目标是多少？": the same question, of the year it names;
        # "那2026年计划新增多少家" after "2025年…新增了多少家…": its year replaces the earlier one.
        base = previous.replace(before[0], asked[0])
        if not own:
            read = base[:max_chars]
            return read, Inherited(previous, "time", f"按上一问理解为：{read}")
    read = f"{base[: max(0, max_chars - len(text) - 1)]} {text}"  # within the limit: the earlier part gives way
    return read, Inherited(previous, "whole", f"按上一问理解为：{base[:60]}（{text}）")


def history_questions(history: Sequence[Any]) -> list[str]:
    """Earlier questions that were answered: a refused or invalid one lends nothing.

    Items are strings (earlier questions, taken as answered) or objects with ``question``/``query``
    and ``found`` (earlier `Answer`s)."""
    out = []
    for item in history or ():
        if isinstance(item, str):
            if item.strip():
                out.append(item)
            continue
        found = getattr(item, "found", None)
        if found is None:
            raise InputError(
                "history 只能是先前的问题（文字）或先前的回答（Answer）。"
                f"(history items must be earlier questions as strings or earlier Answers, not {type(item).__name__}.)"
            )
        if found:
            query = getattr(item, "query", None)
            out.append(query.text if query is not None else str(getattr(item, "question", "")))
    return out
