"""The client-wide limit on running tasks, so ordinary batch code never provokes a 429.

A slot is taken before a task is submitted and given back when the task is seen in a terminal state,
when submission fails, or when the caller explicitly releases it. Releasing is idempotent, and slots are
keyed by task id once known, so a resumed wait (``client.tasks.wait(task_id)``) frees the same slot.

With a shared store (:mod:`.slots`: a lock file or Redis) each slot is also a lease in the team-wide store,
so several processes or machines on one team never exceed its limit together; a blocked acquire asks the
store again every few tens of milliseconds and at once when a slot is released in this process.
A 429 that still happens (another tool on the team) caps this process at the tasks it has running until
one of them ends (or the server's Retry-After passes), instead of sending more.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import threading
import time

from .slots import LeaseKeeper

_tokens = itertools.count(1)
MAX_SQUEEZE = 60.0  # a 429's cap lasts at most this long (seconds) when no task of ours ends


class Slot:
    """One held unit of concurrency. ``task_id`` is attached after a successful submission."""

    __slots__ = ("token", "task_id", "lease")

    def __init__(self) -> None:
        self.token = next(_tokens)
        self.task_id: str | None = None
        self.lease: str | None = None  # its lease in the shared store, if any

    def __repr__(self) -> str:
        return f"Slot(token={self.token}, task_id={self.task_id!r})"


class _Book:
    """Bookkeeping shared by both limiters: who holds what (no locking, no waiting)."""

    def __init__(self, limit: int, keeper: LeaseKeeper | None) -> None:
        self.limit = limit
        self.held: dict[int, Slot] = {}
        self.cap: int | None = None  # after a 429: no more than our running tasks, until one ends...
        self.cap_until = 0.0  # ...or this monotonic time passes (the server's Retry-After)
        self.keeper = keeper

    def free(self) -> bool:
        if self.cap is not None and time.monotonic() >= self.cap_until:
            self.cap = None
        return len(self.held) < (self.limit if self.cap is None else min(self.limit, self.cap))

    def take(self) -> Slot | None:
        """A slot if this process and (with a shared store) the team have one free; else None."""
        if not self.free():
            return None
        lease = None
        if self.keeper is not None:
            lease = self.keeper.take()
            if lease is None:
                return None
        slot = Slot()
        slot.lease = lease
        self.held[slot.token] = slot
        return slot

    def squeeze(self, retry_after: float | None) -> float:
        """A 429: allow no more slots than our running tasks until one ends; returns the cap's duration."""
        hold = min(MAX_SQUEEZE, max(0.0, 1.0 if retry_after is None else retry_after))
        self.cap = sum(1 for slot in self.held.values() if slot.task_id is not None)
        self.cap_until = time.monotonic() + hold
        return hold

    def drop(self, slot: Slot | None = None, task_id: str | None = None) -> Slot | None:
        """Forget a held slot (giving its lease back); the slot, or None if it was not held."""
        dropped = self.held.pop(slot.token, None) if slot is not None else None
        if dropped is None and task_id is not None:
            for token, held in list(self.held.items()):
                if held.task_id == task_id:
                    dropped = self.held.pop(token)
                    break
        if dropped is None:
            return None
        if dropped.task_id is not None:
            self.cap = None  # a task ended: the team has room again
        if dropped.lease is not None and self.keeper is not None:
            self.keeper.give_back(dropped.lease)
        return dropped

    def retry_in(self) -> float | None:
        """How long to wait before trying again when no slot was taken: None = until a local release."""
        if not self.free():
            return None if self.cap is None else max(0.0, self.cap_until - time.monotonic())
        return None if self.keeper is None else self.keeper.poll_interval()


class _Counts:
    """The read-only view both limiters give: the limit and the slots held."""

    _book: _Book

    @property
    def limit(self) -> int:
        return self._book.limit

    @property
    def in_use(self) -> int:
        return len(self._book.held)

    @property
    def team_in_use(self) -> int:
        """Slots held by every process sharing the store (this client's own slots without one)."""
        keeper = self._book.keeper
        return len(self._book.held) if keeper is None else keeper.count()

    def close(self) -> None:
        """The client closed: leases in a shared store are no longer renewed (they expire by themselves)."""
        if self._book.keeper is not None:
            self._book.keeper.stop()

    def _contended(self) -> int:
        """1 when a worker elsewhere waits for the team's slots (so running tasks are polled promptly)."""
        keeper = self._book.keeper
        return 1 if keeper is not None and keeper.contended() else 0


class Limiter(_Counts):
    """Thread-safe limiter for the sync client."""

    def __init__(self, limit: int, keeper: LeaseKeeper | None = None) -> None:
        self._book = _Book(limit, keeper)
        self._cond = threading.Condition()
        self._waiting = 0
        self._demand = 0
        self._asking = False  # with a shared store, one waiting thread at a time polls it

    @property
    def waiting(self) -> int:
        """Callers blocked for a slot, plus queued batch work: while > 0, finishes should be noticed promptly."""
        return self._waiting + self._demand + self._contended()

    def add_demand(self, n: int) -> None:
        """Batch work queued outside :meth:`acquire` (negative to withdraw)."""
        with self._cond:
            self._demand += n

    def acquire(self, timeout: float | None = None) -> Slot | None:
        """Block until a slot is free (or ``timeout`` passes: returns None)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        asking = False  # this thread is the one asking the shared store for this process
        with self._cond:
            self._waiting += 1
            try:
                while True:
                    pause: float | None = None
                    if not self._asking or asking:
                        slot = self._book.take()
                        if slot is not None:
                            return slot
                        pause = self._book.retry_in()
                        if pause is not None:
                            asking = self._asking = True
                    if deadline is not None:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            return None
                        pause = left if pause is None else min(pause, left)
                    self._cond.wait(pause)
            finally:
                self._waiting -= 1
                if asking:
                    self._asking = False
                    self._cond.notify()  # another waiter takes over asking

    def release(self, slot: Slot | None = None, *, task_id: str | None = None) -> None:
        with self._cond:
            capped = self._book.cap is not None
            if self._book.drop(slot, task_id) is not None:
                if self._book.keeper is not None or (capped and self._book.cap is None):
                    self._cond.notify_all()  # wake the thread asking the store; or the 429 cap is lifted
                else:
                    self._cond.notify()

    def rate_limited(self, retry_after: float | None = None) -> None:
        """A submission met a 429 anyway: no new slot beyond our running tasks until one ends."""
        with self._cond:
            self._book.squeeze(retry_after)


class AsyncLimiter(_Counts):
    """Limiter for the async client (one event loop). Freed slots are handed to waiters in FIFO order.

    With a shared store, each waiter asks the store every few tens of milliseconds, and at once when a slot
    is released here. Store calls are short and synchronous (a file lock, a Redis script).
    """

    def __init__(self, limit: int, keeper: LeaseKeeper | None = None) -> None:
        self._book = _Book(limit, keeper)
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
