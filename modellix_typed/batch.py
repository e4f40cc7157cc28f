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

With a journal (:mod:`.journal`) every input's intent is recorded before the first POST and each task id
right after its POST; :func:`resume_batch` turns a journal back into jobs (:func:`plan_resume`). In the sync
batch one spare worker waits on the client's limiter, so a slot freed by a finished task is refilled at once
(inputs still take slots in input order).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
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
    from .journal import Journal
    from .limiter import AsyncLimiter, Limiter, Slot
    from .task import AsyncTask, Task

logger = logging.getLogger("modellix_typed")

# How often a blocked wait re-checks for a stop: a worker waiting for a slot held outside the batch, or the
# calling thread (so Ctrl+C is seen even where lock waits are not interruptible).
STOP_CHECK_INTERVAL = 0.1

BatchItem = RequestModel | tuple[str, Mapping[str, Any]]
JournalPath = str | os.PathLike[str]
OutcomeKind = Literal["success", "failed", "rejected", "outcome_unknown", "timeout", "error", "skipped"]


class NotSent(ModellixError):
    """A batch input that was never sent: an earlier submission's outcome is unknown (``stop_on_unknown``)."""


@attrs.frozen
class BatchOutcome:
    """What happened to input ``index``. ``result`` on success (None when a resume found it already saved);
    ``error`` otherwise (with ``result`` kept when only saving its files failed)."""

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


@attrs.frozen
class Job:
    """One input to run: submit ``item``, or (resuming) re-attach to the task it already created."""

    index: int
    item: Prepared
    task_id: str | None = None


@attrs.frozen
class Run:
    """How a batch runs: its jobs, outcomes already known (resume), the journal and download folder."""

    jobs: list[Job]
    total: int
    known: list[BatchOutcome] = attrs.Factory(list)
    journal: Journal | None = None
    download: Path | None = None


def plan_resume(journal: Journal, *, resubmit_unknown: bool) -> tuple[list[Job], list[BatchOutcome]]:
    """What a journal leaves to do: re-attach known tasks, send never-sent (or refused) inputs, and report
    inputs whose POST may have created a task (unless ``resubmit_unknown``) instead of paying twice."""
    from .client import Prepared
    from .journal import JournalError
    from .request import parse_slug
    from .transport import encode_json

    jobs: list[Job] = []
    known: list[BatchOutcome] = []
    for index, entry in sorted(journal.entries.items()):
        content = encode_json(entry.body)
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise JournalError(f"journal {str(journal.path)!r}: the body of input {index} does not match its sha256")
        provider, model_id = parse_slug(entry.slug)
        item = Prepared(entry.slug, entry.task_type, provider, model_id, entry.documented_path, content)
        state = entry.state
        if state == "task" and entry.task_id is not None:
            if entry.final == "failed":
                known.append(classify(index, entry.slug, entry.task_id, TaskFailed(entry.task_id, entry.error or "")))
            elif entry.final == "success" and entry.files and all(Path(f).is_file() for f in entry.files):
                known.append(BatchOutcome(index, entry.slug, "success", entry.task_id))
            else:
                jobs.append(Job(index, item, entry.task_id))
        elif state == "unknown" and not resubmit_unknown:
            reason = f"journal: the POST may have created a task ({entry.unknown or 'the process stopped during it'})"
            error = SubmissionOutcomeUnknown(reason, slug=entry.slug, body_sha256=entry.sha256)
            known.append(classify(index, entry.slug, None, error))
        else:
            jobs.append(Job(index, item))
    return jobs, known


def _not_sent(index: int, slug: str, error: ModellixError) -> BatchOutcome:
    """The outcome of an input the batch decided not to send (after a 401/402, or an unknown outcome)."""
    return BatchOutcome(index, slug, "skipped" if isinstance(error, NotSent) else "rejected", error=error)


