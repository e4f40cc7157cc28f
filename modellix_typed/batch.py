"""Many requests at once: validate all first, keep the slots full, one outcome per input in input order.

Individual failures become outcomes (never exceptions), so one bad task cannot lose the others' results.
After a 401/402 the remaining inputs are not sent (every one would be rejected the same way). With
``stop_on_unknown=True``, neither are they after a submission whose outcome is unknown (outcome "skipped").

Stopping (Ctrl+C, a KeyboardInterrupt raised by ``on_progress``, cancelling the async batch): nothing is
submitted after the stop; a POST already on the wire completes and its task is accounted for; running
waits give up at their next poll (outcome "timeout": the task keeps running, resume it by id); slots are
released; the exception is re-raised promptly, unchanged, with the outcomes known so far attached as
``exc.outcomes`` (input order; inputs never sent are absent). ``on_progress`` is not called after a stop.
Any other exception from ``on_progress`` is logged and ignored: a display bug must not lose paid results.
The async batch awaits an ``async def`` on_progress, still one report at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
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
from .polling import check_timeout
from .request import RequestModel
from .results import TaskResult
from .validation import Issue, ValidationError

if TYPE_CHECKING:
    from .client import AsyncModellix, Modellix, Prepared
    from .limiter import AsyncLimiter, Limiter, Slot
    from .task import AsyncTask

logger = logging.getLogger("modellix_typed")

# How often a blocked wait re-checks for a stop: a worker waiting for a slot held outside the batch, or the
# calling thread (so Ctrl+C is seen even where lock waits are not interruptible).
STOP_CHECK_INTERVAL = 0.1

BatchItem = RequestModel | tuple[str, Mapping[str, Any]]
OutcomeKind = Literal["success", "failed", "rejected", "outcome_unknown", "timeout", "error", "skipped"]


class NotSent(ModellixError):
    """A batch input that was never sent: an earlier submission's outcome is unknown (``stop_on_unknown``)."""


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

    def __init__(self, total: int, on_progress: OnProgress | None, stop_on_unknown: bool = False) -> None:
        self.total = total
        self.stop_on_unknown = stop_on_unknown
        self.on_progress = on_progress
        self.counts: Counter[str] = Counter()
        self.outcomes: list[BatchOutcome | None] = [None] * total
        self.stop_error: ModellixError | None = None  # set after a 401/402: do not send the rest
        self.lock = threading.Lock()
        self.reporting = threading.Lock()  # on_progress is never called concurrently
        self.queued = total
        self.stopped = threading.Event()  # interrupted: submit nothing more, stop waiting, report nothing more

    def record(self, outcome: BatchOutcome) -> None:
        """Store an outcome and report it. Reports are serialized, in ``done`` order, and end at a stop."""
        with self.reporting:
            progress = self.store(outcome)
            if progress is not None:
                with self.reporter(progress):
                    self.call(progress)

    def store(self, outcome: BatchOutcome) -> BatchProgress | None:
        """Store an outcome; the progress to report, or None when there is nothing to call (or it stopped)."""
        with self.lock:
            self.outcomes[outcome.index] = outcome
            self.counts[outcome.kind] += 1
            if isinstance(outcome.error, (AuthenticationError, InsufficientBalance)):
                self.stop_error = outcome.error
            elif self.stop_on_unknown and outcome.kind == "outcome_unknown" and self.stop_error is None:
                self.stop_error = NotSent(
                    f"not sent: the submission of input {outcome.index} ({outcome.slug}) has an unknown outcome, "
                    "so the batch stopped submitting (it may have been accepted: check before re-running)"
                )
            progress = BatchProgress(sum(self.counts.values()), self.total, dict(self.counts), outcome)
        if self.on_progress is None or self.stopped.is_set():
            return None
        return progress

    def call(self, progress: BatchProgress) -> Any:
        """Call ``on_progress`` (the caller awaits an awaitable result, inside :meth:`reporter`)."""
        assert self.on_progress is not None
        return self.on_progress(progress)

    @contextlib.contextmanager
    def reporter(self, progress: BatchProgress) -> Iterator[None]:
        """Around one report: a callback bug is logged, a KeyboardInterrupt stops the batch."""
        try:
            yield
        except Exception:
            logger.exception(
                "batch on_progress callback failed on input %d; the batch goes on", progress.last.index
            )
        except BaseException:  # KeyboardInterrupt from the callback: the caller wants the batch stopped
            self.stopped.set()
            raise

    def begin(self, index: int, slug: str, limiter: Limiter | AsyncLimiter) -> BatchOutcome | None:
        """Input ``index`` is being started (no longer queued demand): None to send it, else its outcome."""
        with self.lock:
            self.queued -= 1
            error = self.stop_error
        limiter.add_demand(-1)
        if error is None:
            return None
        return BatchOutcome(index, slug, "skipped" if isinstance(error, NotSent) else "rejected", error=error)

    def finish(self, limiter: Limiter | AsyncLimiter) -> None:
        """Withdraw the demand of inputs never started (the batch was interrupted)."""
        with self.lock:
            left, self.queued = self.queued, 0
        limiter.add_demand(-left)

    def results(self) -> list[BatchOutcome]:
        return [o for o in self.outcomes if o is not None]

    def attach(self, exc: BaseException) -> None:
        """Hand the outcomes known so far to whoever catches the exception that stopped the batch."""
        exc.outcomes = self.results()  # type: ignore[attr-defined]


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
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    prepared = prepare_all(requests)
    client.config.require_key()
    check_timeout(timeout)
    tally = _Tally(len(prepared), on_progress, stop_on_unknown)

    def one(index: int, item: Prepared) -> None:
        try:
            if tally.stopped.is_set():
                return  # interrupted before this input started: never sent, no outcome
            outcome = tally.begin(index, item.slug, client._limiter)
            if outcome is None:
                outcome = _send_and_wait(client, index, item, timeout, tally.stopped)
            if outcome is not None:
                tally.record(outcome)
        except BaseException:
            tally.stopped.set()  # whatever escaped (KeyboardInterrupt from on_progress, a bug): stop all
            raise

    workers = min(_width(client, max_concurrency), len(prepared) or 1)
    client._limiter.add_demand(len(prepared))  # queued inputs: running tasks are polled more eagerly
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modellix-batch")
    futures = [pool.submit(one, i, p) for i, p in enumerate(prepared)]
    try:
        _raise_first_error(futures)
    except BaseException as exc:  # Ctrl+C lands here (the calling thread) or comes from a worker
        tally.stopped.set()
        pool.shutdown(wait=False, cancel_futures=True)  # queued inputs are never sent
        try:
            # Running workers stop at their next poll; a second Ctrl+C abandons this wait. (Futures cancelled
            # by shutdown are never "done" for wait(): leave them out.)
            wait([f for f in futures if not f.cancelled()])
        finally:
            tally.attach(exc)
        raise
    finally:
        pool.shutdown(wait=False)
        tally.finish(client._limiter)
    return tally.results()


