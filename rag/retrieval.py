"""Retrieval stage: dense and BM25 rankings fused by weighted reciprocal rank.

`search()` is the public entry point; `Retriever` holds a loaded index and is
what the answer stage and the chat reuse.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import InputError
from .chunking import units
from .index import DocumentInfo, Index, IndexedChunk, load_index, tokenize
from .ingest import KINDS
from .query import DOCUMENT_YEAR, YEAR, clean_question, expand_query, language, period_years
from .settings import Settings
from .workload import query_terms

RETRIEVERS = ("hybrid", "dense", "bm25")
DOCUMENT_INFO = "文件信息"  # the section of a document's own record (Retriever.document_passage)


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

    @property
    def headings(self) -> tuple[str, ...]:
        """The section path's headings below the document title."""
        return tuple(self.section.split(" › ")[1:])

    @classmethod
    def from_chunk(cls, chunk: IndexedChunk, score: float, dense: float, bm25: float) -> "Passage":
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
        )


class Retriever:
    """Search over one loaded index."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._is_policy = np.array([c.doc_kind == "policy" for c in index.chunks], dtype=np.float64)
        self._idf: dict[str, float] = {}
        self._parts: dict[tuple[str, tuple[str, ...]], str] = {}
        self._units: dict[int, list[str]] = {}
        # Rows of the dense index are grouped by chunk: the whole chunk, then its units.
        self._first_row = np.searchsorted(index.owners, np.arange(len(index.chunks)))
        self._position = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    @functools.cached_property
    def known_text(self) -> str:
        """Everything the index says, lower-cased: passages, section paths, document titles, issuers, dates, sources."""
        docs = [" ".join((d.title, d.issuer, d.date, d.source)) for d in self.index.documents.values()]
        return "\n".join([*(c.text for c in self.index.chunks), *(c.section_path for c in self.index.chunks), *docs]).lower()

    def document_passage(self, doc_id: str) -> Passage:
        """What the index records about a document itself (title, issuer, date, kind, source, and the
        signature block the cleaning kept out of its text), as a passage that can be cited."""
        d = self.index.documents[doc_id]
        lines = [f"标题：《{d.title}》", f"发布者：{d.issuer}", f"日期：{d.date}", f"类型：{KINDS.get(d.kind, d.kind)}"]
        if d.source:
            lines.append(f"来源：{d.source}")
        if d.metadata.get("signature"):
            lines.append("落款：" + "，".join(x for x in d.metadata["signature"].splitlines() if x.strip()))
        return Passage(
            text="\n".join(lines),
            doc_id=d.doc_id,
            doc_title=d.title,
            doc_date=d.date,
            doc_issuer=d.issuer,
            doc_kind=d.kind,
            section=f"《{d.title}》 › {DOCUMENT_INFO}",
            score=1.0,
            chunk_id=f"{d.doc_id}#info",
        )

    def part_text(self, passage: Passage) -> str:
        """The text of the part of the document a passage belongs to (its top-level section; the
        document's opening passages before any heading are a part of their own)."""
        return self._part(passage.doc_id, passage.headings[:1])

    def _part(self, doc_id: str, top: tuple[str, ...]) -> str:
        key = (doc_id, top)
        if key not in self._parts:
            self._parts[key] = "\n".join(c.text for c in self.index.chunks if c.doc_id == doc_id and c.section[:1] == top)
        return self._parts[key]

    def _units_of(self, i: int) -> list[str]:
        """The units of chunk ``i`` (see rag.chunking.units), split once: the rerank and the
        composer's scores both read them."""
        if i not in self._units:
            chunk = self.index.chunks[i]
            self._units[i] = units(chunk.text, chunk.section)
        return self._units[i]

    def _rerank(self, fused: np.ndarray, allowed: np.ndarray, query: str, years: list[str]) -> None:
        """Adjust the leading candidates' scores in place with what whole-passage scores miss.

        Proximity: a passage one of whose sentences holds most of the question's
        rarer terms (its headings counting half) answers better than one that
        scatters them. Period: a question about 2023 is answered by a passage
        about 2023, not by a 2025 target on the same subject.
        """
        s = self.settings
        candidates = [i for i in np.argsort(-fused, kind="stable")[: s.rerank_depth * 2] if allowed[i]][: s.rerank_depth]
        weights = {t: self.idf(t) for t in dict.fromkeys(self._terms(query))}
        total = sum(weights.values())
        for i in candidates:
            chunk = self.index.chunks[i]
            if total and s.weight_proximity:
                heads = " ".join(chunk.section).lower()
                best = max(
                    sum(w for t, w in weights.items() if t in u) + 0.5 * sum(w for t, w in weights.items() if t not in u and t in heads)
                    for u in [p.lower() for p in self._units_of(i)] or [chunk.text.lower()]
                )
                fused[i] += s.weight_proximity * best / total
            if years and s.year_boost:
                own = set(YEAR.findall(chunk.text))
                context = chunk.text if own else self._part(chunk.doc_id, chunk.section[:1])
                if any(y in context or y == chunk.doc_date[:4] for y in years):
                    fused[i] += s.year_boost

    def idf(self, term: str) -> float:
        """Inverse passage frequency of a term (substring match); a term no passage holds weighs most."""
        if term not in self._idf:
            chunks = self.index.chunks
            df = sum(1 for c in chunks if term in c.text.lower())
            self._idf[term] = math.log((len(chunks) + 1) / (df + 0.5))
        return self._idf[term]

    def _allowed(self, doc_ids: Iterable[str] | None, kinds: Iterable[str] | None) -> np.ndarray:
        docs = set(doc_ids) if doc_ids else None
        kinds = set(kinds) if kinds else None
        return np.array(
            [(docs is None or c.doc_id in docs) and (kinds is None or c.doc_kind in kinds) for c in self.index.chunks],
            dtype=bool,
        )

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dense (cosine) and BM25 scores of every chunk for a normalised query, and the dense score of every row."""
        dense, row_scores = self._dense(query)
        tokens = self._terms(query)
        bm25 = self.index.bm25.get_scores(tokens) if tokens else np.zeros(len(dense), dtype=np.float32)
        return dense, np.asarray(bm25, dtype=np.float32), row_scores

    def _terms(self, query: str) -> list[str]:
        """The query's BM25 terms, at most max_query_terms of them (see rag.workload.query_terms)."""
        return query_terms(tokenize(query), self.index.bm25, self.settings.max_query_terms)

    def _dense(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarity of every chunk (as its best row) and of every row, for a query."""
        sims, rows = self.index.dense.search(self.index.embedder.embed_queries([query]), self.index.dense.ntotal)
        row_scores = np.empty(self.index.dense.ntotal, dtype=np.float32)
        row_scores[rows[0]] = sims[0]
        dense = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        np.maximum.at(dense, self.index.owners, row_scores)
        return dense, row_scores

    def unit_scores(self, stats: "SearchStats", passage: Passage) -> list[ScoredUnit]:
        """The passage's units (see rag.chunking.units) with their similarity to the searched question."""
        i = self._position[passage.chunk_id]
        first = int(self._first_row[i])
        pieces = self._units_of(i)
        if len(pieces) < 2:  # embedded whole only
            return [ScoredUnit(p, float(stats.row_scores[first])) for p in pieces]
        return [ScoredUnit(p, float(stats.row_scores[first + 1 + j])) for j, p in enumerate(pieces)]

    def search(
        self,
        question: str,
        k: int = 5,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        retriever: str | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages, best first."""
        return self.search_with_stats(question, k, doc_ids, kinds, retriever)[0]

    def search_with_stats(
        self,
        question: str,
        k: int = 5,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        retriever: str | None = None,
    ) -> tuple[list[Passage], "SearchStats"]:
        """Passages and how far the best stood out from the whole corpus (for the not-found rule)."""
        s = self.settings
        mode = retriever or s.retriever
        if mode not in RETRIEVERS:
            raise InputError(f"Unknown retriever {mode!r}; use one of {', '.join(RETRIEVERS)}.")
        if not isinstance(k, int) or k < 1:
            raise InputError(f"k must be a positive whole number, got {k!r}.")
        cleaned = clean_question(question, s.max_question_chars)
        query = expand_query(cleaned, self.index.lexicon)
        dense, bm25, row_scores = self.scores(query)
        allowed = self._allowed(doc_ids, kinds)
        lang = language(cleaned)
        fused = np.zeros(len(dense), dtype=np.float64)
        if mode in ("hybrid", "dense"):
            # The small model matches English questions to Chinese text only coarsely;
            # their glossary words, matched by BM25, are the surer evidence.
            weight = s.weight_dense_english if lang == "en" and mode == "hybrid" else s.weight_dense
            fused += weight * _normalise_scores(dense, allowed)
        if mode in ("hybrid", "bm25"):
            fused += s.weight_bm25 * _normalise_scores(bm25, allowed)
        if mode == "hybrid":
            # A question that names a document ("讲话里…", "2020年的意见…") prefers its passages,
            # and policy documents outrank reports and commentary saying the same thing.
            named = set(referenced_documents(question, self.index.manifest.documents))
            fused += s.named_document_boost * np.array([c.doc_id in named for c in self.index.chunks])
            fused += s.policy_boost * self._is_policy
            self._rerank(fused, allowed, query, period_years(cleaned))
        order = [i for i in np.argsort(-fused, kind="stable") if allowed[i]]
        if mode == "bm25":
            order = [i for i in order if bm25[i] > 0]  # BM25 alone has nothing to say about the rest
        order = order[:k]
        chunks = self.index.chunks
        passages = [Passage.from_chunk(chunks[i], fused[i], dense[i], bm25[i]) for i in order]
        top = float(dense[allowed].max()) if allowed.any() else -1.0
        plain = expand_query(cleaned)  # the curated glossary only, as the index's null level was measured
        if plain != query and allowed.any():
            # The dictionary words that help an English question find its passage ("make" -> 制造)
            # would lift any English question above the null level: relevance is judged without them.
            top = float(self._dense(plain)[0][allowed].max())
        null = self.index.manifest.calibration.get(lang) or self.index.manifest.calibration.get("zh", {})
        stats = SearchStats(
            query=query,
            language=lang,
            dense_top=top,
            relevance=(top - null.get("mean", 0.0)) / max(null.get("std", 1.0), 0.005),
            top_bm25=float(bm25[allowed].max()) if allowed.any() else 0.0,
            row_scores=row_scores,
        )
        return passages, stats


@dataclass(frozen=True)
class ScoredUnit:
    """A quotable piece of a passage and its similarity to the question (None: not measured)."""

    text: str
    similarity: float | None = None


@dataclass(frozen=True)
class SearchStats:
    """Evidence of one search beyond the passages, for the not-found rule."""

    query: str  # the normalised question with the Chinese terms of its English words
    language: str  # "zh" or "en"
    dense_top: float  # cosine similarity of the best passage the filters allow
    # How far dense_top stands above what questions on unrelated matters reach in
    # this index, in their standard deviations (see rag/offtopic.txt).
    relevance: float
    top_bm25: float
    row_scores: np.ndarray = dataclasses.field(repr=False, compare=False, default_factory=lambda: np.zeros(0))


def _normalise_scores(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Scores mapped to [0, 1]: the best allowed item is 1, the allowed mean or below is 0.

    Score fusion rather than rank fusion: with few passages, how far ahead the
    best one is matters (a BM25 hit on "研发经费" and "2.5%" should not be
    outweighed by a passage the embedder ranks first by a hair).
    """
    out = np.zeros(len(scores), dtype=np.float64)
    if not allowed.any():
        return out
    top = float(scores[allowed].max())
    floor = float(scores[allowed].mean())
    if top <= floor or top <= 0:
        return out
    out[allowed] = np.clip((scores[allowed] - floor) / (top - floor), 0.0, 1.0)
    return out


# Words that name a kind of document ("讲话里…", "the 2020 opinions").
KIND_WORDS = {
    "policy": ("政策文件", "意见", "policy", "opinions", "guideline"),
    "speech": ("讲话", "speech"),
    "news": ("报道", "新闻", "日报", "news", "report"),
    "commentary": ("解读", "评论", "署名文章", "commentary"),
}

def referenced_documents(question: str, documents: Sequence[DocumentInfo]) -> tuple[str, ...]:
    """Ids of the documents the question names by kind, year or a phrase of their title
    ("2020年的意见", "指导意见里"); empty when it names none, or names them all."""
    low = question.lower()
    kinds = {k for k, words in KIND_WORDS.items() if any(w in low for w in words)}
    years = set(DOCUMENT_YEAR.findall(question))
    picked = [d for d in documents if (not kinds or d.kind in kinds) and (not years or d.date[:4] in years)]
    # A four-character phrase found in one title only ("指导意见", "若干意见") names that document.
    by_title = []
    for d in documents:
        grams = {d.title[i : i + 4] for i in range(len(d.title) - 3)}
        others = {g for o in documents if o is not d for g in (o.title[i : i + 4] for i in range(len(o.title) - 3))}
        # or its author/issuer by name ("兰建平的文章")
        issuer = re.split(r"[（(,，、]", d.issuer)[0]
        if any(g in question for g in grams - others) or (len(issuer) >= 3 and issuer in question):
            by_title.append(d)
    if by_title:
        picked = [d for d in by_title if d in picked] or by_title
    elif not (kinds or years):
        return ()
    if not picked or len(picked) == len(documents):
        return ()
    return tuple(d.doc_id for d in picked)


_cache_lock = threading.Lock()
_retrievers: dict[Settings, Retriever] = {}


def get_retriever(settings: Settings | None = None) -> Retriever:
    """A retriever for these settings, loading the index once per process."""
    settings = settings or Settings.from_env()
    with _cache_lock:
        if settings not in _retrievers:
            _retrievers[settings] = Retriever(load_index(settings), settings)
        return _retrievers[settings]


def reset_cache() -> None:
    """Forget loaded indexes (after a rebuild, or in tests)."""
    with _cache_lock:
        _retrievers.clear()


def search(question: str, k: int = 5, settings: Settings | None = None, **filters) -> list[Passage]:
    """The ``k`` passages that best answer ``question``, best first.

    ``filters``: ``doc_ids=[...]``, ``kinds=["policy"]``, ``retriever="bm25"``.
    """
    return get_retriever(settings).search(question, k, **filters)
