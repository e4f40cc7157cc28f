"""``AsyncModellix``, the asynchronous client: submit, poll, wait, batch, download, common API.

Written once, in async (``_async/``); ``tools/unasync.py`` generates the sync twin (``_sync/``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from .. import common_api
from .._core.batch_book import (
    BatchItem,
    BatchOutcome,
    JournalPath,
    OnProgress,
)
from .._core.client_core import ClientBase, ClientCore, journal_finished, open_journal
from .._core.download_plan import download_timeout, schema_timeout
from .._core.deadline import rest_of, run_deadline
from .._core.limiter_book import Slot
from .._core.prepare import Prepared, RequestLike, live_schema_slug, prepare, with_uploads
from .._core.uploads import distinct, listed_on, run_leftovers
from .._core.wait import OnUpdate, task_id_of
from ..config import DEFAULT_MAX_CONCURRENCY, Timeouts
from ..errors import (
    AuthenticationError,
    ModellixError,
    NotFound,
)
from ..local_file import LocalFile
from ..models._typed_calls import typed_method
from ..polling import PollPolicy, check_timeout
from ..pollstats import PollStatsSetting
from ..pollstats import resolve as resolve_poll_stats
from ..results import TaskResult
from ..retry import DEFAULT_MAX_RETRIES, RetryPolicy
from ..slots import SlotStore, keeper_for
from .batch import resume_batch_async, run_batch_async
from .download import download_async
from .limiter import AsyncLimiter
from .pause import pause, settle
from .schema_fetch import load_live_model_async
from .task import AsyncTask
from .transport import AsyncTransport

if TYPE_CHECKING:
    from ..journal import Journal
    from ..live_schema import LiveModel, SchemaUnavailable
logger = logging.getLogger("modellix_typed")


class AsyncModellix(ClientBase):
    """Asynchronous client. Use as a context manager (or call :meth:`aclose`).

    ``poll_stats``: where completion times are learned (:mod:`modellix_typed.pollstats`): None for
    ``MODELLIX_POLL_STATS`` or the default file, a path, or False to poll without history.
    The key: ``api_key``, else ``MODELLIX_API_KEY``, else the saved ``profile`` (else ``MODELLIX_PROFILE``,
    else the current one) from ``modellix-typed auth login`` / modellix-cli (:mod:`modellix_typed.profiles`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        poll_policy: PollPolicy | Mapping[str, PollPolicy] | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        http_client: httpx.AsyncClient | None = None,
        submit_path: str | None = None,
        legacy_path_fallback: bool = True,
        limiter: str | SlotStore | None = None,
        poll_stats: PollStatsSetting = None,
        profile: str | None = None,
    ) -> None:
        core = ClientCore.resolve(
            api_key,
            base_url,
            timeouts,
            max_retries,
            retry_policy,
            poll_policy,
            max_concurrency,
            submit_path=submit_path,
            legacy_path_fallback=legacy_path_fallback,
            profile=profile,
        )
        self._core = core
        self._transport = AsyncTransport(core.config, core.retry_policy, http_client)
        # limiter: where the team's slots are counted ("local", file:///path, redis://...; see .slots)
        self._limiter = AsyncLimiter(core.config.max_concurrency, keeper_for(limiter, core.config.api_key))
        core.on_rate_limited = self._limiter.rate_limited
        core.poll_stats = resolve_poll_stats(poll_stats)
        self.tasks: AsyncTasks = AsyncTasks(self)
        self.media: AsyncMedia = AsyncMedia(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()
        self._limiter.close()

    @typed_method  # the body's TypedDict by slug, for type checkers (generated)
    async def submit(
        self,
        request: RequestLike,
        data: Mapping[str, Any] | None = None,
        *,
        validate: bool = True,
        journal: JournalPath | Journal | None = None,
    ) -> AsyncTask:
        """POST once (waiting for a free slot first); returns a task handle.

        ``submit("provider/model-id", {...}, validate=False)`` sends a body unvalidated (a raw call).
        ``journal=``: the intent is recorded before the POST and the task id after (see :meth:`batch`), so
        :meth:`resume` finishes the task if this process dies; pass an open
        :class:`~modellix_typed.journal.Journal` to record its ``done``/``saved`` events yourself.
        """
        prepared = (await self._upload_locals([await self._prepare(request, data, validate)]))[0]
        with open_journal(journal, prepared) as book:
            return await self._post(prepared, book)

    async def _prepare(self, request: RequestLike, data: Mapping[str, Any] | None, validate: bool) -> Prepared:
        """Validate (a slug with no generated class: against its live api_schema, fetched first) and serialize."""
        slug = live_schema_slug(request, validate)
        if slug is None:
            return prepare(request, data, validate=validate)
        live = (await self._live_models([slug]))[slug]
        return prepare(request, data, validate=validate, live=live)

    async def _live_models(self, slugs: Iterable[str]) -> dict[str, LiveModel | SchemaUnavailable]:
        """The live api_schema of each slug (the disk cache while fresh, else one GET each), or why not."""
        http = self._transport.open_http()  # a closed client says so first
        found: dict[str, LiveModel | SchemaUnavailable] = {}
        slugs = list(slugs)
        if not slugs:  # a batch of known models: no spec engine loaded
            return found
        from ..live_schema import SchemaUnavailable  # lazy: importing a client must not load the spec engine

        schemas, timeout = self._core.schemas, schema_timeout(self.config.timeouts)
        for slug in slugs:
            try:
                found[slug] = await load_live_model_async(http, schemas, slug, timeout)
            except SchemaUnavailable as exc:
                found[slug] = exc
        return found

    async def validate(self, slug: str, data: Mapping[str, Any]) -> None:
        """Validate ``data`` for ``slug`` without sending it: the generated class, or (a model newer than this
        SDK) its live api_schema, fetched and cached; raises ValidationError with every issue."""
        await self._prepare(slug, data, True)

    async def _post(self, prepared: Prepared, book: Journal | None, deadline: float | None = None) -> AsyncTask:
        """The paid POST, recorded before and after in ``book`` when there is one."""
        if book is None:
            return await self._submit(prepared, deadline=deadline)
        return await book.post_async(0, lambda: self._submit(prepared, deadline=deadline), task_id_of)

    async def _submit(self, prepared: Prepared, slot: Slot | None = None, deadline: float | None = None) -> AsyncTask:
        """POST once, holding ``slot`` (one the caller took, e.g. a batch that must stay interruptible)."""
        self.config.require_key()
        if slot is None:
            slot = await self._limiter.acquire()
            assert slot is not None
        try:
            calls = self._core.submit_calls(prepared, deadline)
            for index, call in enumerate(calls):
                try:
                    reply = await self._transport.send_reply(call)
                except NotFound as exc:
                    if self._core.after_not_found(prepared, calls, index, exc):
                        continue
                    raise
                self._core.path_worked(prepared, call, calls)
                break
            task_id, submitted_at = self._core.accepted(reply, prepared, call)
        except BaseException:
            self._limiter.release(slot)
            raise
        slot.task_id = task_id
        return AsyncTask(
            task_id, prepared.slug, submitted_at, prepared.task_type, client=self, uploads=prepared.uploads
        )

    @typed_method  # the body's TypedDict by slug, for type checkers (generated)
    async def run(
        self,
        request: RequestLike,
        data: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        validate: bool = True,
        journal: JournalPath | Journal | None = None,
        cleanup_uploads: bool = True,
    ) -> TaskResult:
        """Submit and wait: the successful result, or TaskFailed / TaskTimeout / an API error.

        ``timeout`` covers the POST too (one cut off is outcome unknown) and the wait. The caller never holds
        the task handle, so a wait that gives up frees the slot here; otherwise a few timed-out runs would
        block every later submit. (If the task still runs server-side, a later 429 is a
        definite rejection.) Resume with ``client.tasks.wait(error.task_id)``.

        With ``journal=PATH`` the submission is journaled first (see :meth:`batch`): a killed process is
        finished by :meth:`resume` without paying twice.

        Local files in the body are uploaded first; with ``cleanup_uploads`` (default) the uploads this call
        made are deleted once the task no longer needs them.
        """
        check_timeout(timeout)  # before the paid POST: a bad argument must not cost a task
        deadline = run_deadline(timeout)  # the POST and the wait share the run's timeout
        prepared = (await self._upload_locals([await self._prepare(request, data, validate)]))[0]
        task: AsyncTask | None = None
        try:
            with open_journal(journal, prepared) as book:
                task = await self._post(prepared, book, deadline)
                try:
                    result = await task.wait(timeout=rest_of(deadline), on_update=on_update)
                except BaseException as exc:
                    task.release()
                    journal_finished(book, task.task_id, exc)
                    raise
                journal_finished(book, task.task_id, None)
        except BaseException as exc:
            if cleanup_uploads:
                await self._delete_uploads(run_leftovers(prepared.uploads, exc, task is not None))
            raise
        if cleanup_uploads:
            await self._delete_uploads(prepared.uploads)
        return listed_on(result, prepared.uploads)

    async def batch(
        self,
        requests: Iterable[BatchItem],
        *,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        on_progress: OnProgress | None = None,
        journal: JournalPath | Journal | None = None,
        download: str | Path | None = None,
        stop_on_unknown: bool = False,
        cleanup_uploads: bool = False,
    ) -> list[BatchOutcome]:
        """Run many requests with full slots; one outcome per input, in input order, never raising per item.

        Ctrl+C (or, async, cancelling it) stops it promptly with nothing more submitted; the exception carries
        the outcomes so far as ``exc.outcomes`` (see :mod:`modellix_typed.batch`). With ``journal=PATH`` (a new
        file) every input's intent, each POST and each task id is recorded durably
        (:mod:`modellix_typed.journal`), so a killed batch is finished by :meth:`resume`. ``download=DIR``
        saves each success's files there as soon as it finishes, after its slot went to the next input (a
        failed download is an ``error`` outcome that keeps the result). ``stop_on_unknown``: after a submission
        whose outcome is unknown, send nothing more (the rest are "skipped"; running tasks are still waited
        on). ``cleanup_uploads``: delete the uploads made for local files in the inputs once every task that
        used them has finished. The async client awaits what ``on_progress`` returns when awaitable (a
        coroutine function).
        """

        return await run_batch_async(
            self, requests, max_concurrency=max_concurrency, timeout=timeout, on_progress=on_progress,
            journal=journal, download=download, stop_on_unknown=stop_on_unknown, cleanup_uploads=cleanup_uploads,
        )

    async def resume(
        self,
        journal: JournalPath | Journal,
        *,
        resubmit_unknown: bool = False,
        retry_rate_limited: bool = False,
        download: str | Path | None = None,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        on_progress: OnProgress | None = None,
    ) -> list[BatchOutcome]:
        """Finish the batch (or run) a journal records; one outcome per input, in input order.

        Re-attaches to every task it created, sends inputs that were never sent (or were refused), and
        downloads into ``download`` (default: the folder the journal names, if any) what is not saved yet
        (an input already saved is reported as a success with ``result=None``, without a request).
        An input whose POST may have created a task is reported as ``outcome_unknown`` and not sent again
        unless ``resubmit_unknown=True`` (that may pay twice); one a 429 turned away (nothing was created) is
        reported as ``rate_limited`` and sent again only with ``retry_rate_limited=True``. Holds the
        journal's lock while it runs: a second resume of the same file raises
        :class:`~modellix_typed.journal.JournalLocked`.
        """

        return await resume_batch_async(
            self, journal, resubmit_unknown=resubmit_unknown, retry_rate_limited=retry_rate_limited,
            download=download, max_concurrency=max_concurrency, timeout=timeout, on_progress=on_progress,
        )

    async def _upload_locals(self, prepared: list[Prepared]) -> list[Prepared]:
        """Upload each distinct local file the requests name once (checked already), put its URL in their bodies."""
        made: dict[str, common_api.MediaFile] = {}
        try:
            for key, local in distinct(p.pending for p in prepared).items():
                made[key] = await self.media.upload(local.data, filename=local.name, content_type=local.content_type)
        except BaseException:
            await self._delete_uploads(made.values())  # nothing was paid: the uploads made so far are unused
            raise
        return [with_uploads(p, made) for p in prepared]

    async def _delete_uploads(self, files: Iterable[common_api.MediaFile]) -> None:
        """Delete uploads this client made that no task needs any more; a failure is logged, never raised."""
        for media in files:
            try:
                await self.media.delete(media.file_id)
            except ModellixError as exc:
                logger.warning("upload %s not deleted (%s); the server's retention removes it", media.file_id, exc)

    async def download(
        self, result: TaskResult, folder: str | Path, *, max_bytes: int | None = None, overwrite: bool = False
    ) -> list[Path]:
        """Save every resource of ``result`` into ``folder`` atomically; returns the paths."""
        return await download_async(
            self._transport.open_http(),
            result,
            Path(folder),
            max_bytes=max_bytes,
            overwrite=overwrite,
            timeout=download_timeout(self.config.timeouts),
        )

    # -- common API -----------------------------------------------------------------------------------------

    async def models(self) -> list[common_api.ModelInfo]:
        return common_api.parse_models(await self._transport.send(common_api.models_call()))

    async def validate_key(self) -> bool:
        """True when the server accepts the key (a 401 counts as invalid, not as an error)."""
        try:
            return common_api.parse_validate_key(await self._transport.send(common_api.validate_key_call()))
        except AuthenticationError:
            return False

    async def balance(self) -> Decimal:
        return common_api.parse_balance(await self._transport.send(common_api.balance_call()))


class AsyncTasks:
    """``client.tasks``: read and wait on tasks by id (including tasks from an earlier process)."""

    def __init__(self, client: AsyncModellix) -> None:
        self._client = client

    async def _fetch(self, task_id: str, *, retries: bool, deadline: float | None = None) -> TaskResult:
        core = self._client._core
        call = core.poll_call(task_id, retries=retries, deadline=deadline)
        result = core.parse_result(await self._client._transport.send(call), task_id, call)
        core.observe(task_id, result, self._client._limiter)
        return result.bind(self._client.download)  # bound: TaskResult.download / .adownload work

    async def get(self, task_id: str) -> TaskResult:
        """One status read (retried on 429/5xx/network errors)."""
        return await self._fetch(task_id, retries=True)

    async def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        task_type: str | None = None,
        poll_first: bool = True,
        stop: threading.Event | None = None,
    ) -> TaskResult:
        """Poll until success/failed or the deadline (TaskTimeout carries the id: call wait again to resume).

        ``on_update`` is called on every status change (the async client awaits what it returns when
        awaitable: a coroutine function). ``stop``: once set (from any thread), the wait gives up with the same
        resumable TaskTimeout, e.g. an interrupted batch.
        """
        limiter = self._client._limiter
        state = self._client._core.wait_state(
            task_id, timeout, on_update, task_type, poll_first, urgent=lambda: limiter.waiting > 0
        )
        delay = state.first_delay
        while True:
            if await pause(delay, stop):
                raise state.timeout()
            try:
                result = await self._fetch(task_id, retries=False, deadline=state.deadline)
            except ModellixError as exc:
                delay = state.on_error(exc)
                continue
            try:
                verdict = state.on_result(result)
            finally:
                await settle(state)
            if isinstance(verdict, TaskResult):
                return verdict
            delay = verdict


class AsyncMedia:
    """``client.media``: upload (never auto-replayed), list and delete media files."""

    def __init__(self, client: AsyncModellix) -> None:
        self._client = client

    async def upload(
        self, file: str | LocalFile, *, filename: str | None = None, content_type: str | None = None
    ) -> common_api.MediaFile:
        """Upload one PNG/JPEG/WebP file (at most 16 MiB, checked first); sent once, never re-sent."""
        call = common_api.upload_call(file, filename=filename, content_type=content_type)
        return common_api.parse_media_file(await self._client._transport.send(call))

    async def list(self, limit: int | None = None) -> list[common_api.MediaFile]:
        return common_api.parse_media_list(await self._client._transport.send(common_api.list_media_call(limit)))

    async def delete(self, file_id: str) -> None:
        await self._client._transport.send(common_api.delete_media_call(file_id))
