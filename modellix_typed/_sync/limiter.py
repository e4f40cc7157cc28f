"""The client-wide limit on running tasks for the sync client (threads).

The client-wide limit on running tasks, so ordinary batch code never provokes a 429.

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

import itertools
import logging
import threading
import time

from ..slots import LeaseKeeper

_tokens = itertools.count(1)

from .._core.limiter_book import Book, Counts, Slot

logger = logging.getLogger("modellix_typed")


class Limiter(Counts):
    """Thread-safe limiter for the sync client."""

    def __init__(self, limit: int, keeper: LeaseKeeper | None = None) -> None:
        self._book = Book(limit, keeper)
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
