"""A quoted statement: one claim of an answer, the passage it cites, and where it stands there.

The value that passes from composing to the checks, the records and the renderer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from .sentences import ELISION, split_sentences
from .passage import Passage
from .query import YEAR

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


def spans_of(text: str, passage_text: str, offset: int = 0) -> tuple[tuple[int, int], ...]:
    """Where the pieces of a quote (split at the elision mark) stand in the passage (in
    ``passage_text``, which starts ``offset`` characters into the passage)."""
    out, pos = [], 0
    for piece in (p.strip() for p in text.split(ELISION)):
        if not piece:
            continue
        at = passage_text.find(piece, pos)
        if at < 0:
            at = passage_text.find(piece)
        if at >= 0:
            out.append((offset + at, offset + at + len(piece)))
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


# An article of a law (第六十条) is one provision: "…责令限期改正；逾期不改正的，处五万元以上…罚款" is a
# duty and its sanction, one clause each. (Its label, whole: a heading or what a question names.)
ARTICLE_LABEL = re.compile(r"^第[一二三四五六七八九十百零〇两\d]+条$")
OPENING = 40  # characters: a paragraph's short first sentence heads what the next ones detail
CONTINUED = 220  # characters a statement grows to at most


_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、．]|[一二三四五六七八九十]+是)")


def _with_items(st: Statement, limit: int) -> Statement:
    """A statement that announces items ("同时符合下列条件的，…不作负面评价：") with the items that follow it
    ("（一）…；（二）…"), as long as they fit; as it was when none follows."""
    text, end = st.passage.text, st.spans[-1][1]
    items: list[str] = []
    for line in text[end:].split("\n"):
        if not line.strip():
            continue
        if not _ITEM.match(line) or len(st.text) + sum(map(len, items)) + len(line.strip()) > limit:
            break
        items.append(line.strip())
    if not items:
        return st
    return Statement(st.text + "".join(items), st.passage, (*st.spans, *spans_of(ELISION.join(items), text[end:], end)), st.score, st.lexical, st.similarity)


# Words that point back to what was just said ("老旧小区改造应当配套建设前述通信基础设施").
_BACK = re.compile(r"前述|上述|前款|前项|前列")


def _with_antecedent(st: Statement, limit: int) -> Statement:
    """A statement that points back ("前述…") with the sentence before it in its paragraph."""
    text, start = st.passage.text, st.spans[0][0]
    before = text[text.rfind("\n", 0, start) + 1 : start]
    sentences = split_sentences(before)
    if not sentences or not sentences[-1].strip() or len(sentences[-1]) + len(st.text) > limit:
        return st
    grown = sentences[-1].strip() + st.text
    return Statement(grown, st.passage, spans_of(grown, text), st.score, st.lexical, st.similarity)


def continued(st: Statement, limit: int = CONTINUED) -> Statement:
    """The statement with what completes it in its paragraph: the rest of an article's sentence (its
    sanction, its exception), or, for a short opening sentence ("到2027年,未来产业综合实力显著提升,
    部分领域实现全球引领。"), the sentences that detail it — never past another year, a new paragraph
    or ``limit`` characters."""
    if not st.spans or ELISION in st.text:
        return st
    text, (start, end) = st.passage.text, (st.spans[0][0], st.spans[-1][1])
    if st.text.endswith(("：", ":")):
        return _with_items(st, limit)
    if _BACK.search(st.text):
        return _with_antecedent(st, limit)
    stop = text.find("\n", end)
    rest = text[end : len(text) if stop < 0 else stop]
    paragraph_start = text.rfind("\n", 0, start) + 1
    in_article = bool(st.passage.headings) and bool(ARTICLE_LABEL.match(st.passage.headings[-1]))
    opening = start == paragraph_start and len(st.text) <= OPENING and st.text.endswith(("。", "！"))
    if not rest.strip() or not (in_article or opening):
        return st
    years = set(YEAR.findall(st.text))
    grown = st.text
    # An opening sentence grows by the sentences after it; an article's clause by the rest of its sentence.
    for piece in split_sentences(rest) if opening else [rest[: (rest.find("。") + 1) or len(rest)]]:
        if not piece.strip() or len(grown) + len(piece) > limit or set(YEAR.findall(piece)) - years:
            break
        grown += piece
    if grown == st.text:
        return st
    grown = grown.strip()
    return Statement(grown, st.passage, spans_of(grown, text), st.score, st.lexical, st.similarity)
