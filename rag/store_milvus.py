"""The Milvus store: the same contract as the embedded one, on Milvus through `pymilvus`.

Each build writes two collections named after it (``rag_<build>_rows``: one dense vector per
row, with its chunk, document and kind; ``rag_<build>_chunks``: each chunk's search text, cut by
Milvus's own ``jieba`` analyzer into a BM25 sparse vector by a BM25 `Function`). Document filters
are Milvus expressions (``doc_id in [...] and kind in [...]``). A build's collections are
written, flushed and loaded before the build is made live; a superseded build's are dropped after.

``RAG_MILVUS_URI``: a Milvus Lite file (default ``<index_dir>/milvus.db``; embedded, one process
at a time) or ``http://host:19530`` for a standalone or distributed Milvus (``RAG_MILVUS_TOKEN``
if it asks for one). Nothing else changes between the two. Needs the ``milvus`` extra.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path

import numpy as np

from .cleaning import normalise
from .errors import BackendError, IndexStateError
from .store import Analyzer, Layout, StoreData, StoreFilter, StoreHits, StoreInfo, StoreQuery, index_kind, no_hits

_INSERT_BATCH = 2_000
_HNSW = {"M": 32, "efConstruction": 80}  # as the embedded store's HNSW (rag.store_graph)
_EF_MIN = 128
_TIMEOUT = 30.0  # seconds for one call; a URI that does not answer fails at connect, in ~1 s
# bm25s's parameters, so both backends score alike (Milvus's own default k1 is 1.2).
_BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}
# What the library's tokenizer keeps (rag.query._TOKEN); anything else becomes a space before
# Milvus's analyzer cuts the text, so punctuation never becomes a BM25 term.
_NOT_TOKEN = re.compile(r"[^\w\u4e00-\u9fff%.+]+")

_clients: dict[tuple[str, str], object] = {}
_lock = threading.Lock()


def uri_of(settings) -> str:
    """``RAG_MILVUS_URI``, or the Milvus Lite file inside the index folder."""
    return settings.milvus_uri or str(Path(settings.index_dir) / "milvus.db")


def _shown(uri: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", uri)  # never print credentials written into the URI


def client(settings):
    """One connected `MilvusClient` per URI and token in this process, or a `BackendError`."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise BackendError(
            "RAG_BACKEND=milvus 需要安装 milvus 扩展：pip install -e '.[milvus]'。"
            "(The milvus backend needs pymilvus and milvus-lite: pip install -e '.[milvus]', or set RAG_BACKEND=embedded.)",
            "RAG_BACKEND",
        ) from None
    uri = uri_of(settings)
    key = (uri, settings.milvus_token)
    with _lock:
        if key not in _clients:
            local = "://" not in uri
            if local:
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                made = MilvusClient(uri=uri, token=settings.milvus_token, timeout=_TIMEOUT)
                made.list_collections(timeout=_TIMEOUT)  # a server that accepts the connection but not the token
            except Exception as exc:  # pymilvus raises MilvusException, grpc errors, or a Lite lock error
                reason = str(exc).strip() or type(exc).__name__
                if local:  # the usual cause: Milvus Lite serves one process at a time
                    reason += (" — a Milvus Lite file is open in one process at a time (another app, `rag build` or "
                               "RAG_API_WORKERS): for several, run a Milvus server and point RAG_MILVUS_URI at it")
                raise BackendError(
                    f"无法连接 Milvus（RAG_MILVUS_URI={_shown(uri)}）：{reason[:400]}。请启动 Milvus、改正 RAG_MILVUS_URI"
                    f"（或 RAG_MILVUS_TOKEN），或设 RAG_BACKEND=embedded。(Milvus at RAG_MILVUS_URI={_shown(uri)} does not "
                    f"answer: {reason[:400]}. Start it, correct RAG_MILVUS_URI (a Milvus Lite file such as index/milvus.db, "
                    "or http://host:19530) or RAG_MILVUS_TOKEN, or set RAG_BACKEND=embedded.)"
                ) from None
            _clients[key] = made
        return _clients[key]


def _failed(settings, exc: Exception, doing: str) -> BackendError:
    """A Milvus call that failed after connecting (the server went away, a full disk, a refused
    request), as the `BackendError` the shells show, naming the setting."""
    uri = _shown(uri_of(settings))
    reason = (str(exc).strip() or type(exc).__name__)[:300]
    return BackendError(
        f"Milvus（RAG_MILVUS_URI={uri}）在{doing}时出错：{reason}。请检查 Milvus 后重试。(Milvus at RAG_MILVUS_URI={uri} "
        f"failed while {doing}: {reason}. Check the server (or correct RAG_MILVUS_URI) and try again; the live index is unchanged.)"
    )


