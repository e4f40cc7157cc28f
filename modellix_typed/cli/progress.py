"""Progress while waiting on a task: a rich spinner on stderr, only when stdout and stderr are terminals."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .output import MODE


def enabled() -> bool:
    return not MODE.json and sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def task_progress(what: str) -> Iterator[Any]:
    """Yields an ``on_update(result)`` callback for ``wait``; a no-op when progress is disabled."""
    if not enabled():
        yield None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(f"{what}: submitted") as status:

        def on_update(result: Any) -> None:
            status.update(f"{what}: {result.status.value}")

        yield on_update