class _Tally:
    """Progress bookkeeping shared by the sync and async runners."""

    def __init__(
        self, total: int, on_progress: OnProgress | None, *, queued: int | None = None, stop_on_unknown: bool = False
    ) -> None:
        self.total = total
        self.stop_on_unknown = stop_on_unknown
        self.on_progress = on_progress
        self.counts: Counter[str] = Counter()
        self.outcomes: list[BatchOutcome | None] = [None] * total
        self.stop_error: ModellixError | None = None  # set after a 401/402: do not send the rest
        self.lock = threading.Lock()
        self.reporting = threading.Lock()  # on_progress is never called concurrently
        self.queued = total if queued is None else queued  # inputs not started yet
        self.stopped = threading.Event()  # interrupted: submit nothing more, stop waiting, report nothing more
        self.settled = threading.Condition()  # POSTs whose answer is not accounted for yet (sync batch)
        self.unsettled = 0
        self.turns = threading.Condition()  # sync batch: inputs take slots in input order
        self.serving = 0  # the first position that has not taken its slot (or given up its turn)
        self.passed: set[int] = set()

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
        return None if error is None else _not_sent(index, slug, error)

    @contextlib.contextmanager
    def posting(self) -> Iterator[None]:
        """Around one paid POST: a 401/402 stops the batch before the slot it frees can be reused."""
        with self.settled:
            self.unsettled += 1
        try:
            yield
        except (AuthenticationError, InsufficientBalance) as exc:
            with self.lock:
                self.stop_error = exc
            raise
        finally:
            with self.settled:
                self.unsettled -= 1
                self.settled.notify_all()

    def wait_turn(self, position: int) -> None:
        """Block until every earlier input has taken its slot (or no longer needs one), or the batch stops."""
        with self.turns:
            while self.serving < position and not self.stopped.is_set():
                self.turns.wait(STOP_CHECK_INTERVAL)  # a stop does not notify: look again now and then

    def pass_turn(self, position: int) -> None:
        """Input ``position`` holds its slot or needs none: the next input's turn (idempotent)."""
        with self.turns:
            if position >= self.serving:
                self.passed.add(position)
            while self.serving in self.passed:
                self.passed.discard(self.serving)
                self.serving += 1
            self.turns.notify_all()

    def cleared(self, index: int, slug: str, waited: bool) -> BatchOutcome | None:
        """Right before a POST (slot in hand): :meth:`begin`'s verdict again, once it is sure.

        A worker that had to wait got a slot someone just freed: maybe a POST refused 401/402 whose
        outcome is not recorded yet. It waits for the POSTs still unsettled (usually none: slots are mostly
        freed by tasks ending) so that it learns not to send.
        """
        if waited:
            with self.settled:
                self.settled.wait_for(lambda: self.unsettled == 0 or self.stopped.is_set())
        with self.lock:
            error = self.stop_error
        return None if error is None else _not_sent(index, slug, error)

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
    journal: JournalPath | Journal | None = None,
    download: str | os.PathLike[str] | None = None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    prepared = prepare_all(requests)
    client.config.require_key()
    check_timeout(timeout)
    with _started(journal, prepared, download) as run:
        return _run_sync(client, run, max_concurrency, timeout, on_progress, stop_on_unknown)


@contextlib.contextmanager
def _started(
    journal: JournalPath | Journal | None, prepared: list[Prepared], download: str | os.PathLike[str] | None = None
) -> Iterator[Run]:
    """A new batch's run; with a journal (opened here from a path and closed after, or the caller's) every
    intent is recorded before it starts."""
    jobs = [Job(i, p) for i, p in enumerate(prepared)]
    folder = Path(download) if download is not None else None
    if journal is None:
        yield Run(jobs, len(prepared), download=folder)
        return
    from .journal import Journal

    with contextlib.ExitStack() as stack:
        if not isinstance(journal, Journal):
            journal = stack.enter_context(Journal.create(journal, download=folder.resolve() if folder else None))
        journal.start(prepared)
        yield Run(jobs, len(prepared), journal=journal, download=folder)


