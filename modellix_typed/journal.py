"""A crash-safe record of a batch (or a single run), so a killed process can resume without paying twice.

JSON Lines, one event per line, each appended with a single write and fsynced before the caller goes on:

- ``batch``: the header (format version, number of inputs, the download folder if any);
- ``intent``: one per input, all written before the first POST (index, slug, documented path, task type, the sha256
  of the exact bytes sent, the body itself and the ``x-request-id`` its POST carries);
- ``sending``: written right before that input's paid POST;
- ``task`` (its task id), ``unknown`` (the POST may have created a task), ``rate_limited`` (a 429: nothing was
  created, resent by a resume only when asked) or ``rejected`` (the server definitely refused it, nothing was
  created): right after the POST;
- ``done`` (``success`` or ``failed``) when the task is seen finished, ``saved`` with the files written.

Reading it back, an input with an intent but no ``sending`` was never sent (resume submits it); one with
``sending`` but no task id may have been accepted (resume reports it as outcome unknown unless told to
resubmit). A torn last line (the process died mid-write) is ignored and cut off before anything is appended.
While open, the journal holds an exclusive lock: a second batch or resume on the same file fails at once
with :class:`JournalLocked` instead of racing the first.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs

from .errors import APIError, ClientClosed, ConfigurationError, RateLimited, TaskFailed
from .fileio import fsync_dir, lock, unlock

FORMAT_VERSION = 1
T = TypeVar("T")


class JournalError(ConfigurationError):
    """The journal cannot be used: missing, not a journal, corrupt, or already holding another batch."""


class JournalLocked(JournalError):
    """Another process (or another batch in this one) is using the journal right now."""


class Submission(Protocol):
    """What the journal needs to know about one prepared request (``client.Prepared`` fits)."""

    @property
    def slug(self) -> str: ...

    @property
    def task_type(self) -> str | None: ...

    @property
    def documented_path(self) -> str | None: ...

    @property
    def content(self) -> bytes: ...

    @property
    def request_id(self) -> str: ...


@attrs.define
class Entry:
    """Everything the journal says about one input."""

    index: int
    slug: str
    documented_path: str | None  # the doc page's path (the client may try it after a 404)
    task_type: str | None
    sha256: str
    body: Any
    label: dict[str, Any] | None = None  # the caller's own reference (the CLI: input line number and id)
    request_id: str | None = None  # the x-request-id of this intent's POST (None in journals written before it)
    sending: bool = False
    task_id: str | None = None
    unknown: str | None = None  # why the POST's outcome is unknown
    rejected: str | None = None  # the server's definite refusal (nothing was created)
    rate_limited: str | None = None  # a 429 answered the POST (nothing was created; resend only when asked)
    final: str | None = None  # "success" / "failed"
    error: str | None = None  # the failure message of a failed task
    files: list[str] = attrs.Factory(list)

    @property
    def state(self) -> str:
        """``task`` / ``unknown`` / ``rate_limited`` / ``rejected`` / ``never_sent``: what resume does with it."""
        if self.task_id is not None:
            return "task"
        if self.rate_limited is not None:
            return "rate_limited"
        if self.rejected is not None:
            return "rejected"
        if self.sending or self.unknown is not None:
            return "unknown"
        return "never_sent"


def _sha256(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


class Journal:
    """An open, locked journal. Every append is one write plus fsync; thread-safe."""

    def __init__(self, path: Path, fd: int, header: dict[str, Any], entries: dict[int, Entry]) -> None:
        self.path = path
        self._fd = fd
        self.header: dict[str, Any] = header
        self.entries = entries
        self._lock = threading.Lock()
        self._download: str | None = None
        self._labels: Sequence[Mapping[str, Any]] | None = None

    # -- opening -------------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        download: str | os.PathLike[str] | None = None,
        labels: Sequence[Mapping[str, Any]] | None = None,
    ) -> Journal:
        """A new journal, locked; :meth:`start` records the inputs. Refuses a file that already holds one.

        ``download``: the folder results are saved into (a later resume saves there by default);
        ``labels``: the caller's own reference for each input (kept in its intent, e.g. a line number).
        """
        target = Path(path)
        journal = cls._open(target)
        if journal.header or os.fstat(journal._fd).st_size:
            journal.close()
            raise JournalError(
                f"journal {str(target)!r} already records a batch: resume it (`client.resume({str(target)!r})` / "
                "`modellix-typed batch resume FILE`) or choose a new file"
            )
        journal._download = None if download is None else str(download)
        journal._labels = labels
        return journal

    def start(self, items: Iterable[Submission], labels: Sequence[Mapping[str, Any]] | None = None) -> None:
        """Record the header and every input's intent, durably, before the first POST (once per journal)."""
        if self.header:
            raise JournalError(f"journal {str(self.path)!r} already records a batch")
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        items = list(items)
        labels = self._labels if labels is None else labels
        header = {"event": "batch", "version": FORMAT_VERSION, "items": len(items), "download": self._download,
                  "created": now}
        lines = [header]
        for index, item in enumerate(items):
            body = json.loads(item.content) if item.content else None
            label = dict(labels[index]) if labels is not None else None
            entry = Entry(index, item.slug, item.documented_path, item.task_type, _sha256(item.content), body, label,
                          item.request_id)
            self.entries[index] = entry
            lines.append({"event": "intent", "index": index, "slug": item.slug, "documented_path": item.documented_path,
                          "task_type": item.task_type, "sha256": entry.sha256, "body": body, "label": label,
                          "request_id": item.request_id})
        self._append(lines)
        self.header = header
        fsync_dir(self.path.parent)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Journal:
        """An existing journal, replayed and locked (a torn last line is cut off)."""
        target = Path(path)
        if not target.is_file():
            raise JournalError(f"journal {str(target)!r}: no such file")
        journal = cls._open(target)
        if not journal.header:
            journal.close()
            raise JournalError(f"journal {str(target)!r}: empty or not a modellix-typed journal")
        return journal

    @classmethod
    def _open(cls, target: Path) -> Journal:
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            raise JournalError(f"journal {str(target)!r} cannot be opened: {exc.strerror}") from None
        if not lock(fd, wait=False):
            os.close(fd)
            raise JournalLocked(
                f"journal {str(target)!r} is in use by another batch or resume (it holds the journal's lock); "
                "wait for it to finish"
            )
        try:
            header, entries, good = _replay(target, _read_all(fd))
            if good != os.fstat(fd).st_size:
                os.ftruncate(fd, good)  # a torn last line: appends must start on a fresh line
                os.fsync(fd)
        except BaseException:
            unlock(fd)
            os.close(fd)
            raise
        return cls(target, fd, header, entries)

    def close(self) -> None:
        with self._lock:
            if self._fd < 0:
                return
            unlock(self._fd)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events --------------------------------------------------------------------------------------------

    def _append(self, records: list[dict[str, Any]]) -> None:
        data = b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for r in records)
        with self._lock:
            if self._fd < 0:
                raise JournalError(f"journal {str(self.path)!r} is closed")
            os.lseek(self._fd, 0, os.SEEK_END)
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)

    def _event(self, event: str, index: int, **fields: Any) -> None:
        self._append([{"event": event, "index": index, **fields}])
        _apply(self.entries[index], event, fields)

    def post(self, index: int, send: Callable[[], T], task_id_of: Callable[[T], str]) -> T:
        """Run the paid POST ``send`` for input ``index``, journaled before and after."""
        self._event("sending", index)
        try:
            value = send()
        except BaseException as exc:
            self.post_failed(index, exc)
            raise
        self._event("task", index, task_id=task_id_of(value))
        return value

    async def post_async(self, index: int, send: Callable[[], Awaitable[T]], task_id_of: Callable[[T], str]) -> T:
        """:meth:`post` for the async client."""
        self._event("sending", index)
        try:
            value = await send()
        except BaseException as exc:
            self.post_failed(index, exc)
            raise
        self._event("task", index, task_id=task_id_of(value))
        return value

    def post_failed(self, index: int, error: BaseException) -> None:
        """An API error answer, or a client refusing before sending, means nothing was created; anything
        else (no answer, a broken one, an interrupt mid-POST) may have created a task."""
        reason = f"{type(error).__name__}: {error}"
        if isinstance(error, RateLimited):
            self._event("rate_limited", index, error=reason, retry_after=error.retry_after, reset_at=error.reset_at)
            return
        nothing_sent = isinstance(error, (APIError, ConfigurationError, ClientClosed))
        self._event("rejected" if nothing_sent else "unknown", index, error=reason)

    def finished(self, index: int, task_id: str, error: BaseException | None) -> None:
        """The wait's verdict: ``done`` for a success (no error) or a failed task; nothing for a timeout."""
        if error is None:
            self._event("done", index, task_id=task_id, status="success", error=None)
        elif isinstance(error, TaskFailed):
            self._event("done", index, task_id=task_id, status="failed", error=error.message)

    def saved(self, index: int, task_id: str, files: Iterable[Path]) -> None:
        self._event("saved", index, task_id=task_id, files=[str(f) for f in files])


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _replay(path: Path, data: bytes) -> tuple[dict[str, Any], dict[int, Entry], int]:
    """Header, entries and the length of the intact part (everything but a torn last line)."""
    header: dict[str, Any] = {}
    entries: dict[int, Entry] = {}
    good = data.rfind(b"\n") + 1
    for number, raw in enumerate(data[:good].splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            event = record.get("event")
            if number == 1:
                if event != "batch" or record.get("version") != FORMAT_VERSION:
                    raise ValueError(f"expected a version {FORMAT_VERSION} 'batch' header")
                header = record
            elif event == "intent":
                index = record["index"]
                entries[index] = Entry(index, record["slug"], record.get("documented_path"), record.get("task_type"),
                                       record["sha256"], record.get("body"), record.get("label"),
                                       record.get("request_id"))
            else:
                _apply(entries[record["index"]], event, record)
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"unknown input {exc}" if isinstance(exc, KeyError) else str(exc)
            raise JournalError(f"journal {str(path)!r} line {number} is corrupt ({problem})") from None
    return header, entries, good


def _apply(entry: Entry, event: Any, fields: Mapping[str, Any]) -> None:
    if event == "sending":
        entry.sending, entry.rejected, entry.rate_limited = True, None, None
    elif event == "task":
        entry.task_id = str(fields["task_id"])
    elif event == "unknown":
        entry.unknown = str(fields.get("error") or "the process stopped during the POST")
    elif event == "rejected":
        entry.rejected = str(fields.get("error") or "rejected")
        entry.sending = False  # a later resume may send it again: nothing was created
    elif event == "rate_limited":
        entry.rate_limited = str(fields.get("error") or "rate limited")
        entry.sending = False  # nothing was created; a resume resends it only when asked
    elif event == "done":
        entry.final, entry.error = str(fields["status"]), fields.get("error")
    elif event == "saved":
        entry.files = [str(f) for f in fields["files"]]
    else:
        raise ValueError(f"unknown event {event!r}")
