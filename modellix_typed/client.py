"""``Modellix`` (sync) and ``AsyncModellix`` (async): submit, poll, wait, batch, download, common API.

Both clients share :class:`ClientCore` (request preparation, response interpretation, policies); they
differ only in how they send, sleep and limit concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import inspect
import logging
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs
import httpx

from . import common_api
from .config import DEFAULT_MAX_CONCURRENCY, DOCUMENTED_PATH, ClientConfig, Timeouts
from .download import download_async, download_sync
from .errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidResponse,
    ModellixError,
    NotFound,
    SubmissionOutcomeUnknown,
    TaskIdMismatch,
)
from .limiter import AsyncLimiter, Limiter, Slot
from .polling import LearnedPlan, PollPolicy, check_timeout, policy_for
from .pollstats import PollStats, PollStatsSetting, completion_sample
from .pollstats import resolve as resolve_poll_stats
from .request import RequestModel, canonical_path, parse_slug
from .results import TaskResult, parse_task
from .retry import DEFAULT_MAX_RETRIES, RequestKind, RetryPolicy
from .slots import SlotStore, keeper_for
from .task import AsyncTask, Learn, OnUpdate, Task, WaitState
from .transport import AsyncTransport, Call, Reply, SyncTransport, data_of, encode_json

if TYPE_CHECKING:
    from .batch import BatchItem, BatchOutcome, JournalPath, OnProgress
    from .journal import Journal

logger = logging.getLogger("modellix_typed")

RequestLike = RequestModel | str


@attrs.frozen
class Prepared:
    """A validated (or, for raw calls, deliberately unvalidated) request, serialized once: the bytes hashed
    are the bytes sent. ``documented_path`` is the doc page's path (None for a model we have no page for)."""

    slug: str
    task_type: str | None
    provider: str
    model_id: str
    documented_path: str | None
    content: bytes


def prepare(request: RequestLike, data: Mapping[str, Any] | None = None, *, validate: bool = True) -> Prepared:
    """Validate (slug + dict via the registry) and serialize, before anything touches the network.

    ``validate=False`` with a slug sends ``data`` as is: the way to call a model added to Modellix after this
    package was generated (a known slug is still validated unless asked not to).
    """
    if isinstance(request, str):
        if data is None:
            raise ConfigurationError(f"submit({request!r}, data): the request body dict is missing")
        if not validate:
            return prepare_raw(request, data)
        from . import registry  # lazy: importing every model module is costly

        request = registry.validate(request, data)
    elif data is not None:
        raise ConfigurationError("submit(request, data): pass either a request object or a slug plus a dict")
    if not isinstance(request, RequestModel):
        raise TypeError(
            f"expected a generated request object (RequestModel) or a model slug, got {type(request).__name__}"
        )
    endpoint = type(request).ENDPOINT
    if endpoint.method.upper() != "POST":
        raise ConfigurationError(f"{endpoint.slug}: only POST model endpoints can be submitted, got {endpoint.method}")
    return Prepared(
        endpoint.slug,
        endpoint.task_type,
        endpoint.provider,
        endpoint.model_id,
        endpoint.documented_path,
        encode_json(request.to_dict()),
    )


def prepare_raw(slug: str, data: Mapping[str, Any]) -> Prepared:
    """An unvalidated body for any ``provider/model-id``; a known model keeps its documented path."""
    from . import registry

    try:
        provider, model_id = parse_slug(slug)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"submit({slug!r}, data): data must be a dict (a JSON object), got {type(data).__name__}")
    try:
        content = encode_json(data)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"submit({slug!r}, data): the body is not JSON-serializable ({exc})") from None
    try:
        entry: registry.CatalogEntry | None = registry.info(f"{provider}/{model_id}")
    except registry.UnknownModel:
        entry = None
    task_type = entry.task_type if entry is not None else None
    documented = entry.documented_path if entry is not None else None
    return Prepared(f"{provider}/{model_id}", task_type, provider, model_id, documented, content)


@contextlib.contextmanager
def _open_journal(path: JournalPath | Journal | None, prepared: Prepared) -> Iterator[Journal | None]:
    """A new journal for one run, or nothing (``journal=None``)."""
    if path is None:
        yield None
        return
    from .batch import _started

    with _started(path, [prepared]) as run:
        yield run.journal


def _journal_finished(book: Journal | None, task_id: str, error: BaseException | None) -> None:
    if book is not None:
        book.finished(0, task_id, error)


def _id_of(task: Task | AsyncTask) -> str:
    return task.task_id