def collection_prefix(name: str) -> str:
    """A build's collections: letters, digits and underscores only, as Milvus requires."""
    return "rag_" + re.sub(r"\W", "_", name)


def lexical_text(text: str) -> str:
    """A text as the library's tokenizer sees it before cutting: normalised, lower-cased, no punctuation."""
    return _NOT_TOKEN.sub(" ", normalise(text).lower()).strip()


def analyzer_params(analyzer: Analyzer) -> dict:
    """Milvus's jieba analyzer with the library's terms of art kept whole and its stopwords dropped.
    ``_default_`` keeps jieba's own dictionary on a Milvus server (Milvus Lite always keeps it)."""
    words = sorted({w.lower() for w in analyzer.words})
    params: dict = {"tokenizer": {"type": "jieba", "mode": "search", "dict": ["_default_", *words]}}
    if analyzer.stopwords:
        params["filter"] = [{"type": "stop", "stop_words": sorted(analyzer.stopwords)}]
    return params


def expression(where: StoreFilter) -> str:
    """The filters as a Milvus boolean expression ("" for none)."""
    parts = [f"{f} in {json.dumps(sorted(v), ensure_ascii=False)}" for f, v in (("doc_id", where.doc_ids), ("kind", where.kinds)) if v is not None]
    return " and ".join(parts)


class Writer:
    """Writes one build's two collections; `discard` drops them."""

    def __init__(self, settings, name: str, folder: Path) -> None:
        self.settings = settings
        self.prefix = collection_prefix(name)

    def write(self, data: StoreData) -> StoreInfo:
        from pymilvus.exceptions import MilvusException

        milvus = client(self.settings)
        try:
            return self._write(milvus, data)
        except MilvusException as exc:
            raise _failed(self.settings, exc, "writing the index") from None

    def _write(self, milvus, data: StoreData) -> StoreInfo:
        from pymilvus import DataType, Function, FunctionType

        self.discard()  # a name is never reused, but a killed build may have left this one half-written
        rows, dim = data.vectors.shape
        kind = index_kind(rows, self.settings)
        schema = milvus.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("chunk", DataType.INT64)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        schema.add_field("kind", DataType.VARCHAR, max_length=64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        index = milvus.prepare_index_params()
        index.add_index("dense", index_type=kind.upper(), metric_type="IP", params=_HNSW if kind == "hnsw" else {})
        milvus.create_collection(f"{self.prefix}_rows", schema=schema, index_params=index, timeout=_TIMEOUT)
        owners = np.asarray(data.owners)
        for start in range(0, rows, _INSERT_BATCH):
            batch = range(start, min(start + _INSERT_BATCH, rows))
            milvus.insert(f"{self.prefix}_rows", [
                {"id": r, "chunk": int(owners[r]), "doc_id": data.chunks[owners[r]].doc_id, "kind": data.chunks[owners[r]].kind,
                 "dense": data.vectors[r].astype(np.float32).tolist()} for r in batch
            ], timeout=_TIMEOUT)
        schema = milvus.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        schema.add_field("kind", DataType.VARCHAR, max_length=64)
        schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                         analyzer_params=analyzer_params(data.analyzer))
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        index = milvus.prepare_index_params()
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=_BM25)
        milvus.create_collection(f"{self.prefix}_chunks", schema=schema, index_params=index, timeout=_TIMEOUT)
        for start in range(0, len(data.chunks), _INSERT_BATCH):
            milvus.insert(f"{self.prefix}_chunks", [
                {"id": i, "doc_id": c.doc_id, "kind": c.kind, "text": lexical_text(c.text)}
                for i, c in enumerate(data.chunks[start:start + _INSERT_BATCH], start)
            ], timeout=_TIMEOUT)
        for part in ("rows", "chunks"):
            milvus.flush(f"{self.prefix}_{part}", timeout=_TIMEOUT)
        return StoreInfo("milvus", kind, rows, len(data.chunks), collection=self.prefix)

    def discard(self) -> None:
        drop(self.settings, "", self.prefix)


def drop(settings, name: str, prefix: str | None) -> None:
    """Drop a build's collections if they are there; a Milvus that does not answer is only logged."""
    prefix = prefix or collection_prefix(name)
    try:
        milvus = client(settings)
        for part in ("rows", "chunks"):
            if milvus.has_collection(f"{prefix}_{part}", timeout=_TIMEOUT):
                milvus.drop_collection(f"{prefix}_{part}", timeout=_TIMEOUT)
    except Exception as exc:  # never fail a build that is already live over its predecessor's leftovers
        logging.getLogger("rag").warning("Could not drop Milvus collections %s_*: %s", prefix, exc)