def _raise_first_error(futures: list[Future[None]]) -> None:
    """Wait for every future, but re-raise the first worker exception as soon as it happens.

    Waits in short slices so a Ctrl+C is seen even where lock waits are not interruptible (Windows).
    """
    pending: set[Future[None]] = set(futures)
    while pending:
        done, pending = wait(pending, timeout=STOP_CHECK_INTERVAL, return_when=FIRST_EXCEPTION)
        for future in done:
            error = future.exception()
            if error is not None:
                raise error


def _send_and_wait(
    client: Modellix, index: int, item: Prepared, timeout: float | None, stopped: threading.Event
) -> BatchOutcome | None:
    """One input's submit + wait as an outcome; None when the batch stopped before its POST."""
    slot = _take_slot(client._limiter, stopped)
    if slot is None:
        return None
    if stopped.is_set():  # checked right before the POST
        client._limiter.release(slot)
        return None
    task = None
    try:
        task = client._submit(item, slot)
        result = client.tasks._wait(task.task_id, timeout, None, task.task_type, False, stop=stopped)
        return BatchOutcome(index, item.slug, "success", task.task_id, result)
    except ModellixError as exc:
        return classify(index, item.slug, task.task_id if task else None, exc)
    finally:
        if task is not None:
            task.release()  # after a timeout too: a batch must not deadlock on abandoned tasks


def _take_slot(limiter: Limiter, stopped: threading.Event) -> Slot | None:
    """A slot, or None once the batch is stopped (slots held outside the batch may never come back)."""
    while not stopped.is_set():
        slot = limiter.acquire(timeout=STOP_CHECK_INTERVAL)
        if slot is not None:
            return slot
    return None


