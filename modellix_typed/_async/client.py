"""``AsyncModellix``, the asynchronous client: the same API as ``Modellix`` with awaitable methods."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Iterable, Mapping
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
from .._core.deadline import rest_of, run_deadline
from .._core.limiter_book import Slot
from .._core.prepare import Prepared, RequestLike, prepare
from .._core.wait import OnUpdate, task_id_of
from ..config import DEFAULT_MAX_CONCURRENCY, Timeouts
from ..errors import (
    AuthenticationError,
    ModellixError,
    NotFound,
)
from ..polling import PollPolicy, check_timeout
from ..pollstats import PollStatsSetting
from ..pollstats import resolve as resolve_poll_stats
from ..results import TaskResult
from ..retry import DEFAULT_MAX_RETRIES, RetryPolicy
from ..slots import SlotStore, keeper_for
from .batch import resume_batch_async, run_batch_async
from .download import download_async
from .limiter import AsyncLimiter
from .task import AsyncTask
from .transport import AsyncTransport

if TYPE_CHECKING:
    from ..journal import Journal
logger = logging.getLogger("modellix_typed")


class AsyncModellix(ClientBase):
    """Asynchronous client: the same API as :class:`Modellix`, with awaitable methods."""

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
        self.tasks = AsyncTasks(self)
        self.media = AsyncMedia(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()
        self._limiter.close()

    async def submit(
        self,
        request: RequestLike,
        data: Mapping[str, Any] | None = None,
        *,
        validate: bool = True,
        journal: JournalPath | Journal | None = None,
    ) -> AsyncTask:
        """Like :meth:`Modellix.submit`."""
        prepared = prepare(request, data, validate=validate)
        with open_journal(journal, prepared) as book:
            return await self._post(prepared, book)

    async def _post(self, prepared: Prepared, book: Journal | None, deadline: float | None = None) -> AsyncTask:
        """Like :meth:`Modellix._post`."""
        if book is None:
            return await self._submit(prepared, deadline=deadline)
        return await book.post_async(0, lambda: self._submit(prepared, deadline=deadline), task_id_of)

    async def _submit(self, prepared: Prepared, slot: Slot | None = None, deadline: float | None = None) -> AsyncTask:
        """POST once, holding ``slot`` (one the caller took, e.g. a batch that shields the POST itself)."""
        self.config.require_key()
        if slot is None:
            slot = await self._limiter.acquire()
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
        return AsyncTask(task_id, prepared.slug, submitted_at, prepared.task_type, client=self)

    async def run(
        self,
        request: RequestLike,
        data: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        validate: bool = True,
        journal: JournalPath | Journal | None = None,
    ) -> TaskResult:
        """Submit and wait; like :meth:`Modellix.run`, a wait that gives up frees the task's slot."""
        check_timeout(timeout)
        deadline = run_deadline(timeout)  # the POST and the wait share the run's timeout
        prepared = prepare(request, data, validate=validate)
        with open_journal(journal, prepared) as book:
            task = await self._post(prepared, book, deadline)
            try:
                result = await task.wait(timeout=rest_of(timeout, deadline), on_update=on_update)
            except BaseException as exc:
                task.release()
                journal_finished(book, task.task_id, exc)
                raise
            journal_finished(book, task.task_id, None)
            return result

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
    ) -> list[BatchOutcome]:
        """Like :meth:`Modellix.batch`; cancelling it submits nothing more (``CancelledError.outcomes``).

        ``on_progress`` may be a plain function or an ``async def`` (awaited before the next report).
        """

        return await run_batch_async(
            self, requests, max_concurrency=max_concurrency, timeout=timeout, on_progress=on_progress,
            journal=journal, download=download, stop_on_unknown=stop_on_unknown,
        )

    async def resume(
        self,
        journal: JournalPath | Journal,
        *,
        resubmit_unknown: bool = False,
        download: str | Path | None = None,
        max_concurrency: int | None = None,
        timeout: float | None = None,
        on_progress: OnProgress | None = None,
    ) -> list[BatchOutcome]:
        """Like :meth:`Modellix.resume`."""

        return await resume_batch_async(
            self, journal, resubmit_unknown=resubmit_unknown, download=download,
            max_concurrency=max_concurrency, timeout=timeout, on_progress=on_progress,
        )

    async def download(
        self, result: TaskResult, folder: str | Path, *, max_bytes: int | None = None, overwrite: bool = False
    ) -> list[Path]:
        return await download_async(
            self._transport.open_http(),
            result,
            Path(folder),
            max_bytes=max_bytes,
            overwrite=overwrite,
            timeout=self._core.download_timeout(),
        )

    async def models(self) -> list[common_api.ModelInfo]:
        return common_api.parse_models(await self._transport.send(common_api.models_call()))

    async def validate_key(self) -> bool:
        try:
            return common_api.parse_validate_key(await self._transport.send(common_api.validate_key_call()))
        except AuthenticationError:
            return False

    async def balance(self) -> Decimal:
        return common_api.parse_balance(await self._transport.send(common_api.balance_call()))


class AsyncTasks:
    def __init__(self, client: AsyncModellix) -> None:
        self._client = client

    async def _fetch(self, task_id: str, *, retries: bool, deadline: float | None = None) -> TaskResult:
        core = self._client._core
        call = core.poll_call(task_id, retries=retries, deadline=deadline)
        result = core.parse_result(await self._client._transport.send(call), task_id, call)
        core.observe(task_id, result, self._client._limiter)
        return result

    async def get(self, task_id: str) -> TaskResult:
        return await self._fetch(task_id, retries=True)

    async def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        task_type: str | None = None,
        poll_first: bool = True,
    ) -> TaskResult:
        """Like :meth:`Tasks.wait`; ``on_update`` may be a plain function or an ``async def``."""
        limiter = self._client._limiter
        pending: list[Awaitable[Any]] = []

        def notify(result: TaskResult) -> None:
            # WaitState calls back synchronously; an async callback's awaitable is awaited right after.
            value = on_update(result) if on_update is not None else None
            if inspect.isawaitable(value):
                pending.append(value)

        state = self._client._core.wait_state(
            task_id, timeout, notify, task_type, poll_first, urgent=lambda: limiter.waiting > 0
        )
        delay = state.first_delay
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                result = await self._fetch(task_id, retries=False, deadline=state.deadline)
            except ModellixError as exc:
                delay = state.on_error(exc)
                continue
            try:
                verdict = state.on_result(result)
            finally:
                while pending:
                    await pending.pop(0)
            if isinstance(verdict, TaskResult):
                return verdict
            delay = verdict


class AsyncMedia:
    def __init__(self, client: AsyncModellix) -> None:
        self._client = client

    async def upload(
        self, file: str | Path | bytes, *, filename: str | None = None, content_type: str | None = None
    ) -> common_api.MediaFile:
        call = common_api.upload_call(file, filename=filename, content_type=content_type)
        return common_api.parse_media_file(await self._client._transport.send(call))

    async def list(self, limit: int | None = None) -> list[common_api.MediaFile]:
        return common_api.parse_media_list(await self._client._transport.send(common_api.list_media_call(limit)))

    async def delete(self, file_id: str) -> None:
        await self._client._transport.send(common_api.delete_media_call(file_id))