def present(settings, folder: Path, info: StoreInfo) -> bool:
    milvus = client(settings)
    return all(milvus.has_collection(f"{info.collection}_{part}", timeout=_TIMEOUT) for part in ("rows", "chunks"))


def open_store(settings, folder: Path, info: StoreInfo, layout: Layout) -> "MilvusStore":
    from pymilvus.exceptions import MilvusException

    milvus = client(settings)
    try:
        _load(settings, milvus, folder, info)
    except MilvusException as exc:
        raise _failed(settings, exc, "loading the index") from None
    return MilvusStore(info, milvus, settings)


def _load(settings, milvus, folder: Path, info: StoreInfo) -> None:
    for part, expected in (("rows", info.rows), ("chunks", info.chunks)):
        name = f"{info.collection}_{part}"
        if not milvus.has_collection(name, timeout=_TIMEOUT):
            raise IndexStateError(
                f"Milvus at RAG_MILVUS_URI={_shown(uri_of(settings))} has no collection {name} of the index in {folder}.",
                "rag build --backend milvus --force",
            )
        milvus.load_collection(name, timeout=_TIMEOUT)
        count = int(milvus.get_collection_stats(name, timeout=_TIMEOUT).get("row_count", -1))
        if count != expected:
            raise IndexStateError(f"Milvus collection {name} holds {count} rows, the index {expected}.", "rag build --backend milvus --force")


class MilvusStore:
    """Searches one build's collections. A flat (exact) collection is asked for every allowed row,
    so a small library ranks as it does embedded; an HNSW one for its ``depth`` best."""

    def __init__(self, info: StoreInfo, milvus, settings) -> None:
        self.info = info
        self.milvus = milvus
        self._settings = settings
        self._depth = settings.search_depth

    @property
    def exact(self) -> bool:
        return self.info.index == "flat"

    def search(self, query: StoreQuery) -> StoreHits:
        from pymilvus.exceptions import MilvusException

        try:
            return self._search(query)
        except MilvusException as exc:
            raise _failed(self._settings, exc, "searching") from None

    def _search(self, query: StoreQuery) -> StoreHits:
        expr = expression(query.where)
        rows, row_scores = no_hits()
        if query.vector is not None:
            limit = query.depth or (self.info.rows if self.exact else self._depth)
            hits = self.milvus.search(
                f"{self.info.collection}_rows", data=[np.asarray(query.vector, dtype=np.float32).tolist()], anns_field="dense",
                limit=min(limit, self.info.rows), filter=expr, output_fields=["chunk"],
                search_params={"metric_type": "IP", "params": {"ef": max(_EF_MIN, 2 * limit)} if not self.exact else {}},
                timeout=_TIMEOUT,
            )[0]
            rows = np.array([h["id"] for h in hits], dtype=np.int64)
            row_scores = np.array([h["distance"] for h in hits], dtype=np.float32)
        chunks, chunk_scores = no_hits()
        text = lexical_text(query.text) if query.text else ""
        if text:
            limit = query.depth or self.info.chunks
            hits = self.milvus.search(
                f"{self.info.collection}_chunks", data=[text], anns_field="sparse", limit=min(limit, self.info.chunks),
                filter=expr, output_fields=["doc_id"], search_params={"metric_type": "BM25"}, timeout=_TIMEOUT,
            )[0]
            # Milvus Lite reports BM25 as a distance (its negative); a server as the score itself.
            scored = [(h["id"], abs(float(h["distance"]))) for h in hits if h["distance"]]
            chunks = np.array([i for i, _ in scored], dtype=np.int64)
            chunk_scores = np.array([s for _, s in scored], dtype=np.float32)
        return StoreHits(rows, row_scores, chunks, chunk_scores)

    def similarities(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        from pymilvus.exceptions import MilvusException

        ids = [int(r) for r in rows]
        try:
            got = self.milvus.get(f"{self.info.collection}_rows", ids=ids, output_fields=["dense"], timeout=_TIMEOUT)
        except MilvusException as exc:
            raise _failed(self._settings, exc, "reading vectors") from None
        stored = {int(g["id"]): np.asarray(g["dense"], dtype=np.float32) for g in got}
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        return np.array([float(stored[i] @ query) for i in ids], dtype=np.float32)

    def document_frequency(self) -> object:
        return None  # Milvus does not expose it: a question over max_query_terms keeps its first terms

    def close(self) -> None:
        """The client is shared by the process (one per URI): nothing to release per index."""
