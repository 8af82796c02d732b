"""Sections: the part of a document a broad question is about, found by its heading and path.

"对专精特新企业有哪些支持？" or "山区26县怎么发展？" is answered by a section, not by
a sentence: the section whose heading holds the question's rarer terms, among
the sections of the passages retrieved for it. Its passages, in document order,
go to the composer, which gathers their points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .retrieval import Passage, Retriever
from .understand import Asks, Query

# A section is about the question when its heading holds at least this share of the
# question's term weight (rarity-weighted): "(四)加快山区26县生态工业发展" for "山区26县怎么发展".
MIN_HEADING_SHARE = 0.5
MAX_SECTION_PASSAGES = 40  # longer than this is a whole document, not a section to gather


@dataclass(frozen=True)
class Section:
    """A section of one document: its path below the title and its passages in reading order."""

    doc_id: str
    path: tuple[str, ...]
    passages: tuple[Passage, ...]


CANDIDATES = 3  # a section answers only if one of the best-retrieved passages lies in it


def wants_section(query: Query) -> bool:
    """A broad question or one asking for a list ("保障措施有哪些") — not one asking for a figure:
    "主要目标是多少" wants the number."""
    return bool(query.asks & (Asks.BROAD | Asks.LIST)) and not query.asks & (Asks.FIGURE | Asks.RECORD | Asks.OUTLINE)


def find_section(retriever: Retriever, query: Query, passages: Sequence[Passage]) -> Section | None:
    """The section of a retrieved passage whose heading is most about the query, or None."""
    weights = {t: retriever.idf(t) for t in query.topic}
    total = sum(weights.values())
    if not total:
        return None
    best: tuple[float, int, str, tuple[str, ...]] | None = None
    for rank, p in enumerate(passages[:CANDIDATES]):
        heads = p.headings
        for depth in range(len(heads), 0, -1):
            heading = heads[depth - 1].lower()
            share = sum(w for t, w in weights.items() if t in heading) / total
            # the best-matching heading wins; ties go to the better-retrieved passage, then the deeper section
            key = (share, -rank, p.doc_id, heads[:depth])
            if share >= MIN_HEADING_SHARE and (best is None or key[:2] > best[:2]):
                best = key
    if best is None:
        return None
    _, _, doc_id, path = best
    members = [
        retriever.chunk_passage(i, 1.0)
        for i, c in enumerate(retriever.index.chunks)
        if c.doc_id == doc_id and tuple(c.section[: len(path)]) == path
    ]
    if not members or len(members) > MAX_SECTION_PASSAGES:
        return None
    return Section(doc_id, path, tuple(members))