async def run_batch_async(
    client: AsyncModellix,
    requests: Iterable[BatchItem],
    *,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    prepared = prepare_all(requests)
    client.config.require_key()
    check_timeout(timeout)
    tally = _Tally(len(prepared), on_progress, stop_on_unknown)
    gate = asyncio.Semaphore(_width(client, max_concurrency))
    posts: set[asyncio.Future[AsyncTask]] = set()  # POSTs on the wire when the batch was stopped
    halted: list[BaseException] = []  # a KeyboardInterrupt from on_progress, re-raised by the coordinator
    reporting = asyncio.Lock()  # one report at a time, awaited included (FIFO: reports stay in done order)

    async def record(outcome: BatchOutcome) -> None:
        """Like ``_Tally.record``, but an ``async def`` on_progress is awaited (the tally's lock cannot be)."""
        async with reporting:
            progress = tally.store(outcome)
            if progress is not None:
                with tally.reporter(progress):
                    value = tally.call(progress)
                    if inspect.isawaitable(value):
                        await value

    async def one(index: int, item: Prepared) -> None:
        try:
            async with gate:
                if tally.stopped.is_set():
                    return
                outcome = tally.begin(index, item.slug, client._limiter)
                if outcome is None:
                    outcome = await _send_and_wait_async(client, index, item, timeout, tally, posts)
            if outcome is not None:
                await record(outcome)
        except (KeyboardInterrupt, SystemExit) as exc:  # raised in a task, these would escape the event loop
            halted.append(exc)
            for other in tasks:
                if other is not asyncio.current_task():
                    other.cancel()

    client._limiter.add_demand(len(prepared))
    tasks = [asyncio.ensure_future(one(i, p)) for i, p in enumerate(prepared)]
    try:
        try:
            await asyncio.gather(*tasks)
        except BaseException as exc:  # this coroutine was cancelled, or a task failed or was cancelled
            tally.stopped.set()
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)  # their cleanup: slots released, stopped waits recorded
            if posts:
                await asyncio.wait(posts)  # POSTs already sent complete and are accounted for
            stop = halted[0] if halted else exc
            tally.attach(stop)
            if stop is exc:
                raise
            raise stop from None
        if halted:
            tally.attach(halted[0])
            raise halted[0]
    finally:
        tally.finish(client._limiter)
    return tally.results()


async def _send_and_wait_async(
    client: AsyncModellix,
    index: int,
    item: Prepared,
    timeout: float | None,
    tally: _Tally,
    posts: set[asyncio.Future[AsyncTask]],
) -> BatchOutcome | None:
    """One input's submit + wait as an outcome; cancelled, it records what was sent and re-raises."""
    slot = await client._limiter.acquire()  # cancellable: nothing sent yet
    if tally.stopped.is_set():
        client._limiter.release(slot)
        return None
    post = asyncio.ensure_future(client._submit(item, slot))
    try:
        task = await asyncio.shield(post)  # cancelling must not cut a paid POST off mid-flight
    except asyncio.CancelledError:
        tally.stopped.set()
        posts.add(post)
        post.add_done_callback(lambda done: _account_post(done, index, item.slug, tally))
        raise
    except ModellixError as exc:
        return classify(index, item.slug, None, exc)
    started = asyncio.get_running_loop().time()
    try:
        result = await task.wait(timeout=timeout)
        return BatchOutcome(index, item.slug, "success", task.task_id, result)
    except ModellixError as exc:
        return classify(index, item.slug, task.task_id, exc)
    except asyncio.CancelledError:
        tally.stopped.set()  # before recording: on_progress is not called once stopping
        waited = asyncio.get_running_loop().time() - started
        tally.record(classify(index, item.slug, task.task_id, TaskTimeout(task.task_id, waited, None)))
        raise
    finally:
        task.release()


def _account_post(post: asyncio.Future[AsyncTask], index: int, slug: str, tally: _Tally) -> None:
    """A POST that outlived its cancelled batch: record its task (still running) and free its slot."""
    if post.cancelled():
        return
    error = post.exception()
    if error is None:
        task = post.result()
        task.release()
        tally.record(classify(index, slug, task.task_id, TaskTimeout(task.task_id, 0.0, None)))
    elif isinstance(error, ModellixError):
        tally.record(classify(index, slug, None, error))
