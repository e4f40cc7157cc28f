"""Progress on stderr: a spinner while waiting on a task, a bar while a batch runs; never when not a terminal.

Neither shows with ``--no-progress`` or under CI (the ``CI`` variable). The task spinner needs stdout and
stderr to be terminals and no ``--json``/``--quiet``. The batch bar only needs stderr to be a terminal:
``batch --json > results.json`` is the usual way to run a batch, and the bar never touches stdout, so the
JSON document stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .output import MODE, in_ci

if TYPE_CHECKING:
    from .._core.batch_book import BatchProgress


def enabled() -> bool:
    return not MODE.json and not MODE.quiet and sys.stdout.isatty() and _stderr_display()


def _stderr_display() -> bool:
    """stderr may show a live display: a terminal, not CI, no --no-progress."""
    return MODE.progress and not in_ci() and sys.stderr.isatty()


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True, no_color=not MODE.color or in_ci() or None)


@contextmanager
def task_progress(what: str) -> Iterator[Any]:
    """Yields an ``on_update(result)`` callback for ``wait``; a no-op when progress is disabled."""
    if not enabled():
        yield None
        return
    from rich.markup import escape

    from .safe_text import safe_text

    console = _console()
    with console.status(f"{what}: submitted") as status:

        def on_update(result: Any) -> None:
            status.update(escape(safe_text(f"{what}: {result.raw_status}")))

        yield on_update


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
