"""Many requests at once: validate all first, keep the slots full, one outcome per input in input order.

Individual failures become outcomes (never exceptions), so one bad task cannot lose the others' results.
After a 401/402 the remaining inputs are not sent (every one would be rejected the same way).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    InsufficientBalance,
    ModellixError,
    SubmissionOutcomeUnknown,
    TaskFailed,
    TaskTimeout,
)
from .request import RequestModel
from .results import TaskResult
from .validation import Issue, ValidationError

if TYPE_CHECKING:
    from .client import AsyncModellix, Modellix, Prepared
    from .limiter import AsyncLimiter, Limiter

BatchItem = RequestModel | tuple[str, Mapping[str, Any]]
OutcomeKind = Literal["success", "failed", "rejected", "outcome_unknown", "timeout", "error"]


@attrs.frozen
class BatchOutcome:
    """What happened to input ``index``. ``result`` on success; ``error`` otherwise."""

    index: int
    slug: str
    kind: OutcomeKind
    task_id: str | None = None
    result: TaskResult | None = None
    error: ModellixError | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "success"


@attrs.frozen
class BatchProgress:
    done: int
    total: int
    counts: Mapping[str, int]
    last: BatchOutcome


OnProgress = Callable[[BatchProgress], Any]


def prepare_all(requests: Iterable[BatchItem]) -> list[Prepared]:
    """Validate every input; raise one ValidationError listing every problem as ``[index].field``."""
    from .client import prepare

    prepared: list[Prepared] = []
    issues: list[Issue] = []
    for index, item in enumerate(requests):
        try:
            if isinstance(item, tuple):
                slug, data = item
                prepared.append(prepare(slug, data))
            else:
                prepared.append(prepare(item))
        except ValidationError as exc:
            issues.extend(attrs.evolve(i, path=f"[{index}].{i.path}") for i in exc.issues)
        except (ModellixError, TypeError, KeyError, ValueError) as exc:
            issues.append(Issue(f"[{index}]", "request", _describe(item), str(exc)))
    if issues:
        raise ValidationError("batch", issues)
    return prepared


def _describe(item: object) -> str:
    if isinstance(item, tuple) and item:
        return str(item[0])
    return type(item).__name__


def classify(index: int, slug: str, task_id: str | None, error: ModellixError) -> BatchOutcome:
    kind: OutcomeKind
    if isinstance(error, TaskFailed):
        kind = "failed"
    elif isinstance(error, TaskTimeout):
        kind = "timeout"
    elif isinstance(error, SubmissionOutcomeUnknown):
        kind = "outcome_unknown"
    elif isinstance(error, APIError) and task_id is None:
        kind = "rejected"
    else:
        kind = "error"
    return BatchOutcome(index, slug, kind, task_id=task_id, error=error)


class _Tally:
    """Progress bookkeeping shared by the sync and async runners."""

    def __init__(self, total: int, on_progress: OnProgress | None) -> None:
        self.total = total
        self.on_progress = on_progress
        self.counts: Counter[str] = Counter()
        self.outcomes: list[BatchOutcome | None] = [None] * total
        self.stop_error: ModellixError | None = None  # set after a 401/402: do not send the rest
        self.lock = threading.Lock()
        self.queued = total

    def record(self, outcome: BatchOutcome) -> None:
        with self.lock:
            self.outcomes[outcome.index] = outcome
            self.counts[outcome.kind] += 1
            if isinstance(outcome.error, (AuthenticationError, InsufficientBalance)):
                self.stop_error = outcome.error
            progress = BatchProgress(sum(self.counts.values()), self.total, dict(self.counts), outcome)
        if self.on_progress is not None:
            self.on_progress(progress)

    def begin(self, index: int, slug: str, limiter: Limiter | AsyncLimiter) -> BatchOutcome | None:
        """Input ``index`` is being started (no longer queued demand): None to send it, else its outcome."""
        with self.lock:
            self.queued -= 1
            error = self.stop_error
        limiter.add_demand(-1)
        return None if error is None else BatchOutcome(index, slug, "rejected", error=error)

    def finish(self, limiter: Limiter | AsyncLimiter) -> None:
        """Withdraw the demand of inputs never started (the batch was interrupted)."""
        with self.lock:
            left, self.queued = self.queued, 0
        limiter.add_demand(-left)

    def results(self) -> list[BatchOutcome]:
        return [o for o in self.outcomes if o is not None]


def _width(client: Modellix | AsyncModellix, max_concurrency: int | None) -> int:
    """How many inputs are in flight at once (the client's limiter still caps running tasks)."""
    if max_concurrency is None:
        return client.config.max_concurrency
    if not isinstance(max_concurrency, int) or max_concurrency < 1:
        raise ConfigurationError(f"max_concurrency: must be an integer >= 1, got {max_concurrency!r}")
    return max_concurrency


def run_batch(
    client: Modellix,
    requests: Iterable[BatchItem],
    *,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
) -> list[BatchOutcome]:
    prepared = prepare_all(requests)
    client.config.require_key()
    tally = _Tally(len(prepared), on_progress)

    def one(index: int, item: Prepared) -> None:
        outcome = tally.begin(index, item.slug, client._limiter)
        if outcome is None:
            task = None
            try:
                task = client._submit(item)
                outcome = BatchOutcome(index, item.slug, "success", task.task_id, task.wait(timeout=timeout))
            except ModellixError as exc:
                outcome = classify(index, item.slug, task.task_id if task else None, exc)
            finally:
                if task is not None:
                    task.release()  # after a timeout too: a batch must not deadlock on abandoned tasks
        tally.record(outcome)

    workers = min(_width(client, max_concurrency), len(prepared) or 1)
    client._limiter.add_demand(len(prepared))  # queued inputs: running tasks are polled more eagerly
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modellix-batch") as pool:
            for future in [pool.submit(one, i, p) for i, p in enumerate(prepared)]:
                future.result()
    finally:
        tally.finish(client._limiter)
    return tally.results()


async def run_batch_async(
    client: AsyncModellix,
    requests: Iterable[BatchItem],
    *,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
) -> list[BatchOutcome]:
    prepared = prepare_all(requests)
    client.config.require_key()
    tally = _Tally(len(prepared), on_progress)
    gate = asyncio.Semaphore(_width(client, max_concurrency))

    async def one(index: int, item: Prepared) -> None:
        async with gate:
            outcome = tally.begin(index, item.slug, client._limiter)
            if outcome is None:
                task = None
                try:
                    task = await client._submit(item)
                    result = await task.wait(timeout=timeout)
                    outcome = BatchOutcome(index, item.slug, "success", task.task_id, result)
                except ModellixError as exc:
                    outcome = classify(index, item.slug, task.task_id if task else None, exc)
                finally:
                    if task is not None:
                        task.release()
        tally.record(outcome)

    client._limiter.add_demand(len(prepared))
    try:
        await asyncio.gather(*(one(i, p) for i, p in enumerate(prepared)))
    finally:
        tally.finish(client._limiter)
    return tally.results()
