"""The evidence of one scenario: what the caller saw (ledger) and which paid POSTs went over the wire."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import httpx

from modellix_typed.errors import ModellixError

from .media_check import media_problem

if TYPE_CHECKING:
    from modellix_typed.client import Modellix

# Answers to a paid POST after which the server certainly created nothing: a repeat cannot double-charge.
DEFINITE_REJECTIONS = frozenset({400, 401, 402, 403, 404, 409, 413, 422, 429})


@attrs.define
class CallerLedger:
    """Every task the caller learned of and its fate, plus every error raised to the caller."""

    # task_id -> "saved" | "<ErrorClass>" | "not downloaded" | "corrupt file" | "untyped <Class>"
    fates: dict[str, str] = attrs.field(factory=dict)
    errors: list[ModellixError] = attrs.field(factory=list)
    untyped: list[BaseException] = attrs.field(factory=list)
    files: list[Path] = attrs.field(factory=list)
    bad_files: list[str] = attrs.field(factory=list)
    notes: list[str] = attrs.field(factory=list)  # contract breaches seen while driving (batch shape...)
    sync_client: Modellix | None = None  # kept only to unstick a hung session (workload._unstick)
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def error(self, exc: ModellixError, task_id: str | None = None) -> None:
        task_id = task_id or _task_id_of(exc)
        with self.lock:
            self.errors.append(exc)
            if task_id:
                self.fates[task_id] = type(exc).__name__

    def escaped(self, exc: BaseException, task_id: str | None = None) -> None:
        with self.lock:
            self.untyped.append(exc)
            if task_id:
                self.fates[task_id] = f"untyped {type(exc).__name__}"

    def saved(self, task_id: str, paths: Sequence[Path]) -> None:
        """A download returned: the task counts as saved only if every file is real media."""
        problems = [(path, media_problem(path)) for path in paths]
        with self.lock:
            self.files.extend(paths)
            self.bad_files += [f"{path.name}: {problem}" for path, problem in problems if problem]
            ok = bool(paths) and not any(problem for _, problem in problems)
            self.fates[task_id] = "saved" if ok else "corrupt file"


def _task_id_of(exc: BaseException) -> str | None:
    value = getattr(exc, "task_id", None)
    return value if isinstance(value, str) and value else None


# --- what went over the wire ----------------------------------------------------------------------------


class WireObserver:
    """httpx event hooks: each paid POST attempt (by body hash) with its HTTP status, and result downloads.

    Result files live on other hosts in production, so a download carrying the Authorization header is a
    key leak even though the emulator serves files from the API origin.
    """

    def __init__(self) -> None:
        self.attempts: dict[str, list[int | None]] = {}
        self.downloads = 0
        self.downloads_with_key = 0
        self._open: dict[int, tuple[str, int]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _is_submit(request: httpx.Request) -> bool:
        path = request.url.path
        return request.method == "POST" and path.startswith("/api/v1/") and not path.startswith("/api/v1/media")

    def on_request(self, request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path.startswith("/files/"):
            with self._lock:
                self.downloads += 1
                self.downloads_with_key += "authorization" in request.headers
            return
        if not self._is_submit(request):
            return
        digest = hashlib.sha256(request.content).hexdigest()
        with self._lock:
            tries = self.attempts.setdefault(digest, [])
            tries.append(None)  # no response (yet): stays None if the connection fails
            self._open[id(request)] = (digest, len(tries) - 1)

    def on_response(self, response: httpx.Response) -> None:
        with self._lock:
            entry = self._open.pop(id(response.request), None)
            if entry is not None:
                self.attempts[entry[0]][entry[1]] = response.status_code

    async def aon_request(self, request: httpx.Request) -> None:
        self.on_request(request)

    async def aon_response(self, response: httpx.Response) -> None:
        self.on_response(response)

    def total(self) -> int:
        return sum(len(t) for t in self.attempts.values())

    def resubmits_after_ambiguous(self) -> int:
        """POST attempts sent again for a body whose earlier attempt may have created a task."""
        repeats = 0
        for tries in self.attempts.values():
            for index, status in enumerate(tries):
                if status not in DEFINITE_REJECTIONS:
                    repeats += len(tries) - index - 1
                    break
        return repeats

    def count_status(self, status: int) -> int:
        return sum(t.count(status) for t in self.attempts.values())
