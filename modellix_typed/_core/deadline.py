"""Where a request's wall-clock deadline is decided (no I/O): one total budget for connect, headers and the
whole body, never only the gap between two reads.

Each attempt of a :class:`~.exchange.Call` must end by ``connect + read`` seconds after it starts
(``connect + submit_read`` for a submission or an upload), and never after the call's own outer deadline (a
``wait(timeout=)`` or ``run(timeout=)``). A server that trickles one byte every half second or stalls after
the headers is cut off at that moment, within :data:`DEADLINE_MARGIN`. The shells enforce it: the async one
with ``asyncio.timeout``, the sync one by bounding every socket operation by the time left and checking
between chunks. A submission cut off after its body may have been sent is "outcome unknown", never re-sent.
"""

from __future__ import annotations

import time

import httpx

# How late past its deadline a request, a wait or a run may return (scheduling, closing the connection).
DEADLINE_MARGIN = 0.5
# A poll that starts at a wait's deadline may run this much longer (inside the margin): a quick server's
# answer is still read, so the timeout reports the last status rather than a cut-off request.
FINAL_POLL_GRACE = 0.25


class DeadlinePassed(Exception):
    """A request's total deadline passed while it was connecting, sending or reading (raised by the shells)."""


def now() -> float:
    return time.monotonic()


def attempt_deadline(budget: float, outer: float | None, start: float | None = None) -> float:
    """When one attempt must be over: ``budget`` seconds from ``start`` (now), never after ``outer``."""
    deadline = (now() if start is None else start) + budget
    return deadline if outer is None else min(deadline, outer)


def time_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (0 when passed), None for no deadline."""
    return None if deadline is None else max(deadline - now(), 0.0)


def check(deadline: float | None) -> None:
    """Raise :class:`DeadlinePassed` once ``deadline`` has passed (the shells call it between chunks)."""
    if deadline is not None and now() >= deadline:
        raise DeadlinePassed


def bounded(timeout: float, deadline: float | None) -> float:
    """A socket timeout no longer than the time left (a tiny positive floor: httpx reads 0 as "no wait")."""
    left = time_left(deadline)
    return timeout if left is None else max(min(timeout, left), 0.001)


def bounded_timeout(connect: float, read: float, deadline: float | None) -> httpx.Timeout:
    """httpx's per-operation timeouts, each bounded by the time left until ``deadline``."""
    return httpx.Timeout(
        connect=bounded(connect, deadline),
        read=bounded(read, deadline),
        write=bounded(read, deadline),
        pool=bounded(connect, deadline),
    )


def run_deadline(timeout: float | None) -> float | None:
    """A ``run(timeout=)``'s deadline, taken before the POST: submission and wait share the budget."""
    return None if timeout is None else now() + timeout


def rest_of(deadline: float | None) -> float | None:
    """The wait's share of a run's :func:`run_deadline` after the POST (a tiny positive floor: wait() needs
    > 0); None without a deadline."""
    left = time_left(deadline)
    return None if left is None else max(left, 0.001)


def room_for(delay: float, deadline: float | None) -> bool:
    """Whether a retry after ``delay`` seconds still starts before ``deadline``."""
    return deadline is None or now() + delay < deadline
