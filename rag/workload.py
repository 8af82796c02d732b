"""How much work one question, or one build, may do: threads, the embedder's window, BM25 terms.

* **Threads.** The bundled model's engine runs OpenMP. Left alone it gives every
  single-question embedding a team of one thread per core; beside any other busy
  process (another question, a build, another service) the team waits at every
  layer's barrier for a thread the scheduler has not run yet, and a 20 ms search
  takes hundreds of milliseconds (measured: ``bench/busy.py``, README *Performance
  under load*). So a question runs on ``query_threads`` (default 1) and the build,
  which is batch work, on ``build_threads`` (default 0: every core this process may
  use) — as that many batches at once, each on one thread, when the embedder can be
  held to one (a team across the cores stalls the same way beside a busy process:
  README *Build throughput*). OpenMP's thread count is a per-thread setting, so it is set in the thread
  that makes each call: concurrent questions and a build in the same process do
  not change each other's.
* **The embedder's window.** A query longer than the model's window (e5: 512
  tokens) is cut to it, by the model's own token count where the embedder offers
  one, else by characters (a token covers at least one character).
* **BM25 terms.** A question of more than ``max_query_terms`` terms keeps that many
  of its distinct terms, the rarest in the index.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

import numpy as np

from .embedding import Embedder
from .errors import InputError
from .settings import Settings

DEFAULT_WINDOW = 512  # tokens, for an embedder that does not say (e5, MiniLM: 512)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's cpuset), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def thread_count(setting: int, name: str) -> int:
    """A thread setting as a number of threads: 0 means every available core."""
    if not isinstance(setting, int) or setting < 0:
        raise InputError(
            f"线程数设置 {name} 必须是 0 或正整数。(Setting {name} must be 0 (every core) or a positive whole number, got {setting!r}.)"
        )
    return setting or available_cores()


def use_threads(embedder: object, n: int) -> None:
    """Size, for the calling thread, the OpenMP pools the next embedding and FAISS calls run in."""
    set_threads = getattr(embedder, "set_threads", None)
    if set_threads is not None:
        set_threads(n)
    faiss = sys.modules.get("faiss")  # only if something already loaded it: importing it is slow
    if faiss is not None:
        faiss.omp_set_num_threads(n)


def clip_query(text: str, embedder: object, window: int) -> str:
    """The longest prefix of ``text`` the embedder reads within ``window`` tokens (specials and prefix included).

    By the embedder's own ``token_count`` when it has one (the bundled model
    counts exactly what it would feed); else by characters, since a SentencePiece
    or WordPiece token covers at least one character.
    """
    count = getattr(embedder, "token_count", None)
    if count is None:
        return text[:window]
    if count(text) <= window:
        return text
    # Longest prefix within the window: widen until over it, then bisect (a few
    # tokenizations of at most a few thousand characters: well under a millisecond each).
    lo, hi = 0, min(len(text), window)
    while hi < len(text) and count(text[:hi]) <= window:
        lo, hi = hi, min(len(text), hi * 2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count(text[:mid]) <= window:
            lo = mid
        else:
            hi = mid
    return text[:lo]


class BoundedEmbedder:
    """An embedder as the index uses it: on a fixed number of threads, queries within the model's window.

    Same ``name`` and ``dim`` as the model it wraps, so manifests and model checks are unchanged.
    """

    def __init__(self, inner: Embedder, threads: int, max_query_tokens: int, workers: int = 1) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.threads = threads
        self.workers = workers  # batches a build embeds at once, each in a thread of its own
        self.window = min(max_query_tokens, int(getattr(inner, "window", DEFAULT_WINDOW)))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        use_threads(self.inner, self.threads)
        return self.inner.embed_queries([clip_query(t, self.inner, self.window) for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        use_threads(self.inner, self.threads)
        return self.inner.embed_passages(texts)


def _bounded(embedder: Embedder, threads: int, settings: Settings, workers: int = 1) -> BoundedEmbedder:
    if not isinstance(settings.max_query_tokens, int) or settings.max_query_tokens < 8:
        raise InputError(
            f"RAG_MAX_QUERY_TOKENS 至少为 8。(Setting max_query_tokens must be at least 8, got {settings.max_query_tokens!r}.)"
        )
    inner = embedder.inner if isinstance(embedder, BoundedEmbedder) else embedder
    return BoundedEmbedder(inner, threads, settings.max_query_tokens, workers)


def for_queries(embedder: Embedder, settings: Settings) -> BoundedEmbedder:
    """The embedder for answering questions: ``query_threads`` per question."""
    return _bounded(embedder, thread_count(settings.query_threads, "query_threads"), settings)


def for_build(embedder: Embedder, settings: Settings) -> BoundedEmbedder:
    """The embedder for a build: ``build_threads`` (batch work may use every core).

    An embedder whose threads can be set (the bundled model) embeds ``build_threads`` batches at
    once on one thread each; any other gets the threads it takes by itself, one batch at a time.
    """
    n = thread_count(settings.build_threads, "build_threads")
    inner = embedder.inner if isinstance(embedder, BoundedEmbedder) else embedder
    if n > 1 and callable(getattr(inner, "set_threads", None)):
        return _bounded(embedder, 1, settings, workers=n)
    return _bounded(embedder, n, settings)


def query_terms(tokens: list[str], bm25: object, limit: int) -> list[str]:
    """The question's BM25 terms, bounded: up to ``limit`` as they are; beyond that, the ``limit``
    rarest distinct terms (fewest passages hold them; unknown ones first), in the question's order.

    A question of ordinary length is untouched (a repeated word keeps its weight);
    a 2,000-character one costs what a long sentence costs.
    """
    if len(tokens) <= limit:
        return tokens
    distinct = list(dict.fromkeys(tokens))
    if len(distinct) > limit:
        frequency = _document_frequency(bm25)
        rarest = sorted(range(len(distinct)), key=lambda i: (frequency(distinct[i]), i))[:limit]
        distinct = [distinct[i] for i in sorted(rarest)]
    return distinct


def _document_frequency(bm25: object):
    """term -> number of passages holding it, read from a bm25s index (0 for a term it lacks)."""
    vocab = getattr(bm25, "vocab_dict", None) or {}
    indptr = (getattr(bm25, "scores", None) or {}).get("indptr")
    if indptr is None:
        return lambda term: 0
    return lambda term: int(indptr[vocab[term] + 1] - indptr[vocab[term]]) if term in vocab else 0
