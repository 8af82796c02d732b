"""Mentions: the names, quoted terms and programmes a question names that the library never mentions.

Part of answerability (`rag.checks`): a question about "天鹅行动", "Lishui" or “数据银行” in a library
that never writes them is not answerable from it, however close its topic. What counts as written
is read from the library's own text (`Retriever.known_text`), word by word where it matters.
"""

from __future__ import annotations

import re
from typing import Sequence

from .naming import PLACE_SUFFIX, is_function_word, word_before, word_tag
from .query import jieba_for
from .retrieval import Retriever
from .understand import Query

MAX_QUOTED_TERM = 8  # characters: a longer quote is a quotation, not a name


def unknown_names(retriever: Retriever, query: Query) -> tuple[str, ...]:
    """Places, people and organisations the query names, and terms it puts in quotes (“尖兵”), that
    the library never mentions."""
    known = retriever.known_text
    names = tuple(n for n in query.names if n.lower() not in known and PLACE_SUFFIX.sub("", n) not in known)
    # "Lishui" in an English question: a place none of whose Chinese names (丽水, 丽水市) the library mentions.
    names += tuple(w for w, chinese in query.english_places if w.lower() not in known and not any(c in known for c in chinese))
    names += tuple(q for q in quoted_terms(query) if not _mentioned(q, known) and q not in names)
    return names + tuple(p for p in _programmes(query) if p not in names and not _stem_known(p, known))


# A programme named without quotes ("天鹅行动主要搞什么"): two to four characters before 行动, 计划, 工程.
_NAMED_PROGRAMME = re.compile(r"([\u4e00-\u9fff]{2,4})(行动|计划|工程)")


def _programmes(query: Query) -> list[str]:
    """The programmes a Chinese question names by a word of their own: the word jieba cuts just
    before 行动/计划/工程 is no pronoun, numeral or measure ("叫啥计划", "那几个计划" name none)."""
    if query.language != "zh":
        return []
    out = []
    for m in _NAMED_PROGRAMME.finditer(query.text):
        before = word_before(query.text, m.start(2))
        if before and not is_function_word(before) and word_tag(before)[:1] not in ("m", "q", "r"):
            out.append(m.group(1) + m.group(2))
    return out


def _stem_known(programme: str, known: str) -> bool:
    """Whether the library holds a programme's name or its own word, however the asker ended it
    ("鲲鹏行动" for the documents' 鲲鹏计划): any two to four characters just before its suffix, as a
    word of the text, not inside a longer one ("天鹅" of 黑天鹅 names no 天鹅行动)."""
    stem = _PROGRAMME.sub("", programme)
    return programme.lower() in known or any(_as_word(stem[-n:].lower(), known) for n in range(2, len(stem) + 1))


WORD_CONTEXT = 6  # characters either side of an occurrence that jieba cuts to tell a word from part of one
MAX_OCCURRENCES = 20  # occurrences looked at: a word written this often is the library's in any case


def _as_word(word: str, text: str) -> bool:
    """Whether ``text`` writes ``word`` as a word of its own somewhere: jieba, cutting the characters
    around an occurrence, gives it whole, or as the stem of a programme's name."""
    start = text.find(word)
    for _ in range(MAX_OCCURRENCES):
        if start < 0:
            return False
        window = text[max(0, start - WORD_CONTEXT): start + len(word) + WORD_CONTEXT]
        # whole, or the stem of a programme's name cut as one word ("雄鹰行动")
        if any(t == word or (t.startswith(word) and _PROGRAMME.fullmatch(t[len(word):])) for t in jieba_for(()).lcut(window)):
            return True
        start = text.find(word, start + 1)
    return True


# What names a programme in general ("“鲲鹏行动”" for the documents' "鲲鹏计划"): the name is its stem.
_PROGRAMME = re.compile(r"(?:行动计划|行动|计划|工程|专项|项目|战略|体系)$")


def _mentioned(term: str, text: str) -> bool:
    """Whether ``text`` holds a quoted term, or its stem when the asker called the programme otherwise."""
    stem = _PROGRAMME.sub("", term)
    return term in text or (len(stem) >= 2 and stem != term and stem in text)


def quoted_terms(query: Query) -> tuple[str, ...]:
    """What a Chinese question puts in quotes as a name or term of art (“雄鹰行动”, “4+1”), lower-cased:
    not a single character (“1”) and not a long quotation, which may be worded a little differently."""
    if query.language != "zh":
        return ()
    return tuple(q.lower() for q in query.quoted if 2 <= len(q) <= MAX_QUOTED_TERM)


def missing_quote(query: Query, texts: Sequence[str]) -> str:
    """The first term the question quotes that none of ``texts`` holds, or ""."""
    hay = " ".join(texts).lower()
    return next((q for q in quoted_terms(query) if not _mentioned(q, hay)), "")
