"""The embedded store (the default): FAISS and bm25s files inside the build folder, nothing to start.

``dense.faiss`` is an exact inner-product index (`faiss.IndexFlatIP`) up to ``hnsw_threshold``
vectors and `faiss.IndexHNSWFlat` (in a `faiss.IndexIDMap2`) above it; ``bm25/`` is a bm25s
index over the library's own jieba tokens. An exact search scores every row (as the index always did); an HNSW one returns
its ``depth`` best (recall against exact search: ``bench/hnsw_recall.py``). An HNSW build grows
the previous build's graph rather than making it anew (`rag.store_graph`).
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import numpy as np

from .errors import IndexStateError
from .store import Layout, StoreData, StoreFilter, StoreHits, StoreInfo, StoreQuery, index_kind, no_hits
from .store_graph import build_graph, live_rows

FILES = ("dense.faiss", "bm25")
# The search beam is at least twice the hits asked for. Recall@10 against exact search: README.
HNSW_EF_SEARCH_MIN = 128


class Writer:
    """Writes ``dense.faiss`` and ``bm25/`` into the unfinished build folder."""

    def __init__(self, settings, name: str, folder: Path) -> None:
        self.settings = settings
        self.folder = folder

    def write(self, data: StoreData) -> StoreInfo:
        import bm25s
        import faiss

        rows, dim = data.vectors.shape
        kind = index_kind(rows, self.settings)
        vectors = np.ascontiguousarray(data.vectors, dtype=np.float32)
        reused = dead = 0
        if kind == "hnsw":
            graph = build_graph(vectors, self.folder)
            dense, reused, dead = graph.index, graph.reused, graph.dead
        else:
            dense = faiss.IndexFlatIP(dim)  # exact: adding is a copy, nothing to reuse
            dense.add(vectors)
        write_faiss(dense, self.folder / "dense.faiss")
        bm25 = bm25s.BM25()
        bm25.index([list(c.tokens) or [""] for c in data.chunks], show_progress=False)
        bm25.save(str(self.folder / "bm25"), show_progress=False)
        return StoreInfo("embedded", kind, rows, len(data.chunks), reused=reused, dead=dead)

    def discard(self) -> None:
        """Nothing outside the build folder, which the build removes itself."""


def write_faiss(dense, path: Path) -> None:
    """`faiss.write_index`, its I/O failures (a full disk) raised as the `OSError` they are, not a RuntimeError."""
    import faiss

    try:
        faiss.write_index(dense, str(path))
    except RuntimeError as exc:
        message = str(exc)
        if "write error in" not in message and "could not open" not in message:
            raise
        reason = re.search(r"\(([^()]+)\)\s*$", message) or re.search(r":\s*([^:]+)$", message)
        raise OSError(errno.EIO, reason.group(1) if reason else message) from exc


def present(settings, folder: Path, info: StoreInfo) -> bool:
    return all((folder / name).exists() for name in FILES)


def open_store(settings, folder: Path, info: StoreInfo, layout: Layout) -> "EmbeddedStore":
    import bm25s
    import faiss

    try:
        dense = faiss.read_index(str(folder / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, EOFError) as exc:
        raise IndexStateError(f"The index in {folder} is damaged ({exc!r}).", "rag build") from None
    if dense.ntotal != info.rows + info.dead or (info.index == "hnsw" and not live_rows(dense, info.rows, info.dead)):
        raise IndexStateError(f"The index in {folder} is inconsistent ({dense.ntotal} vectors, {info.rows} rows, {info.dead} dead).")
    return EmbeddedStore(info, dense, bm25, layout, settings.search_depth)


class EmbeddedStore:
    """FAISS + bm25s in this process. Filters are applied to the scores (exact) or inside the
    HNSW search (an `IDSelector`), so a filtered search still returns its ``depth`` allowed rows.
    A grown HNSW graph's dead nodes (id -1, `rag.store_graph`) are left out the same way."""

    def __init__(self, info: StoreInfo, dense, bm25, layout: Layout, depth: int) -> None:
        import faiss

        self.info = info
        self.dense = dense
        self.bm25 = bm25
        self._layout = layout
        self._depth = depth
        # Read-only once made, so every search thread shares it.
        self._alive = faiss.IDSelectorRange(0, info.rows) if info.dead else None

    @property
    def exact(self) -> bool:
        return self.info.index == "flat"

    def _allowed_chunks(self, where: StoreFilter) -> np.ndarray | None:
        if where.empty:
            return None
        mask = np.ones(len(self._layout.doc_ids), dtype=bool)
        if where.doc_ids is not None:
            mask &= np.isin(self._layout.doc_ids, list(where.doc_ids))
        if where.kinds is not None:
            mask &= np.isin(self._layout.kinds, list(where.kinds))
        return mask

    def search(self, query: StoreQuery) -> StoreHits:
        chunk_mask = self._allowed_chunks(query.where)
        rows, row_scores = self._dense(query, chunk_mask) if query.vector is not None else no_hits()
        chunks, chunk_scores = self._lexical(query, chunk_mask) if query.tokens else no_hits()
        return StoreHits(rows, row_scores, chunks, chunk_scores)

    def _dense(self, query: StoreQuery, chunk_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        vector = np.asarray(query.vector, dtype=np.float32).reshape(1, -1)
        owners = self._layout.owners
        if self.exact:
            sims, rows = self.dense.search(vector, self.dense.ntotal)
            sims, rows = sims[0], rows[0].astype(np.int64)
            if chunk_mask is not None:
                keep = chunk_mask[owners[rows]]
                sims, rows = sims[keep], rows[keep]
            depth = query.depth or len(rows)
            return rows[:depth], sims[:depth]
        depth = query.depth or self._depth
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(HNSW_EF_SEARCH_MIN, 2 * depth)
        if chunk_mask is not None:
            allowed = np.flatnonzero(chunk_mask[owners]).astype(np.int64)
            if not len(allowed):
                return no_hits()
            params.sel = faiss.IDSelectorBatch(allowed)  # row numbers: dead nodes (-1) are never among them
        elif self._alive is not None:
            params.sel = self._alive
        sims, rows = self.dense.search(vector, min(depth, self.info.rows), params=params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), sims[0][keep]

    def _lexical(self, query: StoreQuery, chunk_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        scores = np.asarray(self.bm25.get_scores(list(query.tokens)), dtype=np.float32)
        if chunk_mask is not None:
            scores = np.where(chunk_mask, scores, 0.0).astype(np.float32)
        hits = np.flatnonzero(scores > 0)
        if query.depth is not None and len(hits) > query.depth:
            hits = hits[np.argpartition(-scores[hits], query.depth - 1)[: query.depth]]
        hits = hits[np.argsort(-scores[hits], kind="stable")].astype(np.int64)
        return hits, scores[hits]

    def similarities(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        stored = self.dense.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return (stored @ np.asarray(vector, dtype=np.float32).reshape(-1)).astype(np.float32)

    def document_frequency(self) -> object:
        return self.bm25

    def close(self) -> None:
        """Nothing to release: the arrays go with the object."""
