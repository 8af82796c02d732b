"""The index store: where a build's vectors and lexical index live, and how they are searched.

One contract for every backend (as the ``rerankers`` library has one for every reranker):
a build hands the store a `StoreData` and gets a `StoreInfo` back for the manifest; a search
sends a `StoreQuery` and gets `StoreHits` — raw similarities of vector rows and BM25 scores
of chunks, best first, already restricted by the document filters. Everything above that —
the passages and their units, score fusion, rerank, the null level, sections — is the
retrieval stage's and is the same whatever the backend.

Backends (``RAG_BACKEND``):

- ``embedded`` (default, `rag.store_embedded`): FAISS and bm25s files inside the build folder;
  nothing to start.
- ``milvus`` (`rag.store_milvus`): a Milvus collection per build, dense vectors plus Milvus's
  own BM25 full-text search with its ``jieba`` analyzer; ``RAG_MILVUS_URI`` is a Milvus Lite
  file (default: ``<index_dir>/milvus.db``) or a standalone / distributed server.

The vector index is chosen by size for both: exact search up to ``hnsw_threshold`` vectors
(every row is scored, so a small library ranks exactly as before), HNSW above it (each
retriever returns its ``search_depth`` best).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .errors import IndexStateError

if TYPE_CHECKING:
    from .settings import Settings

BACKENDS = ("embedded", "milvus")
_MODULES = {"embedded": ".store_embedded", "milvus": ".store_milvus"}
# Milvus answers at most this many hits per search (its topk limit): an exact search that
# scores every row needs the library to be smaller, so hnsw_threshold may not exceed it.
MAX_EXACT_ROWS = 16_384


@dataclass(frozen=True)
class StoredChunk:
    """What the store keeps of one chunk: its filter fields and its lexical text."""

    doc_id: str
    kind: str
    text: str  # what BM25 reads (IndexedChunk.search_text)
    tokens: tuple[str, ...] = ()  # the library's own tokens of ``text`` (a backend with its own analyzer ignores them)


@dataclass(frozen=True)
class Analyzer:
    """How a backend with its own tokenizer should cut text: the library's terms of art kept whole
    (``vocabulary/words.txt``) and the words BM25 ignores (built-in and the library's stopwords)."""

    words: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreData:
    """Everything a build writes into a store. Rows are grouped by chunk (``owners`` ascending)."""

    vectors: np.ndarray  # (rows, dim) float32, unit length
    owners: np.ndarray  # (rows,) row -> chunk number
    chunks: tuple[StoredChunk, ...]
    analyzer: Analyzer = field(default_factory=Analyzer)


@dataclass(frozen=True)
class StoreInfo:
    """What the manifest records of a store (``manifest.store``)."""

    backend: str
    index: str  # "flat" (exact) | "hnsw"
    rows: int
    chunks: int
    collection: str = ""  # Milvus: the build's collection prefix
    # Embedded HNSW (rag.store_graph): nodes kept from the previous build's graph (0: made anew),
    # and nodes of removed or replaced passages left in it, never returned.
    reused: int = 0
    dead: int = 0

    @classmethod
    def from_manifest(cls, data: dict, rows: int, chunks: int) -> "StoreInfo":
        """The manifest's record; an index written before stores existed is embedded and exact."""
        if not data:
            return cls("embedded", "flat", rows, chunks)
        return cls(**data)


@dataclass(frozen=True)
class StoreFilter:
    """Document filters of a search (None: no restriction)."""

    doc_ids: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        return self.doc_ids is None and self.kinds is None


@dataclass(frozen=True)
class StoreQuery:
    """One search. ``vector`` None: no dense search; no ``text`` and ``tokens``: no lexical search."""

    vector: np.ndarray | None = None  # (dim,) float32
    text: str = ""  # the question as text, for a backend with its own analyzer
    tokens: tuple[str, ...] = ()  # the same question as the library's BM25 tokens
    where: StoreFilter = field(default_factory=StoreFilter)
    depth: int | None = None  # hits per retriever; None: every allowed row and every matching chunk


@dataclass(frozen=True)
class StoreHits:
    """Raw scores, best first: inner products of vector rows, BM25 of chunks (only those above 0)."""

    rows: np.ndarray  # int64 row numbers
    row_scores: np.ndarray  # float32
    chunks: np.ndarray  # int64 chunk numbers
    chunk_scores: np.ndarray  # float32


@dataclass(frozen=True, eq=False)
class Layout:
    """What the retrieval stage keeps beside any store: row -> chunk, and each chunk's document and kind."""

    owners: np.ndarray  # (rows,) int32, ascending
    doc_ids: np.ndarray  # (chunks,) str
    kinds: np.ndarray  # (chunks,) str


def no_hits() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)


@runtime_checkable
class IndexStore(Protocol):
    """A loaded store, read-only and safe to share between threads."""

    info: StoreInfo

    @property
    def exact(self) -> bool:
        """True when a search with ``depth=None`` scores every allowed row (flat index)."""
        ...

    def search(self, query: StoreQuery) -> StoreHits:
        """Dense and lexical hits for one question, within ``query.where``."""
        ...

    def similarities(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner products of ``vector`` with the given rows, in their order (the units of a passage
        an approximate search did not reach)."""
        ...

    def document_frequency(self) -> object:
        """What `rag.workload.query_terms` reads the terms' document frequency from (None: unknown)."""
        ...

    def close(self) -> None:
        ...


class StoreWriter(Protocol):
    """Writes one build's store; `discard` undoes it when the build fails."""

    def write(self, data: StoreData) -> StoreInfo:
        ...

    def discard(self) -> None:
        ...


def index_kind(rows: int, settings: "Settings") -> str:
    """Exact search for a small library, HNSW above ``hnsw_threshold`` vectors."""
    return "hnsw" if rows > settings.hnsw_threshold else "flat"


def _backend(name: str):
    if name not in _MODULES:
        raise IndexStateError(f"Unknown index backend {name!r} in the manifest.", "rag build")
    return importlib.import_module(_MODULES[name], __package__)


def create_store(settings: "Settings", name: str, folder: Path) -> StoreWriter:
    """A writer for build ``name`` (its files go into ``folder``, the unfinished build folder)."""
    return _backend(settings.backend).Writer(settings, name, Path(folder))


def open_store(settings: "Settings", folder: Path, info: StoreInfo, layout: Layout) -> IndexStore:
    """The store of a verified build, or an `IndexStateError` / `BackendError` saying what to do."""
    return _backend(info.backend).open_store(settings, Path(folder), info, layout)


def store_present(settings: "Settings", folder: Path, info: StoreInfo) -> bool:
    """Whether a build's store is all there (its files, or its Milvus collections)."""
    return _backend(info.backend).present(settings, Path(folder), info)


def drop_store(settings: "Settings", name: str, manifest_store: dict | None) -> None:
    """Remove what a superseded or failed build left in its backend outside its folder (a Milvus
    collection; embedded stores live in the folder). Never raises: the live index is not at stake."""
    backend = (manifest_store or {}).get("backend", settings.backend)
    if backend == "milvus":
        _backend("milvus").drop(settings, name, (manifest_store or {}).get("collection"))
