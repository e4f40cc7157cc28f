"""Batch runs on asyncio (async client); what the runner decides lives in :mod:`.._core.batch_book`."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._core.async_ports import AsyncBatchClient
from .._core.batch_book import (
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
    classify,
    live_slugs,
    prepare_all,
    reopened,
    resume_run,
    started,
)
from .._core.limiter_book import Slot
from .._core.batch_uploads import batch_leftovers, listed
from .._core.wait import task_id_of
from ..errors import (
    ModellixError,
    TaskTimeout,
)
from ..polling import check_timeout

if TYPE_CHECKING:
    from ..journal import Journal
logger = logging.getLogger("modellix_typed")


async def run_batch_async(
    client: AsyncBatchClient,
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
    prepared = prepare_all(items, await client._live_models(live_slugs(items)))
    client.config.require_key()
    check_timeout(timeout)
    prepared = await client._upload_locals(prepared)
    try:
        with started(journal, prepared, download) as run:
            outcomes = await _run_async(client, run, max_concurrency, timeout, on_progress, stop_on_unknown)
    except BaseException as exc:
        if cleanup_uploads:
            await client._delete_uploads(batch_leftovers(prepared, getattr(exc, "outcomes", [])))
        raise
    if cleanup_uploads:
        await client._delete_uploads(batch_leftovers(prepared, outcomes))
    return [listed(outcome, prepared) for outcome in outcomes]


async def resume_batch_async(
    client: AsyncBatchClient,
    journal: JournalPath | Journal,
    *,
    resubmit_unknown: bool = False,
    retry_rate_limited: bool = False,
    download: str | os.PathLike[str] | None = None,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    on_progress: OnProgress | None = None,
) -> list[BatchOutcome]:
    """Finish a journaled batch: see :meth:`modellix_typed.AsyncModellix.resume`."""
    client.config.require_key()
    check_timeout(timeout)
    with reopened(journal) as book:
        run = resume_run(book, resubmit_unknown, download, retry_rate_limited)
        return await _run_async(client, run, max_concurrency, timeout, on_progress)


async def _run_async(
    client: AsyncBatchClient,
    run: Run,
    max_concurrency: int | None,
    timeout: float | None,
    on_progress: OnProgress | None,
    stop_on_unknown: bool = False,
) -> list[BatchOutcome]:
    tally = Tally(run.total, on_progress, queued=len(run.jobs), stop_on_unknown=stop_on_unknown)
    gate = asyncio.Semaphore(batch_width(client.config.max_concurrency, max_concurrency))
    posts: set[asyncio.Future[str]] = set()  # POSTs on the wire when the batch was stopped
    halted: list[BaseException] = []  # a KeyboardInterrupt from on_progress, re-raised by the coordinator
    reporting = asyncio.Lock()  # one report at a time, awaited included (FIFO: reports stay in done order)

    async def record(outcome: BatchOutcome) -> None:
        """Like ``Tally.record``, but an ``async def`` on_progress is awaited (the tally's lock cannot be)."""
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
    client: AsyncBatchClient,
    job: Job,
    run: Run,
    timeout: float | None,
    tally: Tally,
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
        batch_finished(run.journal, index, task_id, None)
        return BatchOutcome(index, item.slug, "success", task_id, result)
    except ModellixError as exc:
        return batch_failure(run.journal, index, item.slug, task_id, result, exc)
    except asyncio.CancelledError:
        tally.stopped.set()  # before recording: on_progress is not called once stopping
        waited = asyncio.get_running_loop().time() - started
        tally.record(classify(index, item.slug, task_id, TaskTimeout(task_id, waited, None)))
        raise
    finally:
        client._limiter.release(task_id=task_id)


async def _save_async(client: AsyncBatchClient, run: Run, outcome: BatchOutcome) -> BatchOutcome:
    """Save a success's files into ``run.download`` (journaled); a failure keeps the result."""
    assert run.download is not None and outcome.result is not None and outcome.task_id is not None
    try:
        files = await client.download(outcome.result, run.download, overwrite=True)
    except ModellixError as exc:
        return batch_failure(run.journal, outcome.index, outcome.slug, outcome.task_id, outcome.result, exc)
    batch_saved(run.journal, outcome.index, files, outcome.task_id)
    return outcome


async def _post_async(client: AsyncBatchClient, job: Job, slot: Slot, journal: Journal | None) -> str:
    if journal is None:
        return (await client._submit(job.item, slot)).task_id
    task = await journal.post_async(job.index, lambda: client._submit(job.item, slot), task_id_of)
    return task.task_id


def _account_post(post: asyncio.Future[str], client: AsyncBatchClient, index: int, slug: str, tally: Tally) -> None:
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
