"""Where the HTTP API's questions are answered: threads of the server process, or worker processes.

The chat's queue (Gradio) must live in one process, so the server runs as one
process; its API questions can still use every core by going to a pool of
worker processes (``api_workers``), each loading the same index read-only once.
The server process then only moves bytes, and stays responsive under load.
Either way the caller awaits a `Runner`: ``await runner("ask", question=...)``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .errors import RagError
from .settings import Settings

log = logging.getLogger("rag")

KINDS = ("ask", "search", "documents", "health", "warm")


def run(kind: str, kwargs: dict, settings: Settings) -> Any:
    """Do one piece of API work in this process (loads the index on first use)."""
    from .retrieval import get_retriever

    follow_live_build(settings)
    if kind == "ask":
        from .answer import ask

        return ask(settings=settings, **kwargs)
    if kind == "search":
        return get_retriever(settings).search(**kwargs)
    index = get_retriever(settings).index
    if kind == "documents":
        return list(index.manifest.documents)
    if kind == "health":
        m = index.manifest
        return {"documents": len(m.documents), "passages": m.n_chunks, "model": m.model, "built_at": m.built_at}
    if kind == "warm":  # the first caller does not wait for the model
        from . import naming
        from .answer import ask

        ask("研发经费", settings=settings)
        naming.warm()
        return None
    raise ValueError(f"unknown work {kind!r}; one of {KINDS}")


class ThreadRunner:
    """API work in the server process's worker threads."""

    workers = 0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, kind: str, **kwargs: Any) -> Any:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(functools.partial(run, kind, kwargs, self.settings))

    def close(self) -> None:
        pass


_settings: Settings | None = None


def _init(settings: Settings) -> None:
    global _settings
    _settings = settings
    try:
        run("warm", {}, settings)
    except Exception:  # noqa: BLE001 - an initializer that raises breaks the whole pool for good;
        # this way each question tries again and gets the real error (e.g. the index's, with its fix)
        log.exception("An answering process could not load the index.")


def _work(kind: str, kwargs: dict) -> Any:
    assert _settings is not None
    return run(kind, kwargs, _settings)


def follow_live_build(settings: Settings) -> None:
    """Forget the loaded index when another build has been made live since (by the administrator's tab
    in the server process, or `rag add` beside a running server), so this question loads the new one.
    One small file read per question."""
    from pathlib import Path

    from .retrieval import get_retriever, reset_cache

    try:
        live = (Path(settings.index_dir) / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return  # no index yet: loading it says what is wrong
    try:
        loaded = get_retriever(settings).index.path.name
    except RagError:
        return
    if loaded != live:
        reset_cache()


class ProcessRunner:
    """API work in ``workers`` processes (started with "spawn": no threads or locks inherited).

    A worker that dies (out of memory, killed) breaks the pool; it is replaced
    and the question that was in it gets a `RagError` saying to ask again.
    """

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings, self.workers = settings, workers
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init, initargs=(self.settings,))

    async def __call__(self, kind: str, **kwargs: Any) -> Any:
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, _work, kind, kwargs)
        except BrokenProcessPool:
            log.error("An answering process died; starting new ones.")
            if self._pool is pool:
                self._pool = self._start()
            pool.shutdown(wait=False, cancel_futures=True)
            raise RagError("回答进程意外退出，已重新启动，请再问一次。(An answering process stopped; it was restarted: ask again.)") from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_runner(settings: Settings, workers: int = 0) -> ThreadRunner | ProcessRunner:
    """Threads when ``workers`` is 0, else a pool of that many processes."""
    return ProcessRunner(settings, workers) if workers > 0 else ThreadRunner(settings)