class ClientCore:
    """Everything both clients decide without I/O."""

    def __init__(self, config: ClientConfig, retry_policy: RetryPolicy) -> None:
        self.config = config
        self.retry_policy = retry_policy
        self.task_types: dict[str, str | None] = {}
        self.learned_paths: dict[str, str] = {}  # slug -> the submit path that answered (after a 404 fallback)
        self.on_rate_limited: Callable[[float | None], None] | None = None  # the limiter hears of submit 429s
        self.poll_stats: PollStats | None = None  # learned completion times (set by the client)
        self.accepted_at: dict[str, tuple[str, float]] = {}  # task id -> (slug, monotonic time of the 2xx)

    @classmethod
    def resolve(
        cls,
        api_key: str | None,
        base_url: str | None,
        timeouts: Timeouts | None,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        poll_policy: PollPolicy | Mapping[str, PollPolicy] | None,
        max_concurrency: int,
        submit_path: str | None = None,
        legacy_path_fallback: bool = True,
        profile: str | None = None,
    ) -> ClientCore:
        """The constructor arguments of both clients -> checked settings (no I/O, no key required yet).

        A ``retry_policy`` wins over ``max_retries``; the config then reports the policy's count (one truth).
        """
        config = ClientConfig.resolve(
            api_key=api_key,
            base_url=base_url,
            timeouts=timeouts,
            max_retries=retry_policy.max_retries if retry_policy is not None else max_retries,
            max_concurrency=max_concurrency,
            poll_policy=poll_policy,
            submit_path=submit_path,
            legacy_path_fallback=legacy_path_fallback,
            profile=profile,
        )
        return cls(config, retry_policy if retry_policy is not None else RetryPolicy(max_retries=config.max_retries))

    def submit_calls(self, prepared: Prepared) -> list[Call]:
        """The POST to send, then (only after a 404, which created nothing) the one legacy path to try."""
        return [
            Call(
                "POST",
                path,
                kind=RequestKind.SUBMIT,
                content=prepared.content,
                slug=prepared.slug,
                on_rate_limited=self.on_rate_limited,
            )
            for path in self.submit_paths(prepared)
        ]

    def submit_paths(self, prepared: Prepared) -> list[str]:
        config = self.config
        canonical = canonical_path(prepared.provider, prepared.model_id)
        if config.submit_path == DOCUMENTED_PATH:
            return [prepared.documented_path or canonical]
        if config.submit_path is not None:
            quote = functools.partial(urllib.parse.quote, safe="")
            return [config.submit_path.format(provider=quote(prepared.provider), model_id=quote(prepared.model_id))]
        paths = [canonical]
        if config.legacy_path_fallback and prepared.documented_path not in (None, canonical):
            assert prepared.documented_path is not None
            paths.append(prepared.documented_path)
        learned = self.learned_paths.get(prepared.slug)
        return sorted(paths, key=lambda p: p != learned) if learned else paths

    def after_not_found(self, prepared: Prepared, calls: list[Call], index: int, error: NotFound) -> bool:
        """True when the next path is worth one try (a 404 to a POST means no task was created)."""
        if index + 1 >= len(calls):
            return False
        logger.warning(
            "%s: POST %s answered 404 (%s); trying the documented path %s once",
            prepared.slug,
            calls[index].path,
            error.message,
            calls[index + 1].path,
        )
        return True

    def path_worked(self, prepared: Prepared, call: Call, calls: list[Call]) -> None:
        """Log which path took the POST; a fallback that worked is tried first from now on (per client)."""
        if call is calls[0]:
            logger.debug("%s: submitted via %s", prepared.slug, call.path)
            return
        logger.warning("%s: submitted via %s; later submits of this model go there first", prepared.slug, call.path)
        self.learned_paths[prepared.slug] = call.path

    def accepted(self, reply: Reply, prepared: Prepared, call: Call) -> tuple[str, dt.datetime]:
        """The task id from a 2xx submit reply; anything unusable means the outcome is unknown."""
        payload = reply.payload
        data = payload.get("data")
        task_id = data.get("task_id") if isinstance(data, Mapping) else None
        if not isinstance(task_id, str) or not task_id.strip():
            excerpt = {"data": data} if isinstance(data, Mapping) else {"payload_keys": sorted(payload)}
            raise SubmissionOutcomeUnknown(
                "2xx reply without a usable data.task_id",
                slug=prepared.slug,
                body_sha256=call.body_sha256,
                status=reply.status,
                partial=excerpt,
            )
        self.task_types[task_id] = prepared.task_type
        self.accepted_at[task_id] = (prepared.slug, time.monotonic())
        logger.info("submitted %s as task %s", prepared.slug, task_id)
        return task_id, dt.datetime.now(dt.timezone.utc)

    def poll_call(self, task_id: str, *, retries: bool) -> Call:
        if not isinstance(task_id, str) or not task_id:
            raise ConfigurationError(f"task_id: must be a non-empty string, got {task_id!r}")
        return Call("GET", f"/api/v1/tasks/{urllib.parse.quote(task_id, safe='')}", retries=retries)

    def parse_result(self, payload: Mapping[str, Any], task_id: str, call: Call) -> TaskResult:
        data = data_of(payload, method=call.method, path=call.path)
        got = data.get("task_id")
        if isinstance(got, str) and got and got != task_id:
            raise TaskIdMismatch(task_id, got, method=call.method, path=call.path)
        try:
            return parse_task(data, task_id=task_id, message=payload.get("message"))
        except ValueError as exc:
            raise InvalidResponse(str(exc), method=call.method, path=call.path) from None

    def observe(self, task_id: str, result: TaskResult, limiter: Limiter | AsyncLimiter) -> None:
        """A task seen finished gives its slot back (the one place a poll frees a slot)."""
        if result.done:
            limiter.release(task_id=task_id)
            self.task_types.pop(task_id, None)
            self.accepted_at.pop(task_id, None)

    def wait_state(
        self,
        task_id: str,
        timeout: float | None,
        on_update: OnUpdate | None,
        task_type: str | None,
        poll_first: bool,
        urgent: Callable[[], bool] | None = None,
    ) -> WaitState:
        kind = task_type if task_type is not None else self.task_types.get(task_id)
        policy = policy_for(kind, self.config.poll_policies)
        plan, learn = self.learned(task_id, policy)
        return WaitState(
            task_id, policy, timeout, on_update, poll_first=poll_first, urgent=urgent, plan=plan, learn=learn
        )

    def learned(self, task_id: str, policy: PollPolicy) -> tuple[LearnedPlan | None, Learn | None]:
        """For a task submitted by this client: when its model's tasks usually finish, and how to learn
        from this one (both relative to the wait's start; history counts from the submission)."""
        stats, seen = self.poll_stats, self.accepted_at.get(task_id)
        if stats is None or seen is None:
            return None, None
        slug, accepted = seen
        key = f"{slug} {self.config.base_url}"  # an emulator's timings must not teach the live API's
        offset = time.monotonic() - accepted
        expected = stats.expected(key)
        plan = None
        if expected is not None:
            plan = LearnedPlan.around(policy, expected.low - offset, expected.typical, expected.high - offset)

        def learn(result: TaskResult, upper: float, lower: float | None) -> None:
            stats.record(key, completion_sample(result, upper + offset, None if lower is None else lower + offset))

        return plan, learn

    def download_timeout(self) -> httpx.Timeout:
        t = self.config.timeouts
        return httpx.Timeout(connect=t.connect, read=t.download_read, write=t.read, pool=t.connect)


