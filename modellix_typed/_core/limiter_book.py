"""Slot bookkeeping shared by both limiters (no locking, no waiting): who holds what, demand, 429 squeezes."""

from __future__ import annotations

import itertools
import logging
import time
from typing import Protocol

from ..slots import LeaseKeeper

_tokens = itertools.count(1)

logger = logging.getLogger("modellix_typed")


_tokens = itertools.count(1)
MAX_SQUEEZE = 60.0  # a 429's cap lasts at most this long (seconds) when no task of ours ends


class Slot:
    """One held unit of concurrency. ``task_id`` is attached after a successful submission."""

    __slots__ = ("token", "task_id", "lease")

    def __init__(self) -> None:
        self.token: int = next(_tokens)
        self.task_id: str | None = None
        self.lease: str | None = None  # its lease in the shared store, if any

    def __repr__(self) -> str:
        return f"Slot(token={self.token}, task_id={self.task_id!r})"


class Book:
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


class SlotHolder(Protocol):
    """What the core asks of either limiter: give a slot back, count queued demand."""

    def release(self, slot: Slot | None = None, *, task_id: str | None = None) -> None: ...

    def add_demand(self, n: int) -> None: ...


class SyncSlots(SlotHolder, Protocol):
    """The thread limiter as its users see it: a slot, or None once ``timeout`` passes."""

    def acquire(self, timeout: float | None = None) -> Slot | None: ...


class AsyncSlots(SlotHolder, Protocol):
    """The event-loop limiter as its users see it: a slot (a waiter can be cancelled)."""

    async def acquire(self) -> Slot: ...


class Counts:
    """The read-only view both limiters give: the limit and the slots held."""

    _book: Book

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
