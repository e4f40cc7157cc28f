"""``Modellix``, the synchronous client: submit, poll, wait, batch, download, common API."""

from __future__ import annotations

import logging
import threading
import time
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
from .batch import resume_batch, run_batch
from .download import download_sync
from .limiter import Limiter
from .task import Task
from .transport import SyncTransport

if TYPE_CHECKING:
    from ..journal import Journal
logger = logging.getLogger("modellix_typed")


class Modellix(ClientBase):
    """Synchronous client. Use as a context manager (or call :meth:`close`).

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
        http_client: httpx.Client | None = None,
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
        self._transport = SyncTransport(core.config, core.retry_policy, http_client)
        # limiter: where the team's slots are counted ("local", file:///path, redis://...; see .slots)
        self._limiter = Limiter(core.config.max_concurrency, keeper_for(limiter, core.config.api_key))
        core.on_rate_limited = self._limiter.rate_limited
        core.poll_stats = resolve_poll_stats(poll_stats)
        self.tasks = Tasks(self)
        self.media = Media(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()
        self._limiter.close()

    def submit(
        self,
        request: RequestLike,
        data: Mapping[str, Any] | None = None,
        *,
        validate: bool = True,
        journal: JournalPath | Journal | None = None,
    ) -> Task:
        """POST once (waiting for a free slot first); returns a :class:`Task` handle.

        ``submit("provider/model-id", {...}, validate=False)`` sends a body unvalidated (a raw call).
        ``journal=``: the intent is recorded before the POST and the task id after (see :meth:`batch`), so
        :meth:`resume` finishes the task if this process dies; pass an open
        :class:`~modellix_typed.journal.Journal` to record its ``done``/``saved`` events yourself.
        """
        prepared = prepare(request, data, validate=validate)
        with open_journal(journal, prepared) as book:
            return self._post(prepared, book)

    def _post(self, prepared: Prepared, book: Journal | None, deadline: float | None = None) -> Task:
        """The paid POST, recorded before and after in ``book`` when there is one; ``deadline``: a run's."""
        if book is None:
            return self._submit(prepared, deadline=deadline)
        return book.post(0, lambda: self._submit(prepared, deadline=deadline), task_id_of)

    def _submit(self, prepared: Prepared, slot: Slot | None = None, deadline: float | None = None) -> Task:
        """POST once, holding ``slot`` (one the caller took, e.g. a batch that must stay interruptible)."""
        self.config.require_key()
        if slot is None:
            slot = self._limiter.acquire()
            assert slot is not None
        try:
            calls = self._core.submit_calls(prepared, deadline)
            for index, call in enumerate(calls):
                try:
                    reply = self._transport.send_reply(call)
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
        return Task(task_id, prepared.slug, submitted_at, prepared.task_type, client=self)

    def run(
        self,
        request: RequestLike,
        data: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        validate: bool = True,
        journal: JournalPath | Journal | None = None,
    ) -> TaskResult:
        """Submit and wait: the successful result, or TaskFailed / TaskTimeout / an API error.

        The caller never holds the task handle, so a wait that gives up frees the slot here; otherwise a few
        timed-out runs would block every later submit. (If the task still runs server-side, a later 429 is a
        definite rejection and is retried safely.) Resume with ``client.tasks.wait(error.task_id)``.

        With ``journal=PATH`` the submission is journaled first (see :meth:`batch`): a killed process is
        finished by :meth:`resume` without paying twice.
        """
        check_timeout(timeout)  # before the paid POST: a bad argument must not cost a task
        deadline = run_deadline(timeout)  # the POST and the wait share the run's timeout
        prepared = prepare(request, data, validate=validate)
        with open_journal(journal, prepared) as book:
            task = self._post(prepared, book, deadline)
            try:
                result = task.wait(timeout=rest_of(timeout, deadline), on_update=on_update)
            except BaseException as exc:
                task.release()
                journal_finished(book, task.task_id, exc)
                raise
            journal_finished(book, task.task_id, None)
            return result

    def batch(
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
        """Run many requests with full slots; one outcome per input, in input order, never raising per item.

        Ctrl+C stops it promptly with nothing more submitted; the KeyboardInterrupt carries the outcomes so far
        as ``exc.outcomes`` (see :mod:`modellix_typed.batch`). With ``journal=PATH`` (a new file) every
        input's intent, each POST and each task id is recorded durably (:mod:`modellix_typed.journal`), so a
        killed batch is finished by :meth:`resume`. ``download=DIR`` saves each success's files there as
        soon as it finishes (a failed download is an ``error`` outcome that keeps the result). ``stop_on_unknown``: after a
        submission whose outcome is unknown, send nothing more (the rest are "skipped"; running tasks are still
        waited on).
        """

        return run_batch(
            self, requests, max_concurrency=max_concurrency, timeout=timeout, on_progress=on_progress,
            journal=journal, download=download, stop_on_unknown=stop_on_unknown,
        )

    def resume(
        self,
        journal: JournalPath | Journal,
        *,
        resubmit_unknown: bool = False,
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
        unless ``resubmit_unknown=True`` (that may pay twice). Holds the journal's lock while it runs: a
        second resume of the same file raises :class:`~modellix_typed.journal.JournalLocked`.
        """

        return resume_batch(
            self, journal, resubmit_unknown=resubmit_unknown, download=download,
            max_concurrency=max_concurrency, timeout=timeout, on_progress=on_progress,
        )

    def download(
        self, result: TaskResult, folder: str | Path, *, max_bytes: int | None = None, overwrite: bool = False
    ) -> list[Path]:
        """Save every resource of ``result`` into ``folder`` atomically; returns the paths."""
        return download_sync(
            self._transport.open_http(),
            result,
            Path(folder),
            max_bytes=max_bytes,
            overwrite=overwrite,
            timeout=self._core.download_timeout(),
        )

    # -- common API -----------------------------------------------------------------------------------------

    def models(self) -> list[common_api.ModelInfo]:
        return common_api.parse_models(self._transport.send(common_api.models_call()))

    def validate_key(self) -> bool:
        """True when the server accepts the key (a 401 counts as invalid, not as an error)."""
        try:
            return common_api.parse_validate_key(self._transport.send(common_api.validate_key_call()))
        except AuthenticationError:
            return False

    def balance(self) -> Decimal:
        return common_api.parse_balance(self._transport.send(common_api.balance_call()))


class Tasks:
    """``client.tasks``: read and wait on tasks by id (including tasks from an earlier process)."""

    def __init__(self, client: Modellix) -> None:
        self._client = client

    def _fetch(self, task_id: str, *, retries: bool, deadline: float | None = None) -> TaskResult:
        core = self._client._core
        call = core.poll_call(task_id, retries=retries, deadline=deadline)
        result = core.parse_result(self._client._transport.send(call), task_id, call)
        core.observe(task_id, result, self._client._limiter)
        return result.bind(self._client.download)

    def get(self, task_id: str) -> TaskResult:
        """One status read (retried on 429/5xx/network errors)."""
        return self._fetch(task_id, retries=True)

    def wait(
        self,
        task_id: str,
        *,
        timeout: float | None = None,
        on_update: OnUpdate | None = None,
        task_type: str | None = None,
        poll_first: bool = True,
    ) -> TaskResult:
        """Poll until success/failed or the deadline (TaskTimeout carries the id: call wait again to resume)."""
        return self._wait(task_id, timeout, on_update, task_type, poll_first, stop=None)

    def _wait(
        self,
        task_id: str,
        timeout: float | None,
        on_update: OnUpdate | None,
        task_type: str | None,
        poll_first: bool,
        stop: threading.Event | None,
    ) -> TaskResult:
        """:meth:`wait`, giving up early (TaskTimeout, resumable) once ``stop`` is set: an interrupted batch."""
        limiter = self._client._limiter
        state = self._client._core.wait_state(
            task_id, timeout, on_update, task_type, poll_first, urgent=lambda: limiter.waiting > 0
        )
        delay = state.first_delay
        while True:
            if stop is not None and stop.wait(delay):
                raise state.timeout()
            if stop is None and delay > 0:
                time.sleep(delay)
            try:
                result = self._fetch(task_id, retries=False, deadline=state.deadline)
            except ModellixError as exc:
                delay = state.on_error(exc)
                continue
            verdict = state.on_result(result)
            if isinstance(verdict, TaskResult):
                return verdict
            delay = verdict


class Media:
    """``client.media``: upload (never auto-replayed), list and delete media files."""

    def __init__(self, client: Modellix) -> None:
        self._client = client

    def upload(
        self, file: str | Path | bytes, *, filename: str | None = None, content_type: str | None = None
    ) -> common_api.MediaFile:
        call = common_api.upload_call(file, filename=filename, content_type=content_type)
        return common_api.parse_media_file(self._client._transport.send(call))

    def list(self, limit: int | None = None) -> list[common_api.MediaFile]:
        return common_api.parse_media_list(self._client._transport.send(common_api.list_media_call(limit)))

    def delete(self, file_id: str) -> None:
        self._client._transport.send(common_api.delete_media_call(file_id))