class _ClientBase:
    """What the two clients share beyond :class:`ClientCore`: the settings view and a key-free repr."""

    _core: ClientCore

    @property
    def config(self) -> ClientConfig:
        return self._core.config

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"


class Modellix(_ClientBase):
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
        with _open_journal(journal, prepared) as book:
            return self._post(prepared, book)

    def _post(self, prepared: Prepared, book: Journal | None) -> Task:
        """The paid POST, recorded before and after in ``book`` when there is one."""
        return self._submit(prepared) if book is None else book.post(0, lambda: self._submit(prepared), _id_of)

    def _submit(self, prepared: Prepared, slot: Slot | None = None) -> Task:
        """POST once, holding ``slot`` (one the caller took, e.g. a batch that must stay interruptible)."""
        self.config.require_key()
        if slot is None:
            slot = self._limiter.acquire()
            assert slot is not None
        try:
            calls = self._core.submit_calls(prepared)
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
        prepared = prepare(request, data, validate=validate)
        with _open_journal(journal, prepared) as book:
            task = self._post(prepared, book)
            try:
                result = task.wait(timeout=timeout, on_update=on_update)
            except BaseException as exc:
                task.release()
                _journal_finished(book, task.task_id, exc)
                raise
            _journal_finished(book, task.task_id, None)
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
        from .batch import run_batch

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
        from .batch import resume_batch

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

    def _fetch(self, task_id: str, *, retries: bool) -> TaskResult:
        core = self._client._core
        call = core.poll_call(task_id, retries=retries)
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
                result = self._fetch(task_id, retries=False)
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


# --- async -------------------------------------------------------------------------------------------------


class AsyncModellix(_ClientBase):
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
        with _open_journal(journal, prepared) as book:
            return await self._post(prepared, book)

    async def _post(self, prepared: Prepared, book: Journal | None) -> AsyncTask:
        """Like :meth:`Modellix._post`."""
        if book is None:
            return await self._submit(prepared)
        return await book.post_async(0, lambda: self._submit(prepared), _id_of)

    async def _submit(self, prepared: Prepared, slot: Slot | None = None) -> AsyncTask:
        """POST once, holding ``slot`` (one the caller took, e.g. a batch that shields the POST itself)."""
        self.config.require_key()
        if slot is None:
            slot = await self._limiter.acquire()
        try:
            calls = self._core.submit_calls(prepared)
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
        prepared = prepare(request, data, validate=validate)
        with _open_journal(journal, prepared) as book:
            task = await self._post(prepared, book)
            try:
                result = await task.wait(timeout=timeout, on_update=on_update)
            except BaseException as exc:
                task.release()
                _journal_finished(book, task.task_id, exc)
                raise
            _journal_finished(book, task.task_id, None)
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
        from .batch import run_batch_async

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
        from .batch import resume_batch_async

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

    async def _fetch(self, task_id: str, *, retries: bool) -> TaskResult:
        core = self._client._core
        call = core.poll_call(task_id, retries=retries)
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
                result = await self._fetch(task_id, retries=False)
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
