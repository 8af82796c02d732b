"""The values the retrieval stage hands on: a `Passage` (with its `ScoredUnit`s) and a `Retrieval`.

Kept apart from `rag.retrieval` (the searching) so the stages after it (answerability,
composing, rendering, the chat) can name these values without the retriever; the
retrieval module re-exports them, where most callers import them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .index import IndexedChunk
    from .understand import Query

VALIDITY = {"not_yet": "尚未施行", "repealed": "已废止"}  # rag.metadata.DocumentRecordInfo.validity()


@dataclass(frozen=True)
class ScoredUnit:
    """A quotable piece of a passage and its similarity to the question (None: not measured)."""

    text: str
    similarity: float | None = None


@dataclass(frozen=True)
class Passage:
    """A retrieved passage. ``text`` is the source text as shown to users (plain text, unescaped)."""

    text: str
    doc_id: str
    doc_title: str
    doc_date: str
    doc_issuer: str
    doc_kind: str
    section: str  # 《title》 › 一、… › (一)…
    score: float  # fused score; higher is better
    chunk_id: str = ""
    start: int = 0  # offsets of ``text`` in the document's cleaned text
    end: int = 0
    dense_score: float = 0.0  # cosine similarity of question and passage
    bm25_score: float = 0.0
    # Headings of the parts the passage announces ("要重点抓好六方面工作:" -> the six), else ().
    outline: tuple[str, ...] = ()
    # The passage's quotable units with their similarity to the question searched (set by search).
    units: tuple[ScoredUnit, ...] = dataclasses.field(default=(), repr=False, compare=False)
    page: int | None = None  # first and last page, for a paged format (PDF, OFD)
    last_page: int | None = None
    # "" when in force or unknown; "尚未施行" / "已废止" from the document's record (shown with every citation).
    validity: str = ""
    # The year it is read under in its part of the document (top-level section), set by search: the last
    # one named before it there ("2023年,全省工业增加值…" then "规上工业企业研发费用支出占营收比重达到3.1%").
    part_years: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    @property
    def pages(self) -> str:
        """"第3页", "第3–4页", or "" for a format without pages."""
        if self.page is None:
            return ""
        return f"第{self.page}页" if not self.last_page or self.last_page == self.page else f"第{self.page}–{self.last_page}页"

    @property
    def headings(self) -> tuple[str, ...]:
        """The section path's headings below the document title."""
        return tuple(self.section.split(" › ")[1:])

    @classmethod
    def from_chunk(
        cls, chunk: IndexedChunk, score: float, dense: float, bm25: float, scored: tuple[ScoredUnit, ...] = (), validity: str = "",
        part_years: tuple[str, ...] = (),
    ) -> "Passage":
        return cls(
            text=chunk.text,
            doc_id=chunk.doc_id,
            doc_title=chunk.doc_title,
            doc_date=chunk.doc_date,
            doc_issuer=chunk.doc_issuer,
            doc_kind=chunk.doc_kind,
            section=chunk.section_path,
            score=float(score),
            chunk_id=chunk.chunk_id,
            start=chunk.start,
            end=chunk.end,
            dense_score=float(dense),
            bm25_score=float(bm25),
            outline=chunk.outline,
            units=scored,
            page=chunk.page,
            last_page=chunk.last_page,
            validity=validity,
            part_years=part_years,
        )


@dataclass(frozen=True)
class Retrieval:
    """One search: the passages and the evidence beyond them, for the answerability checks."""

    query: Query
    passages: list[Passage]
    dense_top: float  # cosine similarity of the best passage the filters allow
    # How far dense_top stands above what questions on unrelated matters reach in
    # this index, in their standard deviations (see rag/offtopic.txt).
    relevance: float
    top_bm25: float