@contextlib.contextmanager
def _reopened(journal: JournalPath | Journal) -> Iterator[Journal]:
    from .journal import Journal

    if isinstance(journal, Journal):
        yield journal
    else:
        with Journal.open(journal) as book:
            yield book


def resume_batch(
    client: Modellix,
    journal: JournalPath | Journal,
    *,
    resubmit_unknown: bool = False,
    download: str | os.PathLike[str] | None = None,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
) -> list[BatchOutcome]:
    """Finish a journaled batch: see :meth:`modellix_typed.Modellix.resume`."""
    client.config.require_key()
    check_timeout(timeout)
    with _reopened(journal) as book:
        return _run_sync(client, _resume_run(book, resubmit_unknown, download), max_concurrency, timeout, on_progress)


def _resume_run(book: Journal, resubmit_unknown: bool, download: str | os.PathLike[str] | None) -> Run:
    jobs, known = plan_resume(book, resubmit_unknown=resubmit_unknown)
    folder = download if download is not None else book.header.get("download")
    return Run(jobs, len(book.entries), known, book, Path(folder) if folder else None)


def _run_sync(
    client: Modellix,
    run: Run,
    max_concurrency: int | None,
    timeout: float | None,
    on_progress: OnProgress | None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    tally = _Tally(run.total, on_progress, queued=len(run.jobs), stop_on_unknown=stop_on_unknown)
    for outcome in run.known:
        tally.record(outcome)

    def one(position: int, job: Job) -> None:
        try:
            if tally.stopped.is_set():
                return  # interrupted before this input started: never sent, no outcome
            outcome = tally.begin(job.index, job.item.slug, client._limiter)
            if outcome is None:
                outcome = _send_and_wait(client, job, run, timeout, tally, position)
            tally.pass_turn(position)
            if outcome is not None:
                tally.record(outcome)
        except BaseException:
            tally.stopped.set()  # whatever escaped (KeyboardInterrupt from on_progress, a bug): stop all
            raise
        finally:
            tally.pass_turn(position)

    workers = min(_workers(client, _width(client, max_concurrency), run.download is not None), len(run.jobs) or 1)
    client._limiter.add_demand(len(run.jobs))  # queued inputs: running tasks are polled more eagerly
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modellix-batch")
    futures: list[Future[None]] = []
    try:
        for position, job in enumerate(run.jobs):  # a Ctrl+C while queueing is handled like any other
            futures.append(pool.submit(one, position, job))
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


def _workers(client: Modellix, width: int, downloading: bool) -> int:
    """Threads for ``width`` inputs in flight. When the client's limiter is what caps the batch, one spare
    thread waits on it: it takes a slot the moment a poll sees a task end and POSTs the next input, while
    the thread that saw the end is still recording its outcome (otherwise the slot idles meanwhile). Saving
    files (``download=``) happens after the task's slot is freed: ``width`` more threads, so downloads in
    progress never leave a slot without a thread to fill it."""
    if width < client.config.max_concurrency:
        return width  # the threads are the batch's only cap
    return width + 1 + (width if downloading else 0)


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
    client: Modellix, job: Job, run: Run, timeout: float | None, tally: _Tally, position: int
) -> BatchOutcome | None:
    """One input's submit (or re-attach) + wait as an outcome; None when the batch stopped before its POST.

    Slots are taken in input order (``position``): the spare worker must not let a later input overtake.
    """
    stopped = tally.stopped
    tally.wait_turn(position)
    try:
        slot, waited = _take_slot(client._limiter, stopped)
    finally:
        tally.pass_turn(position)
    if slot is None:
        return None
    refused = tally.cleared(job.index, job.item.slug, waited) if job.task_id is None else None
    if stopped.is_set() or refused is not None:  # checked right before the POST
        client._limiter.release(slot)
        return refused
    index, item, task_id = job.index, job.item, job.task_id
    slot.task_id = task_id
    result = None
    try:
        if task_id is None:
            with tally.posting():
                task_id = _post(client, job, slot, run.journal).task_id
        result = client.tasks._wait(task_id, timeout, None, item.task_type, job.task_id is not None, stop=stopped)
        _finished(run.journal, index, task_id, None)
        if run.download is not None:
            _save(run.journal, index, client.download(result, run.download, overwrite=True), task_id)
        return BatchOutcome(index, item.slug, "success", task_id, result)
    except ModellixError as exc:
        return _failure(run.journal, index, item.slug, task_id, result, exc)
    finally:
        if task_id is not None:
            client._limiter.release(task_id=task_id)  # after a timeout too: a batch must not deadlock


