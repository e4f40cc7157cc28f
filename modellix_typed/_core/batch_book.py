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

This module holds what both batch runners share, no I/O beyond the journal file: the vocabulary
(outcomes, progress), validation of every input, the plan of a resume and the tally.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    InsufficientBalance,
    ModellixError,
    RateLimited,
    SubmissionOutcomeUnknown,
    TaskFailed,
    TaskTimeout,
)
from ..request import RequestModel, parse_slug
from ..results import TaskResult
from ..validation import Issue, ValidationError
from .json_body import encode_json
from .limiter_book import SlotHolder
from .prepare import Prepared, live_schema_slug, prepare

if TYPE_CHECKING:
    from ..journal import Journal
    from ..live_schema import LiveModel, SchemaUnavailable
logger = logging.getLogger("modellix_typed")


# How often a blocked wait re-checks for a stop: a worker waiting for a slot held outside the batch, or the
# calling thread (so Ctrl+C is seen even where lock waits are not interruptible).
STOP_CHECK_INTERVAL = 0.1

BatchItem = RequestModel | tuple[str, Mapping[str, Any]]
JournalPath = str | os.PathLike[str]
OutcomeKind = Literal[
    "success", "failed", "rejected", "rate_limited", "outcome_unknown", "timeout", "error", "skipped"
]


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


def live_slugs(requests: Iterable[BatchItem]) -> list[str]:
    """The distinct slugs of ``(slug, body)`` inputs that have no generated class: their live api_schemas are
    fetched (once each) before :func:`prepare_all`."""
    named = dict.fromkeys(item[0] for item in requests if isinstance(item, tuple) and item and isinstance(item[0], str))
    found = (live_schema_slug(slug, True) for slug in named)
    return list(dict.fromkeys(slug for slug in found if slug is not None))


def prepare_all(
    requests: Iterable[BatchItem], live: Mapping[str, LiveModel | SchemaUnavailable] | None = None
) -> list[Prepared]:
    """Validate every input (``live``: the schemas of models newer than the generated classes); raise one
    ValidationError listing every problem as ``[index].field``."""

    prepared: list[Prepared] = []
    issues: list[Issue] = []
    for index, item in enumerate(requests):
        try:
            if isinstance(item, tuple):
                slug, data = item
                prepared.append(prepare(slug, data, live=(live or {}).get(slug)))
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
    elif isinstance(error, RateLimited) and task_id is None:
        kind = "rate_limited"  # a 429 to the POST: nothing created, not re-sent (resume can, when asked)
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


def plan_resume(
    journal: Journal, *, resubmit_unknown: bool, retry_rate_limited: bool = False
) -> tuple[list[Job], list[BatchOutcome]]:
    """What a journal leaves to do: re-attach known tasks, send never-sent (or refused) inputs, and report
    inputs whose POST may have created a task (unless ``resubmit_unknown``) instead of paying twice, and
    inputs a 429 turned away (unless ``retry_rate_limited``). A re-sent input keeps its intent's x-request-id."""
    from ..journal import JournalError

    jobs: list[Job] = []
    known: list[BatchOutcome] = []
    for index, entry in sorted(journal.entries.items()):
        content = encode_json(entry.body)
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise JournalError(f"journal {str(journal.path)!r}: the body of input {index} does not match its sha256")
        provider, model_id = parse_slug(entry.slug)
        item = Prepared(entry.slug, entry.task_type, provider, model_id, entry.documented_path, content)
        if entry.request_id:  # the intent's own id (journals written before request ids get a fresh one)
            item = attrs.evolve(item, request_id=entry.request_id)
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
        elif state == "rate_limited" and not retry_rate_limited:
            limited = RateLimited(429, "rate limited", f"journal: {entry.rate_limited} (resume with "
                                  "retry_rate_limited=True / --retry-rate-limited to send it again)")
            known.append(classify(index, entry.slug, None, limited))
        else:
            jobs.append(Job(index, item))
    return jobs, known


def _not_sent(index: int, slug: str, error: ModellixError) -> BatchOutcome:
    """The outcome of an input the batch decided not to send (after a 401/402, or an unknown outcome)."""
    return BatchOutcome(index, slug, "skipped" if isinstance(error, NotSent) else "rejected", error=error)


