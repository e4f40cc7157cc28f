"""The wait loop's decisions (no I/O): after every poll or poll error, return, raise or sleep how long.

The sync and async loops in the shells only do the sleeping and fetching.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from ..errors import RateLimited, TaskTimeout
from ..polling import LearnedPlan, PollPolicy, PollSchedule
from ..results import TaskResult, TaskStatus
from ..retry import transient_poll_error
from .deadline import FINAL_POLL_GRACE

if TYPE_CHECKING:
    import threading

logger = logging.getLogger("modellix_typed")


OnUpdate = Callable[[TaskResult], Any]


class WaitOptions(TypedDict, total=False):
    """The keyword arguments of both clients' ``tasks.wait`` (see there)."""

    timeout: float | None
    on_update: OnUpdate | None
    task_type: str | None
    poll_first: bool
    stop: threading.Event | None


# Called with a successful result, when we saw it done and when we last saw it running (seconds since the
# wait started; None if never): how :mod:`.pollstats` learns a model's completion time.
Learn = Callable[[TaskResult, float, float | None], None]


class WaitState:
    """One wait on one task: status-change callbacks, failure/timeout verdicts, next sleep."""

    def __init__(
        self,
        task_id: str,
        policy: PollPolicy,
        timeout: float | None,
        on_update: OnUpdate | None,
        *,
        poll_first: bool,
        urgent: Callable[[], bool] | None = None,
        plan: LearnedPlan | None = None,
        learn: Learn | None = None,
    ) -> None:
        self.task_id = task_id
        self.schedule: PollSchedule = PollSchedule(policy, timeout, plan=plan)
        self.learn = learn
        self.running_seen: float | None = None
        self.urgent = urgent
        self.on_update = on_update
        self.last: TaskResult | None = None
        self.last_error: Exception | None = None
        self.update: Any = None  # what the last on_update call returned (the async shell awaits it)
        self.first_delay: float = 0.0 if poll_first else self.schedule.next_delay()

    @property
    def deadline(self) -> float:
        """When the wait's polls must be over (time.monotonic()): its end plus a poll's grace (:mod:`.deadline`)."""
        return self.schedule.deadline + FINAL_POLL_GRACE

    def on_result(self, result: TaskResult) -> TaskResult | float:
        """The finished result, or the seconds to sleep before the next poll. Raises TaskFailed/TaskTimeout."""
        changed = self.last is None or self.last.raw_status != result.raw_status
        self.last = result
        if changed:
            logger.debug("task %s: %s", self.task_id, result.raw_status)
            if self.on_update is not None:
                self.update = self.on_update(result)
        if result.status is TaskStatus.SUCCESS:
            if self.learn is not None:
                self.learn(result, self.schedule.elapsed(), self.running_seen)
            return result
        if result.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
            raise result.failure()
        self.running_seen = self.schedule.elapsed()
        return self._next()

    def take_update(self) -> Any:
        """What the last ``on_update`` call returned (once): an ``async def`` callback's awaitable."""
        value, self.update = self.update, None
        return value

    def on_error(self, error: Exception) -> float:
        """A transient poll error: keep polling (honouring Retry-After) until the deadline; else re-raise."""
        if not transient_poll_error(error):
            raise error
        logger.info("task %s: poll failed (%s); will poll again", self.task_id, error)
        self.last_error = error
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        return self._next(retry_after)

    def timeout(self) -> TaskTimeout:
        """The TaskTimeout to raise now: the last status word read, or else the last poll error."""
        last = self.last.raw_status if self.last is not None else None
        error = self.last_error
        reason = None if error is None else f"{type(error).__name__}: {error}"
        return TaskTimeout(self.task_id, self.schedule.elapsed(), last, reason)

    def _next(self, retry_after: float | None = None) -> float:
        if self.schedule.expired():
            raise self.timeout() from self.last_error
        delay = self.schedule.next_delay(retry_after)
        if self.urgent is not None and retry_after is None and self.urgent():
            # Someone is queued for our slot: notice completion sooner (at the first-poll cadence).
            delay = min(delay, self.schedule.policy.first_delay)
        return delay


def task_id_of(task: Submitted) -> str:
    """The task id of either handle (what a journal records after a POST)."""
    return task.task_id


@attrs.define(eq=False)
class Submitted:
    """What both task handles know about a submission (the client is added per flavour, never shown)."""

    task_id: str
    slug: str
    submitted_at: dt.datetime
    task_type: str | None = None
    # The uploads this client made for the request's local files (``MediaFile``; never deleted by a handle).
    uploads: tuple[Any, ...] = attrs.field(default=(), kw_only=True)