def _post(client: Modellix, job: Job, slot: Slot, journal: Journal | None) -> Task:
    if journal is None:
        return client._submit(job.item, slot)
    return journal.post(job.index, lambda: client._submit(job.item, slot), _task_id)


def _task_id(task: Task | AsyncTask) -> str:
    return task.task_id


def _finished(journal: Journal | None, index: int, task_id: str, error: ModellixError | None) -> None:
    if journal is not None:
        journal.finished(index, task_id, error)


def _save(journal: Journal | None, index: int, files: list[Path], task_id: str) -> None:
    if journal is not None:
        journal.saved(index, task_id, files)


def _failure(
    journal: Journal | None, index: int, slug: str, task_id: str | None, result: TaskResult | None, error: ModellixError
) -> BatchOutcome:
    """The outcome of an error; a download that failed after a success keeps the result (nothing is lost)."""
    if result is not None:  # the task succeeded; saving its files failed
        return BatchOutcome(index, slug, "error", task_id, result, error)
    if task_id is not None:
        _finished(journal, index, task_id, error)
    return classify(index, slug, task_id, error)


def _take_slot(limiter: Limiter, stopped: threading.Event) -> tuple[Slot | None, bool]:
    """A slot, or None once the batch is stopped (slots held outside the batch may never come back); and
    whether it had to wait for it (then someone just freed it)."""
    slot = limiter.acquire(timeout=0)
    if slot is not None:
        return slot, False
    while not stopped.is_set():
        slot = limiter.acquire(timeout=STOP_CHECK_INTERVAL)
        if slot is not None:
            return slot, True
    return None, True


