"""Retrieval stage: the passages of a loaded index that best answer a `Query`.

`search()` is the public entry point; `Retriever` holds a loaded index and is
what the answer stage and the chat reuse. It checks the filters, asks the store
for every passage's dense and BM25 scores, has them ranked (`rag.ranking`: score
fusion, boosts, rerank) and returns the best as `Passage`s with their units scored,
in a `Retrieval` with how far the best stood out from the whole library. The values
are `rag.passage`'s, re-exported here; the retriever also serves the later stages'
questions about the library (a document's record and validity, a passage's part,
term weights).
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Iterable, Sequence

import numpy as np

from .sentences import units
from .errors import InputError
from .index import DocumentRecord, Index, load_index
from .ingest import KINDS
from .passage import VALIDITY, Passage, Retrieval, ScoredUnit  # noqa: F401 (the stage's API)
from .ranking import fuse, rerank, term_weight, top_k
from .settings import Settings
from .query import years_named
from .store import StoreFilter, StoreQuery
from .understand import Catalog, Query, understand
from .workload import query_terms

RETRIEVERS = ("hybrid", "dense", "bm25")


class Retriever:
    """Search over one loaded index."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        # Each chunk's document and kind as arrays: filters and boosts cost no Python loop per question.
        self._doc_ids = np.array([c.doc_id for c in index.chunks])
        self._kinds = np.array([c.doc_kind for c in index.chunks])
        self._is_policy = (self._kinds == "policy").astype(np.float64)
        self._idf: dict[str, float] = {}
        self._validity: dict[str, str] = {}
        self._parts: dict[tuple[str, tuple[str, ...]], str] = {}
        self._units: dict[int, list[str]] = {}
        self._part_years: dict[int, tuple[str, ...]] = {}
        # Rows of the dense index are grouped by chunk: the whole chunk, then its units.
        self._first_row = np.searchsorted(index.owners, np.arange(len(index.chunks)))

    @functools.cached_property
    def known_text(self) -> str:
        """Everything the index says, lower-cased: passages, section paths, document titles, issuers, dates, sources."""
        docs = [" ".join((d.title, d.issuer, d.date, d.source)) for d in self.index.documents.values()]
        return "\n".join([*(c.text for c in self.index.chunks), *(c.section_path for c in self.index.chunks), *docs]).lower()

    @functools.cached_property
    def catalog(self) -> Catalog:
        """What question understanding needs of this library: its documents and vocabulary."""
        numbers = tuple((d.info.doc_number, d.doc_id) for d in self.index.documents.values() if d.info.doc_number)
        return Catalog(tuple(self.index.manifest.documents), self.index.vocabulary, self.known_text, numbers)

    def understand(self, question: object, history: Sequence[object] = ()) -> Query:
        """The `Query` of a question in this library (see rag.understand)."""
        return understand(question, history, self.catalog, self.settings.max_question_chars)

    def document(self, doc_id: str) -> DocumentRecord:
        """A document's record and whole text."""
        return self.index.documents[doc_id]

    def chunk_passage(self, i: int, score: float = 1.0) -> Passage:
        """Chunk ``i`` as a passage (no search scores)."""
        chunk = self.index.chunks[i]
        return Passage.from_chunk(chunk, score, 0.0, 0.0, validity=self.validity(chunk.doc_id), part_years=self.part_years(i))

    def validity(self, doc_id: str) -> str:
        """What a citation of the document must say of its force today ("" in force or unknown)."""
        if doc_id not in self._validity:
            info = getattr(self.index.documents[doc_id], "info", None)
            state = info.validity(time.strftime("%Y-%m-%d")) if info is not None else "unknown"
            self._validity[doc_id] = VALIDITY.get(state, "")
        return self._validity[doc_id]

    def part_text(self, passage: Passage) -> str:
        """The text of the part of the document a passage belongs to (its top-level section; the
        document's opening passages before any heading are a part of their own)."""
        return self._part(passage.doc_id, passage.headings[:1])

    def part_years(self, i: int) -> tuple[str, ...]:
        """The year chunk ``i`` is read under in its part of the document (see ``part_text``): the last
        one written before it there, 《titles》 aside — "2023年,全省工业增加值…" stays in force over the
        passages after it until another year is named. () when none is."""
        if i not in self._part_years:  # asked for every passage a search hands out: worked out once per chunk
            chunk, chunks = self.index.chunks[i], self.index.chunks
            before = [j for j in self.chunks_of(chunk.doc_id) if j < i and chunks[j].section[:1] == chunk.section[:1]]
            named = next((found for j in reversed(before) if (found := years_named(chunks[j].text))), [])
            self._part_years[i] = (named[-1],) if named else ()
        return self._part_years[i]

    def _part(self, doc_id: str, top: tuple[str, ...]) -> str:
        key = (doc_id, top)
        if key not in self._parts:
            chunks = self.index.chunks
            self._parts[key] = "\n".join(chunks[i].text for i in self.chunks_of(doc_id) if chunks[i].section[:1] == top)
        return self._parts[key]

    def _units_of(self, i: int) -> list[str]:
        """The units of chunk ``i`` (see rag.sentences.units), split once: the rerank and the
        composer's scores both read them."""
        if i not in self._units:
            chunk = self.index.chunks[i]
            self._units[i] = units(chunk.text, chunk.section)
        return self._units[i]

    def idf(self, term: str) -> float:
        """Inverse passage frequency of a term (substring match); a term no passage holds weighs most
        (see rag.ranking.term_weight)."""
        if term not in self._idf:
            self._idf[term] = term_weight(self._lowered, term)
        return self._idf[term]

    @functools.cached_property
    def _lowered(self) -> list[str]:
        """Every chunk's text, lower-cased once (the rerank's term weights count passages holding a term)."""
        return [c.text.lower() for c in self.index.chunks]

    def chunks_of(self, doc_id: str) -> np.ndarray:
        """The chunk numbers of one document, in order."""
        return np.flatnonzero(self._doc_ids == doc_id)

    def _allowed(self, doc_ids: Iterable[str] | None, kinds: Iterable[str] | None) -> tuple[np.ndarray, StoreFilter]:
        """The chunks the filters allow, and the filters as the store applies them."""
        docs = _checked("doc_ids", doc_ids, {d.doc_id for d in self.index.manifest.documents})
        kinds = _checked("kinds", kinds, set(KINDS) | {d.kind for d in self.index.manifest.documents})
        allowed = np.ones(len(self.index.chunks), dtype=bool)
        if docs is not None:
            allowed &= np.isin(self._doc_ids, sorted(docs))
        if kinds is not None:
            allowed &= np.isin(self._kinds, sorted(kinds))
        return allowed, StoreFilter(frozenset(docs) if docs else None, frozenset(kinds) if kinds else None)

    def _scores(
        self, query: Query, vector: np.ndarray, text: str, tokens: list[str], where: StoreFilter, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dense (cosine, each chunk as its best row) and BM25 (of ``tokens``) scores of every chunk
        for a query, and the dense score of every row (NaN where the store did not measure it).

        An exact store scores every allowed row, so these are the whole library's scores. An
        approximate one (HNSW) returns its ``search_depth`` best of each: an allowed chunk it did
        not reach counts as its lowest dense hit and as BM25 0, for the fusion's normalisation."""
        store = self.index.store
        depth = None if store.exact else self.settings.search_depth
        hits = store.search(StoreQuery(vector, text, tuple(tokens), where, depth))
        row_scores = np.full(len(self.index.owners), np.nan, dtype=np.float32)
        row_scores[hits.rows] = hits.row_scores
        dense = np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        np.maximum.at(dense, self.index.owners[hits.rows], hits.row_scores)
        if not store.exact and len(hits.rows):
            reached = np.zeros(len(dense), dtype=bool)
            reached[self.index.owners[hits.rows]] = True
            dense[allowed & ~reached] = hits.row_scores.min()
        bm25 = np.zeros(len(self.index.chunks), dtype=np.float32)
        bm25[hits.chunks] = hits.chunk_scores
        return dense, bm25, row_scores

    def _terms(self, text: str) -> tuple[list[str], str]:
        """The query's BM25 terms, at most max_query_terms of them (see rag.workload.query_terms),
        and the text a store with its own analyzer reads: the query's, or only those terms when
        they were bounded."""
        tokens = self.index.vocabulary.tokenize(text)
        terms = query_terms(tokens, self.index.store.document_frequency(), self.settings.max_query_terms)
        return terms, (text if terms is tokens else " ".join(terms))

    def _embed(self, text: str) -> np.ndarray:
        return np.asarray(self.index.embedder.embed_queries([text]), dtype=np.float32)[0]

    def _relevance(self, language: str, top: float, doc_id: str) -> float:
        """How far the best similarity stands above the null level of its document, in its deviations."""
        mean, std = null_level(self.index.manifest.calibration, language, doc_id)
        return (top - mean) / std

    def _measure_units(self, order: list[int], vector: np.ndarray, dense: np.ndarray, row_scores: np.ndarray) -> None:
        """The similarity of every unit of the passages returned, where an approximate search did not
        measure it (the composer reads them), and each passage's dense score as its best row's."""
        spans = [(int(self._first_row[i]), int(self._first_row[i + 1]) if i + 1 < len(self._first_row) else len(row_scores)) for i in order]
        missing = np.array([r for a, b in spans for r in range(a, b) if np.isnan(row_scores[r])], dtype=np.int64)
        if not len(missing):
            return
        row_scores[missing] = self.index.store.similarities(vector, missing)
        for i, (a, b) in zip(order, spans):
            dense[i] = max(float(dense[i]), float(np.nanmax(row_scores[a:b])))

    def _scored_units(self, i: int, row_scores: np.ndarray) -> tuple[ScoredUnit, ...]:
        """Chunk ``i``'s units (see rag.sentences.units) with their similarity to the question."""
        first = int(self._first_row[i])
        pieces = self._units_of(i)
        if len(pieces) < 2:  # embedded whole only
            return tuple(ScoredUnit(p, float(row_scores[first])) for p in pieces)
        return tuple(ScoredUnit(p, float(row_scores[first + 1 + j])) for j, p in enumerate(pieces))

    def search(
        self,
        question: str | Query,
        k: int = 5,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        retriever: str | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages, best first."""
        return self.retrieve(question, k, doc_ids, kinds, retriever).passages

    def retrieve(
        self,
        question: str | Query,
        k: int = 5,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        retriever: str | None = None,
    ) -> "Retrieval":
        """Passages (with their units scored) and how far the best stood out from the whole library."""
        s = self.settings
        mode = retriever or s.retriever
        if mode not in RETRIEVERS:
            raise InputError(f"Unknown retriever {mode!r}; use one of {', '.join(RETRIEVERS)}.")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InputError(f"k 必须是正整数。(k must be a positive whole number, got {k!r}.)")
        query = question if isinstance(question, Query) else self.understand(question)
        allowed, where = self._allowed(doc_ids, kinds)
        terms, text = self._terms(query.search_text)  # once: BM25 and the rerank read the same terms
        vector = self._embed(query.search_text)
        dense, bm25, row_scores = self._scores(query, vector, text, terms, where, allowed)
        fused = fuse(mode, query, dense, bm25, allowed, s, self._doc_ids, self._is_policy, self.index.manifest.documents)
        if mode == "hybrid":
            rerank(fused, allowed, query, terms, s, self.index.chunks, self.idf, self._units_of, self._part)
        # BM25 alone has nothing to say about passages without its terms.
        order = top_k(fused, allowed & (bm25 > 0) if mode == "bm25" else allowed, k).tolist()
        self._measure_units(order, vector, dense, row_scores)
        chunks = self.index.chunks
        passages = [
            Passage.from_chunk(
                chunks[i], fused[i], dense[i], bm25[i], self._scored_units(i, row_scores), self.validity(chunks[i].doc_id), self.part_years(i)
            )
            for i in order
        ]
        top, best_doc = -1.0, ""
        if allowed.any():
            best_chunk = int(np.flatnonzero(allowed)[np.argmax(dense[allowed])])
            top, best_doc = float(dense[best_chunk]), chunks[best_chunk].doc_id
        if query.plain_text != query.search_text and allowed.any():
            # The dictionary words that help an English question find its passage ("make" -> 制造)
            # would lift any English question above the null level: relevance is judged without them.
            hits = self.index.store.search(StoreQuery(self._embed(query.plain_text), where=where, depth=1))
            if len(hits.row_scores):
                at = int(np.argmax(hits.row_scores))
                top, best_doc = float(hits.row_scores[at]), chunks[int(self.index.owners[hits.rows[at]])].doc_id
            else:
                top = -1.0
        return Retrieval(
            query=query,
            passages=passages,
            dense_top=top,
            relevance=self._relevance(query.language, top, best_doc),
            top_bm25=float(bm25[allowed].max()) if allowed.any() else 0.0,
        )


def null_level(calibration: dict, language: str, doc_id: str) -> tuple[float, float]:
    """(mean, std) of the best similarity questions on unrelated matters reach: in the document the
    best passage is from, when the build measured each document's, else in the whole library."""
    null = calibration.get(language) or calibration.get("zh", {})
    own = null.get("documents", {}).get(doc_id)
    mean, std = own if own else (null.get("mean", 0.0), null.get("std", 1.0))
    return mean, max(std, MIN_NULL_STD)


MIN_NULL_STD = 0.005  # a document every off-topic question matches alike says nothing finer than this


def _checked(name: str, values: Iterable[str] | None, known: set[str]) -> set[str] | None:
    """A filter as a set, or an `InputError` that names the valid values."""
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InputError(f"{name} 必须是列表，例如 {name}=[{sorted(known)[0]!r}]。({name} must be a list of strings.)")
    values = set(values)
    unknown = sorted(str(v) for v in values - known)
    if unknown:
        raise InputError(
            f"{name} 中有未知的值：{', '.join(unknown)}。可用的值：{', '.join(sorted(known))}。"
            f"(Unknown {name}: {', '.join(unknown)}; valid: {', '.join(sorted(known))}.)"
        )
    return values or None


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
