"""Progress on stderr: the task id at once, then what a wait is doing; a bar while a batch runs.

Waiting on one task (``run``, ``task wait ID``) always tells stderr which task it is (``submitted SLUG as
TASK_ID``) the moment it is known, whatever the output mode: the id of a paid task is never only in a
history file. Then, unless ``--no-progress``:

- stderr is a terminal (and ``CI`` is not set): one live line, ``task ID: STATUS 12s``, rewritten in place
  every half second and cleared at the end;
- otherwise (CI logs, pipes, files): one line per status change and a heartbeat every ``--heartbeat``
  seconds (default 30; 0: none) with the elapsed time, so a long video is never minutes of silence.

Nothing of this touches stdout: ``--json`` and ``--quiet`` output stays one clean document or value list.
The batch bar only needs stderr to be a terminal.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from .output import MODE, in_ci

if TYPE_CHECKING:
    from .._core.batch_book import BatchProgress

HEARTBEAT = 30.0  # seconds between two "still waiting" lines when stderr is not a terminal
LIVE_REFRESH = 0.5  # seconds between two redraws of the live line on a terminal


def _stderr_display() -> bool:
    """stderr may show a live display: a terminal, not CI, no --no-progress."""
    return MODE.progress and not in_ci() and sys.stderr.isatty()


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True, no_color=not MODE.color or in_ci() or None)


def elapsed_text(seconds: float) -> str:
    """``7s``, ``1m05s``, ``1h02m``: whole seconds, as a log reader counts them."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def announce(line: str) -> None:
    """One line on stderr, now (``submitted SLUG as TASK_ID``): never suppressed, it names a paid task."""
    from .safe_text import safe_text

    _write(sys.stderr, safe_text(line) + "\n")


_LOCK = threading.Lock()  # the waiting thread and the heartbeat thread share stderr


def _write(stream: TextIO, text: str) -> None:
    """Write and flush (server text in ``text`` was made safe by the caller)."""
    with _LOCK:
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must never stop a wait
            pass


class WaitDisplay:
    """What one task's wait shows on stderr: status changes, heartbeats or a live line (see the module)."""

    def __init__(self, task_id: str, *, started: float, heartbeat: float, live: bool) -> None:
        from .safe_text import safe_text

        self.task_id: str = safe_text(task_id)
        self.started = started
        self.heartbeat = heartbeat
        self.live = live
        self.status: str = "submitted"
        self.done: threading.Event = threading.Event()
        self.thread: threading.Thread | None = None

    def elapsed(self) -> str:
        return elapsed_text(time.monotonic() - self.started)

    def on_update(self, result: Any) -> None:
        """The ``on_update`` callback of a wait: called with each polled result."""
        from .safe_text import safe_text

        status = safe_text(str(result.raw_status))
        if status == self.status:
            return
        self.status = status
        if self.live:
            self._draw()
        else:
            _write(sys.stderr, f"task {self.task_id}: {status} after {self.elapsed()}\n")

    def _draw(self) -> None:
        _write(sys.stderr, f"\r\x1b[Ktask {self.task_id}: {self.status} {self.elapsed()}")

    def _tick(self) -> None:
        gap = LIVE_REFRESH if self.live else self.heartbeat
        while not self.done.wait(gap):
            if self.live:
                self._draw()
            else:
                _write(sys.stderr, f"task {self.task_id}: still {self.status} after {self.elapsed()}\n")

    def start(self) -> None:
        if self.live:
            self._draw()
        if self.live or self.heartbeat > 0:
            self.thread = threading.Thread(target=self._tick, name="modellix-progress", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join(timeout=1)
        if self.live:
            _write(sys.stderr, "\r\x1b[K")


@contextmanager
def task_progress(
    task_id: str, *, started: float | None = None, heartbeat: float | None = None
) -> Iterator[Callable[[Any], None] | None]:
    """Yields an ``on_update(result)`` callback for ``wait`` (None with ``--no-progress``)."""
    if not MODE.progress:
        yield None
        return
    display = WaitDisplay(
        task_id,
        started=time.monotonic() if started is None else started,
        heartbeat=HEARTBEAT if heartbeat is None else heartbeat,
        live=_stderr_display(),
    )
    display.start()
    try:
        yield display.on_update
    finally:
        display.stop()


@contextmanager
def batch_progress(total: int) -> Iterator[Callable[[BatchProgress], None] | None]:
    """Yields an ``on_progress`` callback for ``client.batch`` (called from worker threads), or None."""
    if not _stderr_display():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[ok]} succeeded[/] [red]{task.fields[bad]} failed[/]"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_console(), transient=False) as bar:
        row = bar.add_task("batch", total=total, ok=0, bad=0)

        def on_progress(progress: BatchProgress) -> None:
            ok = progress.counts.get("success", 0)
            bar.update(row, completed=progress.done, ok=ok, bad=progress.done - ok)

        yield on_progress
