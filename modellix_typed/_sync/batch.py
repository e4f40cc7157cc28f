"""Batch runs on threads (sync client); what the runner decides lives in :mod:`.._core.batch_book`."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from .._core.batch_book import (
    STOP_CHECK_INTERVAL,
    BatchItem,
    BatchOutcome,
    Job,
    JournalPath,
    OnProgress,
    Run,
    Tally,
    batch_failure,
    batch_finished,
    batch_saved,
    batch_width,
    live_slugs,
    prepare_all,
    reopened,
    resume_run,
    started,
)
from .._core.limiter_book import Slot, SyncSlots
from .._core.sync_ports import SyncBatchClient
from .._core.batch_uploads import batch_leftovers, listed
from .._core.wait import Submitted, task_id_of
from ..errors import (
    ModellixError,
)
from ..polling import check_timeout

if TYPE_CHECKING:
    from ..journal import Journal
logger = logging.getLogger("modellix_typed")


def run_batch(
    client: SyncBatchClient,
    requests: Iterable[BatchItem],
    *,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
    journal: JournalPath | Journal | None = None,
    download: str | os.PathLike[str] | None = None,
    stop_on_unknown: bool = False,
    cleanup_uploads: bool = False,
) -> list[BatchOutcome]:
    """Each distinct local file of the bodies is uploaded once before the first POST; with ``cleanup_uploads``
    those uploads are deleted at the end, except any a task that may still run could read."""
    items = list(requests)
    prepared = prepare_all(items, client._live_models(live_slugs(items)))
    client.config.require_key()
    check_timeout(timeout)
    prepared = client._upload_locals(prepared)
    try:
        with started(journal, prepared, download) as run:
            outcomes = _run_sync(client, run, max_concurrency, timeout, on_progress, stop_on_unknown)
    except BaseException as exc:
        if cleanup_uploads:
            client._delete_uploads(batch_leftovers(prepared, getattr(exc, "outcomes", [])))
        raise
    if cleanup_uploads:
        client._delete_uploads(batch_leftovers(prepared, outcomes))
    return [listed(outcome, prepared) for outcome in outcomes]


def resume_batch(
    client: SyncBatchClient,
    journal: JournalPath | Journal,
    *,
    resubmit_unknown: bool = False,
    retry_rate_limited: bool = False,
    download: str | os.PathLike[str] | None = None,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
) -> list[BatchOutcome]:
    """Finish a journaled batch: see :meth:`modellix_typed.Modellix.resume`."""
    client.config.require_key()
    check_timeout(timeout)
    with reopened(journal) as book:
        run = resume_run(book, resubmit_unknown, download, retry_rate_limited)
        return _run_sync(client, run, max_concurrency, timeout, on_progress)


def _run_sync(
    client: SyncBatchClient,
    run: Run,
    max_concurrency: int | None,
    timeout: float | None,
    on_progress: OnProgress | None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    tally = Tally(run.total, on_progress, queued=len(run.jobs), stop_on_unknown=stop_on_unknown)
    for outcome in run.known:
        tally.record(outcome)

    width = batch_width(client.config.max_concurrency, max_concurrency)
    # The batch's own cap when it is narrower than the client's limiter (otherwise the limiter is the gate).
    gate = threading.BoundedSemaphore(width) if width < client.config.max_concurrency else None

    def one(position: int, job: Job) -> None:
        try:
            with tally.active():  # counted before the stop check: an interrupt waits for every input under way
                _one(position, job)
        finally:
            tally.pass_turn(position)

    def _one(position: int, job: Job) -> None:
        try:
            if tally.stopped.is_set():
                return  # interrupted before this input started: never sent, no outcome
            outcome = tally.begin(job.index, job.item.slug, client._limiter)
            if outcome is None:
                outcome = _send_and_wait(client, job, run, timeout, tally, position, gate)
            tally.pass_turn(position)
            if outcome is not None and outcome.ok and run.download is not None:
                outcome = _save(client, run, outcome)  # outside the gate: the next input goes now
            if outcome is not None:
                tally.record(outcome)
        except BaseException:
            tally.stopped.set()  # whatever escaped (KeyboardInterrupt from on_progress, a bug): stop all
            raise

    workers = min(_workers(width, run.download is not None), len(run.jobs) or 1)
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
            # Running workers stop at their next poll; every input under way is waited for, also one whose
            # future or thread a Ctrl+C inside pool.submit() kept from us (its POST may have created a task
            # that must be reported). A second Ctrl+C abandons this wait.
            tally.wait_idle()
        finally:
            tally.attach(exc)
        raise
    finally:
        pool.shutdown(wait=False)
        tally.finish(client._limiter)
    return tally.results()


def _workers(width: int, downloading: bool) -> int:
    """Threads for ``width`` inputs in flight. One spare thread waits on the batch's cap (its gate, or the
    client's limiter when that is the cap): it takes the place the moment a poll sees a task end and POSTs the
    next input, while the thread that saw the end is still recording its outcome (otherwise the place idles
    meanwhile). Saving files (``download=``) happens after the input left the gate, as the async runner does:
    ``width`` more threads, so downloads in progress do not leave a place without a thread to fill it."""
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
    client: SyncBatchClient,
    job: Job,
    run: Run,
    timeout: float | None,
    tally: Tally,
    position: int,
    gate: threading.BoundedSemaphore | None,
) -> BatchOutcome | None:
    """One input's submit (or re-attach) + wait as an outcome, inside ``gate``; None when the batch stopped
    before its POST.

    Slots are taken in input order (``position``): the spare worker must not let a later input overtake.
    """
    tally.wait_turn(position)
    try:
        slot, waited = _take_slot(client._limiter, tally.stopped, gate)
    finally:
        tally.pass_turn(position)
    if slot is None:
        return None
    try:
        return _submit_and_wait(client, job, run, timeout, tally, slot, waited)
    finally:
        if gate is not None:
            gate.release()


def _submit_and_wait(
    client: SyncBatchClient, job: Job, run: Run, timeout: float | None, tally: Tally, slot: Slot, waited: bool
) -> BatchOutcome | None:
    stopped = tally.stopped
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
        result = client.tasks.wait(
            task_id, timeout=timeout, task_type=item.task_type, poll_first=job.task_id is not None, stop=stopped
        )
        batch_finished(run.journal, index, task_id, None)
        return BatchOutcome(index, item.slug, "success", task_id, result)
    except ModellixError as exc:
        return batch_failure(run.journal, index, item.slug, task_id, result, exc)
    finally:
        if task_id is not None:
            client._limiter.release(task_id=task_id)  # after a timeout too: a batch must not deadlock


def _save(client: SyncBatchClient, run: Run, outcome: BatchOutcome) -> BatchOutcome:
    """Save a success's files into ``run.download`` (journaled); a failure keeps the result."""
    assert run.download is not None and outcome.result is not None and outcome.task_id is not None
    try:
        files = client.download(outcome.result, run.download, overwrite=True)
    except ModellixError as exc:
        return batch_failure(run.journal, outcome.index, outcome.slug, outcome.task_id, outcome.result, exc)
    batch_saved(run.journal, outcome.index, files, outcome.task_id)
    return outcome


def _post(client: SyncBatchClient, job: Job, slot: Slot, journal: Journal | None) -> Submitted:
    if journal is None:
        return client._submit(job.item, slot)
    return journal.post(job.index, lambda: client._submit(job.item, slot), task_id_of)


def _take_slot(
    limiter: SyncSlots, stopped: threading.Event, gate: threading.BoundedSemaphore | None
) -> tuple[Slot | None, bool]:
    """A place in ``gate`` (if any) and a slot, or None once the batch is stopped (slots held outside the
    batch may never come back); and whether it had to wait (then someone just freed one)."""
    waited = False
    if gate is not None and not gate.acquire(timeout=0):
        waited = True
        while not gate.acquire(timeout=STOP_CHECK_INTERVAL):
            if stopped.is_set():
                return None, True
    slot = limiter.acquire(timeout=0)
    if slot is not None:
        return slot, waited
    while not stopped.is_set():
        slot = limiter.acquire(timeout=STOP_CHECK_INTERVAL)
        if slot is not None:
            return slot, True
    if gate is not None:
        gate.release()
    return None, True