async def run_batch_async(
    client: AsyncModellix,
    requests: Iterable[BatchItem],
    *,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
    journal: JournalPath | Journal | None = None,
    download: str | os.PathLike[str] | None = None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    prepared = prepare_all(requests)
    client.config.require_key()
    check_timeout(timeout)
    with _started(journal, prepared, download) as run:
        return await _run_async(client, run, max_concurrency, timeout, on_progress, stop_on_unknown)


async def resume_batch_async(
    client: AsyncModellix,
    journal: JournalPath | Journal,
    *,
    resubmit_unknown: bool = False,
    download: str | os.PathLike[str] | None = None,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
) -> list[BatchOutcome]:
    """Finish a journaled batch: see :meth:`modellix_typed.AsyncModellix.resume`."""
    client.config.require_key()
    check_timeout(timeout)
    with _reopened(journal) as book:
        run = _resume_run(book, resubmit_unknown, download)
        return await _run_async(client, run, max_concurrency, timeout, on_progress)


async def _run_async(
    client: AsyncModellix,
    run: Run,
    max_concurrency: int | None,
    timeout: float | None,
    on_progress: OnProgress | None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    tally = _Tally(run.total, on_progress, queued=len(run.jobs), stop_on_unknown=stop_on_unknown)
    gate = asyncio.Semaphore(_width(client, max_concurrency))
    posts: set[asyncio.Future[str]] = set()  # POSTs on the wire when the batch was stopped
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

    async def one(job: Job) -> None:
        try:
            async with gate:
                if tally.stopped.is_set():
                    return
                outcome = tally.begin(job.index, job.item.slug, client._limiter)
                if outcome is None:
                    outcome = await _send_and_wait_async(client, job, run, timeout, tally, posts)
            if outcome is not None and outcome.ok and run.download is not None:
                outcome = await _save_async(client, run, outcome)  # outside the gate: the next input goes now
            if outcome is not None:
                await record(outcome)
        except (KeyboardInterrupt, SystemExit) as exc:  # raised in a task, these would escape the event loop
            halted.append(exc)
            for other in tasks:
                if other is not asyncio.current_task():
                    other.cancel()

    for outcome in run.known:
        await record(outcome)
    client._limiter.add_demand(len(run.jobs))
    tasks = [asyncio.ensure_future(one(job)) for job in run.jobs]
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
    job: Job,
    run: Run,
    timeout: float | None,
    tally: _Tally,
    posts: set[asyncio.Future[str]],
) -> BatchOutcome | None:
    """One input's submit (or re-attach) + wait as an outcome; cancelled, it records what was sent and re-raises."""
    index, item, task_id = job.index, job.item, job.task_id
    slot = await client._limiter.acquire()  # cancellable: nothing sent yet
    if tally.stopped.is_set():
        client._limiter.release(slot)
        return None
    slot.task_id = task_id
    if task_id is None:
        post = asyncio.ensure_future(_post_async(client, job, slot, run.journal))
        try:
            task_id = await asyncio.shield(post)  # cancelling must not cut a paid POST off mid-flight
        except asyncio.CancelledError:
            tally.stopped.set()
            posts.add(post)
            post.add_done_callback(lambda done: _account_post(done, client, index, item.slug, tally))
            raise
        except ModellixError as exc:
            return classify(index, item.slug, None, exc)
    started = asyncio.get_running_loop().time()
    result = None
    try:
        result = await client.tasks.wait(task_id, timeout=timeout, task_type=item.task_type,
                                         poll_first=job.task_id is not None)
        _finished(run.journal, index, task_id, None)
        return BatchOutcome(index, item.slug, "success", task_id, result)
    except ModellixError as exc:
        return _failure(run.journal, index, item.slug, task_id, result, exc)
    except asyncio.CancelledError:
        tally.stopped.set()  # before recording: on_progress is not called once stopping
        waited = asyncio.get_running_loop().time() - started
        tally.record(classify(index, item.slug, task_id, TaskTimeout(task_id, waited, None)))
        raise
    finally:
        client._limiter.release(task_id=task_id)


async def _save_async(client: AsyncModellix, run: Run, outcome: BatchOutcome) -> BatchOutcome:
    """Save a success's files into ``run.download`` (journaled); a failure keeps the result."""
    assert run.download is not None and outcome.result is not None and outcome.task_id is not None
    try:
        files = await client.download(outcome.result, run.download, overwrite=True)
    except ModellixError as exc:
        return _failure(run.journal, outcome.index, outcome.slug, outcome.task_id, outcome.result, exc)
    _save(run.journal, outcome.index, files, outcome.task_id)
    return outcome


async def _post_async(client: AsyncModellix, job: Job, slot: Slot, journal: Journal | None) -> str:
    if journal is None:
        return (await client._submit(job.item, slot)).task_id
    task = await journal.post_async(job.index, lambda: client._submit(job.item, slot), _task_id)
    return task.task_id


def _account_post(post: asyncio.Future[str], client: AsyncModellix, index: int, slug: str, tally: _Tally) -> None:
    """A POST that outlived its cancelled batch: record its task (still running) and free its slot."""
    if post.cancelled():
        return
    error = post.exception()
    if error is None:
        task_id = post.result()
        client._limiter.release(task_id=task_id)
        tally.record(classify(index, slug, task_id, TaskTimeout(task_id, 0.0, None)))
    elif isinstance(error, ModellixError):
        tally.record(classify(index, slug, None, error))
