"""The client-wide limit on running tasks, so ordinary batch code never provokes a 429.

A slot is taken before a task is submitted and given back when the task is seen in a terminal state,
when submission fails, or when the caller explicitly releases it. Releasing is idempotent, and slots are
keyed by task id once known, so a resumed wait (``client.tasks.wait(task_id)``) frees the same slot.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import threading

_tokens = itertools.count(1)


class Slot:
    """One held unit of concurrency. ``task_id`` is attached after a successful submission."""

    __slots__ = ("token", "task_id")

    def __init__(self) -> None:
        self.token = next(_tokens)
        self.task_id: str | None = None

    def __repr__(self) -> str:
        return f"Slot(token={self.token}, task_id={self.task_id!r})"


class _Book:
    """Bookkeeping shared by both limiters: who holds what (no locking, no waiting)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held: dict[int, Slot] = {}

    def free(self) -> bool:
        return len(self.held) < self.limit

    def take(self) -> Slot:
        slot = Slot()
        self.held[slot.token] = slot
        return slot

    def drop(self, slot: Slot | None = None, task_id: str | None = None) -> bool:
        if slot is not None and self.held.pop(slot.token, None) is not None:
            return True
        if task_id is not None:
            for token, held in list(self.held.items()):
                if held.task_id == task_id:
                    del self.held[token]
                    return True
        return False


class _Counts:
    """The read-only view both limiters give: the limit and the slots held."""

    _book: _Book

    @property
    def limit(self) -> int:
        return self._book.limit

    @property
    def in_use(self) -> int:
        return len(self._book.held)


class Limiter(_Counts):
    """Thread-safe limiter for the sync client."""

    def __init__(self, limit: int) -> None:
        self._book = _Book(limit)
        self._cond = threading.Condition()
        self._waiting = 0
        self._demand = 0

    @property
    def waiting(self) -> int:
        """Callers blocked for a slot, plus queued batch work: while > 0, finishes should be noticed promptly."""
        return self._waiting + self._demand

    def add_demand(self, n: int) -> None:
        """Batch work queued outside :meth:`acquire` (negative to withdraw)."""
        with self._cond:
            self._demand += n

    def acquire(self, timeout: float | None = None) -> Slot | None:
        """Block until a slot is free (or ``timeout`` passes: returns None)."""
        with self._cond:
            self._waiting += 1
            try:
                if not self._cond.wait_for(self._book.free, timeout):
                    return None
            finally:
                self._waiting -= 1
            return self._book.take()

    def release(self, slot: Slot | None = None, *, task_id: str | None = None) -> None:
        with self._cond:
            if self._book.drop(slot, task_id):
                self._cond.notify()


class AsyncLimiter(_Counts):
    """Limiter for the async client (one event loop). Freed slots are handed to waiters in FIFO order."""

    def __init__(self, limit: int) -> None:
        self._book = _Book(limit)
        self._waiters: collections.deque[asyncio.Future[Slot]] = collections.deque()
        self._demand = 0

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done()) + self._demand

    def add_demand(self, n: int) -> None:
        self._demand += n

    async def acquire(self) -> Slot:
        if self._book.free() and not self._waiters:
            return self._book.take()
        future: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(future.result())  # handed a slot just as we were cancelled: pass it on
            elif future in self._waiters:
                self._waiters.remove(future)
            raise

    def release(self, slot: Slot | None = None, *, task_id: str | None = None) -> None:
        """Synchronous so it can run in ``finally`` blocks and callbacks."""
        if not self._book.drop(slot, task_id):
            return
        while self._waiters and self._book.free():
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(self._book.take())
