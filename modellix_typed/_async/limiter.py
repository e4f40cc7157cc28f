"""The client-wide limit on running tasks for the async client (one event loop)."""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging

from ..slots import LeaseKeeper

_tokens = itertools.count(1)

from .._core.limiter_book import Book, Counts, Slot

logger = logging.getLogger("modellix_typed")


class AsyncLimiter(Counts):
    """Limiter for the async client (one event loop). Freed slots are handed to waiters in FIFO order.

    With a shared store, each waiter asks the store every few tens of milliseconds, and at once when a slot
    is released here. Store calls are short and synchronous (a file lock, a Redis script).
    """

    def __init__(self, limit: int, keeper: LeaseKeeper | None = None) -> None:
        self._book = Book(limit, keeper)
        self._waiters: collections.deque[asyncio.Future[Slot]] = collections.deque()
        self._demand = 0
        self._pollers: list[asyncio.Future[None]] = []  # shared store: waiters between two tries

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done()) + len(self._pollers) + self._demand + self._contended()

    def add_demand(self, n: int) -> None:
        self._demand += n

    async def acquire(self) -> Slot:
        if self._book.keeper is not None:
            return await self._acquire_shared()
        slot = self._book.take() if not self._waiters else None
        if slot is not None:
            return slot
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

    async def _acquire_shared(self) -> Slot:
        """Try the store; between tries, sleep until a local release or the poll interval."""
        loop = asyncio.get_running_loop()
        while True:
            slot = self._book.take()
            if slot is not None:
                return slot
            pause = self._book.retry_in()
            wake: asyncio.Future[None] = loop.create_future()
            self._pollers.append(wake)
            try:
                await asyncio.wait_for(wake, pause)
            except TimeoutError:
                pass
            finally:
                self._pollers.remove(wake)

    def release(self, slot: Slot | None = None, *, task_id: str | None = None) -> None:
        """Synchronous so it can run in ``finally`` blocks and callbacks."""
        if self._book.drop(slot, task_id) is None:
            return
        for wake in self._pollers:
            if not wake.done():
                wake.set_result(None)
        self._serve()

    def _serve(self) -> None:
        """Hand free slots to waiters, first come first served (no store here: a free book gives a slot)."""
        while self._waiters and self._book.free():
            waiter = self._waiters.popleft()
            if not waiter.done():
                slot = self._book.take()
                assert slot is not None
                waiter.set_result(slot)

    def rate_limited(self, retry_after: float | None = None) -> None:
        """A submission met a 429 anyway: no new slot beyond our running tasks until one ends."""
        hold = self._book.squeeze(retry_after)
        asyncio.get_running_loop().call_later(hold, self._serve)  # if none ends, waiters go on after the hold
