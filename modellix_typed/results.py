"""Typed task results, parsed from ``GET /api/v1/tasks/{task_id}`` (and the submit response).

Parsing is tolerant: unknown fields are kept in ``raw``/``metadata``/``extensions`` rather than rejected,
so a server adding fields never breaks a client. Status words are read case-insensitively in every spelling
the live API and the official clients use; an unknown word counts as still running and is kept in
``raw_status``. Resources are found under ``data.result.resources`` or ``data.resources``, as objects with a
``url`` or as bare URL strings. Only a missing ``status`` or ``task_id`` is an error.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import logging
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import attrs

from .errors import TaskCancelled, TaskFailed

logger: logging.Logger = logging.getLogger("modellix_typed")


class Downloader(Protocol):
    """What a bound result calls to save its files (the sync client's ``download``)."""

    def __call__(self, result: TaskResult, folder: Path, *, max_bytes: int | None, overwrite: bool) -> list[Path]:
        ...


class AsyncDownloader(Protocol):
    """What a result bound to an async client awaits to save its files (its ``download``)."""

    def __call__(
        self, result: TaskResult, folder: Path, *, max_bytes: int | None, overwrite: bool
    ) -> Awaitable[list[Path]]: ...


# Retention when the server does not say: 7 days (modellix-plugin 04f4303 "correct result TTL to 7 days", dsh-modellix
# DEFAULT_RESULT_TTL_MS; the 24 h of older pages is superseded, see FACTS.md section 4).
RESULT_TTL = dt.timedelta(days=7)
EXPIRY_KEYS = ("result_expires_at", "expires_at", "expiresAt", "resultExpiresAt")  # where servers state expiry


def server_expiry(*places: Any) -> dt.datetime | None:
    """The first expiry stated in ``places`` (most specific first): epoch seconds, epoch milliseconds
    (numbers >= 1e11) or an ISO 8601 string, under one of :data:`EXPIRY_KEYS`."""
    for place in places:
        if not isinstance(place, Mapping):
            continue
        for key in EXPIRY_KEYS:
            when = parse_time(place.get(key))
            if when is not None:
                return when
    return None


class TaskStatus(str, enum.Enum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # a word no source documents: treated as still running (see ``raw_status``)

    @property
    def terminal(self) -> bool:
        return self in (TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELLED)


# Every status word seen in the docs, the live API and the official CLI (compared lower-cased).
STATUS_WORDS: Mapping[str, TaskStatus] = {
    "pending": TaskStatus.PENDING,
    "queued": TaskStatus.PENDING,
    "processing": TaskStatus.PROCESSING,
    "running": TaskStatus.PROCESSING,
    "success": TaskStatus.SUCCESS,
    "succeeded": TaskStatus.SUCCESS,
    "completed": TaskStatus.SUCCESS,
    "failed": TaskStatus.FAILED,
    "error": TaskStatus.FAILED,
    "canceled": TaskStatus.CANCELLED,
    "cancelled": TaskStatus.CANCELLED,
}
RESOURCE_PLACES = ("data.result.resources", "data.resources")


@attrs.frozen
class Resource:
    """One generated file. ``url`` is only valid until the result expires."""

    url: str
    type: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    role: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    # What the server says about this file's expiry (its own field, else the result's, else the task's).
    expires_at: dt.datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *outer: Mapping[str, Any]) -> Resource:
        """A resource object; ``outer`` (``data.result``, ``data``) supply an expiry the resource lacks."""
        known = {"url", "type", "width", "height", "format", "role"}
        return cls(
            url=str(data.get("url") or ""),
            type=opt_str(data.get("type")),
            width=_opt_int(data.get("width")),
            height=_opt_int(data.get("height")),
            format=opt_str(data.get("format")),
            role=opt_str(data.get("role")),
            extra={k: v for k, v in data.items() if k not in known},
            expires_at=server_expiry(data, *outer),
        )


@attrs.frozen
class TaskResult:
    """A snapshot of one task. ``resources`` is empty until ``status`` is ``success``."""

    task_id: str
    status: TaskStatus
    model_id: str | None = None
    duration_ms: int | None = None
    resources: tuple[Resource, ...] = ()
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    extensions: Mapping[str, Any] = attrs.field(factory=dict)
    error: str | None = None
    raw_status: str = attrs.field(default=attrs.Factory(lambda self: self.status.value, takes_self=True))
    fetched_at: dt.datetime = attrs.field(factory=lambda: dt.datetime.now(dt.timezone.utc), eq=False)
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    # The uploads this client made for the request's local files (run/batch; deleted after the task when
    # cleanup is on): ``MediaFile`` objects.
    uploads: tuple[Any, ...] = attrs.field(default=(), eq=False)
    _downloader: Downloader | AsyncDownloader | None = attrs.field(default=None, repr=False, eq=False, alias="downloader")

    @property
    def done(self) -> bool:
        return self.status.terminal

    @property
    def completed_at(self) -> dt.datetime | None:
        """``extensions.end_time`` when the server gave one."""
        return parse_time(self.extensions.get("end_time"))

    @property
    def server_expires_at(self) -> dt.datetime | None:
        """The expiry the server stated, most specific first: the earliest of the resources' own, else
        ``data.result``'s, else the task's (``result_expires_at``/``expires_at``); None when it said nothing."""
        own = [r.expires_at for r in self.resources if r.expires_at is not None]
        if own:
            return min(own)
        return server_expiry(self.raw.get("result"), self.raw)

    @property
    def expires_at_from_server(self) -> bool:
        """True when :attr:`expires_at` is the server's word, False when it is this client's estimate."""
        return self.server_expires_at is not None

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the result files disappear: the server's stated expiry (:attr:`server_expires_at`), else an
        estimate, 7 days (:data:`RESULT_TTL`) after the end time (or the submit time, or when first seen done);
        :attr:`expires_at_from_server` tells which."""
        stated = self.server_expires_at
        if stated is not None:
            return stated
        base = self.completed_at or parse_time(self.extensions.get("submit_time"))
        if base is None and self.status is TaskStatus.SUCCESS:
            base = self.fetched_at  # lower bound unknown: the task was already done when we saw it
        if base is None:
            return None
        try:
            return base + RESULT_TTL
        except OverflowError:  # a server's end_time in year 9999
            return None

    def download(self, folder: str | Path, *, max_bytes: int | None = None, overwrite: bool = False) -> list[Path]:
        """Save every resource into ``folder`` with the sync client that read this result."""
        if self._downloader is None or inspect.iscoroutinefunction(self._downloader):
            from .errors import ModellixError

            raise ModellixError(
                "this result is not bound to a sync client; use client.download(result, folder) "
                "(or, from an async client, `await result.adownload(folder)`)"
            )
        return cast(Downloader, self._downloader)(self, Path(folder), max_bytes=max_bytes, overwrite=overwrite)

    async def adownload(
        self, folder: str | Path, *, max_bytes: int | None = None, overwrite: bool = False
    ) -> list[Path]:
        """Save every resource into ``folder`` with the async client that read this result."""
        if self._downloader is None or not inspect.iscoroutinefunction(self._downloader):
            from .errors import ModellixError

            raise ModellixError(
                "this result is not bound to an async client; use `await client.download(result, folder)` "
                "(or, from a sync client, result.download(folder))"
            )
        downloader = cast(AsyncDownloader, self._downloader)
        return await downloader(self, Path(folder), max_bytes=max_bytes, overwrite=overwrite)

    def bind(self, downloader: Downloader | AsyncDownloader | None) -> TaskResult:
        """This result, its ``download`` (sync client) or ``adownload`` (async client) saving with ``downloader``."""
        return attrs.evolve(self, downloader=downloader)

    def failure(self) -> TaskFailed:
        """The typed error of a failed (TaskFailed) or cancelled (TaskCancelled) task."""
        cls = TaskCancelled if self.status is TaskStatus.CANCELLED else TaskFailed
        return cls(self.task_id, self.error or "", self)

    def keys_seen(self) -> str:
        """Where a success without resources looked: the keys of ``data`` and ``data.result`` it did get."""
        result = self.raw.get("result")
        inner = f", data.result keys {sorted(result)}" if isinstance(result, Mapping) else ""
        return f"data keys {sorted(self.raw)}{inner}"


def parse_status(raw_status: Any) -> TaskStatus:
    """A status word, any case -> :class:`TaskStatus` (UNKNOWN for a word no source uses). ValueError if absent."""
    if not isinstance(raw_status, str) or not raw_status.strip():
        raise ValueError(f"data.status: missing or not a non-empty string, got {raw_status!r}")
    return STATUS_WORDS.get(raw_status.strip().lower(), TaskStatus.UNKNOWN)


def find_resources(data: Mapping[str, Any]) -> tuple[Resource, ...]:
    """Resources under ``data.result.resources``, else ``data.resources``; objects with a url or bare URLs.

    Each carries the most specific expiry the server stated (its own, ``data.result``'s, the task's)."""
    result = data.get("result")
    outer = (result, data) if isinstance(result, Mapping) else (data,)
    items = result.get("resources") if isinstance(result, Mapping) else None
    if not isinstance(items, Sequence) or isinstance(items, str):
        items = data.get("resources")
    if not isinstance(items, Sequence) or isinstance(items, str):
        return ()
    found = []
    for item in items:
        if isinstance(item, str) and item.strip():
            found.append(Resource(url=item.strip(), expires_at=server_expiry(*outer)))
        elif isinstance(item, Mapping) and isinstance(item.get("url"), str) and item["url"]:
            found.append(Resource.from_dict(item, *outer))
    return tuple(found)


def parse_task(data: Mapping[str, Any], *, task_id: str | None = None, message: Any = None) -> TaskResult:
    """``data`` of a task response -> :class:`TaskResult`. Raises ValueError naming the bad field.

    ``message`` is the envelope's top-level message: a failed task's reason when ``data`` holds none.
    """
    tid = data.get("task_id") or task_id
    if not isinstance(tid, str) or not tid:
        raise ValueError(f"data.task_id: missing or not a string, got {data.get('task_id')!r}")
    raw_status = data.get("status")
    status = parse_status(raw_status)
    result = data.get("result")
    if not isinstance(result, Mapping):
        result = {}
    resources = find_resources(data)
    failed = status in (TaskStatus.FAILED, TaskStatus.CANCELLED)
    error = _error_text(data) if failed else None
    if failed and error is None and isinstance(message, str) and message.strip().lower() not in ("", "success"):
        error = message
    parsed = TaskResult(
        task_id=tid,
        status=status,
        model_id=opt_str(data.get("model_id")),
        duration_ms=_opt_int(data.get("duration")),
        resources=resources,
        metadata=_mapping(result.get("metadata")),
        extensions=_mapping(result.get("extensions")),
        error=error,
        raw_status=str(raw_status).strip(),
        raw=dict(data),
    )
    if status is TaskStatus.SUCCESS and not resources:
        logger.warning(
            "task %s succeeded but no resource URL was found in %s; %s",
            tid,
            " or ".join(RESOURCE_PLACES),
            parsed.keys_seen(),
        )
    elif status is TaskStatus.UNKNOWN:
        logger.info("task %s: status %r is not a known word; treated as still running", tid, raw_status)
    return parsed


def _error_text(data: Mapping[str, Any]) -> str | None:
    """No source documents a failed task's error fields; look where servers usually put them."""
    for key in ("error", "error_message", "message", "reason", "fail_reason"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping):
            msg = value.get("message") or value.get("detail")
            if isinstance(msg, str) and msg:
                return msg
    result = data.get("result")
    if isinstance(result, Mapping):
        return _error_text({k: v for k, v in result.items() if k != "result"})
    return None


def _mapping(value: Any) -> dict[str, Any]:
    """An object field as a dict; any other JSON type (a list, a number) is ignored (still in ``raw``)."""
    return dict(value) if isinstance(value, Mapping) else {}


def parse_time(value: Any) -> dt.datetime | None:
    """ISO 8601 string or epoch seconds/milliseconds (a number below 1e11 is seconds, as modellix-agent-canvas
    reads it; a string of digits too) -> aware datetime; None when absent, unparseable or out of the datetime
    range (a huge or non-finite number)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = value / 1000 if value >= 1e11 else value
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return None


def opt_str(value: Any) -> str | None:
    """A non-empty string, else None (tolerant parsing of optional text fields)."""
    return value if isinstance(value, str) and value else None


def _opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 30:
        return int(value)
    return None
