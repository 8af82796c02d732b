"""A quoted statement: one claim of an answer, the passage it cites, and where it stands there.

The value that passes from composing to the checks, the records and the renderer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from .chunking import ELISION
from .retrieval import Passage

# A figure, written in digits or in Chinese numerals with a measure word: what "多少" is answered by.
HAS_NUMBER = re.compile(
    r"\d|[一二两三四五六七八九十百千万亿]{1,4}(?:个|项|家|名|成|倍|条|分之|级|大|年|月|天|亩|人|次|批|类|种|所|座|台|套|吨|元|位|轮|方面|清单)"
    r"|[十百千万]亿|第[一二三四五六七八九十]|翻番|倍增|过半|一半"
)

@dataclass(frozen=True)
class Statement:
    """One claim of an answer and where it comes from.

    ``text`` is what the answer says; ``spans`` are the (start, end) offsets in
    ``passage.text`` of the pieces it quotes (a clause's lead-in and the clause),
    so the chat can underline them without reading the answer back.
    """

    text: str
    passage: Passage
    spans: tuple[tuple[int, int], ...] = ()
    score: float = 0.0  # how well it answers, relative to the other candidates
    lexical: float = 0.0  # share of the question's terms (weighted by rarity) it holds
    similarity: float | None = None  # embedding similarity to the question, when the index has it

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def quoted(self) -> tuple[str, ...]:
        """The pieces of source text the statement quotes."""
        return tuple(self.passage.text[a:b] for a, b in self.spans)


def spans_of(text: str, passage_text: str) -> tuple[tuple[int, int], ...]:
    """Where the pieces of a quote (split at the elision mark) stand in the passage."""
    out, pos = [], 0
    for piece in (p.strip() for p in text.split(ELISION)):
        if not piece:
            continue
        at = passage_text.find(piece, pos)
        if at < 0:
            at = passage_text.find(piece)
        if at >= 0:
            out.append((at, at + len(piece)))
            pos = at + len(piece)
    return tuple(out)


def term_weights(terms: Sequence[str], passages: Sequence[Passage]) -> dict[str, float]:
    """IDF-like weights over the retrieved passages: rare terms decide which sentence answers."""
    n = max(len(passages), 1)
    weights = {}
    for t in terms:
        df = sum(1 for p in passages if t in p.text.lower())
        # A figure in the question ("2.5%", "26县") is the surest sign of the sentence asked about.
        weights[t] = math.log(1 + (n + 1) / (df + 0.5)) * (1.5 if re.search(r"\d", t) else 1.0)
    return weights