class Tally:
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
        self.under_way = 0  # sync batch: inputs whose worker is inside ``one`` (see :meth:`active`)
        self.idle = threading.Condition()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Around one input's work in a worker thread (entered before it checks :attr:`stopped`)."""
        with self.idle:
            self.under_way += 1
        try:
            yield
        finally:
            with self.idle:
                self.under_way -= 1
                self.idle.notify_all()

    def wait_idle(self) -> None:
        """After :attr:`stopped` is set: until no input is under way (one that starts later sends nothing)."""
        with self.idle:
            while self.under_way:
                self.idle.wait(STOP_CHECK_INTERVAL)

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

    def begin(self, index: int, slug: str, limiter: SlotHolder) -> BatchOutcome | None:
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

    def finish(self, limiter: SlotHolder) -> None:
        """Withdraw the demand of inputs never started (the batch was interrupted)."""
        with self.lock:
            left, self.queued = self.queued, 0
        limiter.add_demand(-left)

    def results(self) -> list[BatchOutcome]:
        return [o for o in self.outcomes if o is not None]

    def attach(self, exc: BaseException) -> None:
        """Hand the outcomes known so far to whoever catches the exception that stopped the batch."""
        exc.outcomes = self.results()  # type: ignore[attr-defined]


def batch_width(default: int, max_concurrency: int | None) -> int:
    """How many inputs are in flight at once (the client's limiter still caps running tasks)."""
    if max_concurrency is None:
        return default
    if not isinstance(max_concurrency, int) or max_concurrency < 1:
        raise ConfigurationError(f"max_concurrency: must be an integer >= 1, got {max_concurrency!r}")
    return max_concurrency


@contextlib.contextmanager
def started(
    journal: JournalPath | Journal | None, prepared: list[Prepared], download: str | os.PathLike[str] | None = None
) -> Iterator[Run]:
    """A new batch's run; with a journal (opened here from a path and closed after, or the caller's) every
    intent is recorded before it starts."""
    jobs = [Job(i, p) for i, p in enumerate(prepared)]
    folder = Path(download) if download is not None else None
    if journal is None:
        yield Run(jobs, len(prepared), download=folder)
        return
    from ..journal import Journal

    with contextlib.ExitStack() as stack:
        if not isinstance(journal, Journal):
            journal = stack.enter_context(Journal.create(journal, download=folder.resolve() if folder else None))
        journal.start(prepared)
        yield Run(jobs, len(prepared), journal=journal, download=folder)


@contextlib.contextmanager
def reopened(journal: JournalPath | Journal) -> Iterator[Journal]:
    from ..journal import Journal

    if isinstance(journal, Journal):
        yield journal
    else:
        with Journal.open(journal) as book:
            yield book


def resume_run(
    book: Journal, resubmit_unknown: bool, download: str | os.PathLike[str] | None, retry_rate_limited: bool = False
) -> Run:
    jobs, known = plan_resume(book, resubmit_unknown=resubmit_unknown, retry_rate_limited=retry_rate_limited)
    folder = download if download is not None else book.header.get("download")
    return Run(jobs, len(book.entries), known, book, Path(folder) if folder else None)


def batch_finished(journal: Journal | None, index: int, task_id: str, error: ModellixError | None) -> None:
    if journal is not None:
        journal.finished(index, task_id, error)


def batch_saved(journal: Journal | None, index: int, files: list[Path], task_id: str) -> None:
    if journal is not None:
        journal.saved(index, task_id, files)


def batch_failure(
    journal: Journal | None, index: int, slug: str, task_id: str | None, result: TaskResult | None, error: ModellixError
) -> BatchOutcome:
    """The outcome of an error; a download that failed after a success keeps the result (nothing is lost)."""
    if result is not None:  # the task succeeded; saving its files failed
        return BatchOutcome(index, slug, "error", task_id, result, error)
    if task_id is not None:
        batch_finished(journal, index, task_id, error)
    return classify(index, slug, task_id, error)
