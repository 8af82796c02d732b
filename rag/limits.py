"""What one server process lets callers do: a token bucket per caller, and a gate on answering.

Both answer "no" at once rather than letting work pile up: a caller over its
rate gets `RateLimited`, a question beyond the answering slots and the small
waiting line gets `Busy`. Each carries the seconds to wait (``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import OrderedDict
from typing import AsyncIterator


class Busy(Exception):
    """Every answering slot is taken and the waiting line is full (or the wait ran out)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


class RateLimited(Exception):
    """The caller asked more often than its rate allows."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class TokenBuckets:
    """One bucket per caller: ``burst`` requests at once, refilled at ``per_minute``.

    At most ``max_callers`` buckets are kept (least recently used dropped), so
    memory stays flat whatever the number of callers. ``per_minute <= 0`` turns
    the limit off.
    """

    def __init__(self, per_minute: float, burst: int, max_callers: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.max_callers = max_callers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> None:
        """Spend one token of ``caller``'s bucket, or raise `RateLimited`."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[caller] = (tokens, now)
                raise RateLimited(max(1, math.ceil((1.0 - tokens) / self.rate)))
            self._buckets[caller] = (tokens - 1.0, now)
            while len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)


class Gate:
    """``concurrency`` questions answered at once, ``queue`` more waiting; beyond that `Busy` at once.

    Lives in one event loop (one server process). A waiting question that has
    not started within ``timeout`` seconds also gets `Busy`, so no caller hangs.
    """

    def __init__(self, concurrency: int, queue: int, timeout: float) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.timeout = timeout
        self.answering = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None
        self._seconds = 2.0  # running mean of an answer's duration, for Retry-After

    def _retry_after(self) -> int:
        return max(1, math.ceil(self._seconds * (self.waiting + 1) / self.concurrency))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold an answering slot for the body of the ``async with``."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        if (retry := self.full()) is not None:
            raise Busy(retry)
        self.waiting += 1
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Busy(self._retry_after()) from None
        finally:
            self.waiting -= 1
        self.answering += 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.answering -= 1
            self._slots.release()
            self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - started)

    def full(self) -> int | None:
        """Seconds to wait if a question arriving now would be refused, else None."""
        return self._retry_after() if self.answering + self.waiting >= self.concurrency + self.queue else None

    def state(self) -> dict[str, int]:
        return {"answering": self.answering, "waiting": self.waiting, "concurrency": self.concurrency, "queue": self.queue}
