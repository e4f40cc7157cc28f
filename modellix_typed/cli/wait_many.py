"""``task wait ID ID ...``: many tasks under one deadline, N polled at a time, partial results kept.

Each task is waited on by ``client.tasks.wait`` in a worker thread with what is left of the shared
deadline, so a task that finishes is reported even when others run past it. Ctrl+C stops the waits (the
tasks keep running server-side) and still reports what finished.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import attrs
import click

from ..errors import ModellixError, TaskFailed, TaskTimeout
from ..results import TaskResult
from .output import MODE, ExitCode, describe_error, dump, task_json
from .safe_text import safe_text

if TYPE_CHECKING:
    from .._sync.client import Modellix

# outcome -> (severity, exit code): the command exits with the code of the most severe one
SEVERITY: dict[str, tuple[int, ExitCode]] = {
    "success": (0, ExitCode.OK),
    "failed": (1, ExitCode.TASK_FAILED),
    "timeout": (2, ExitCode.TIMEOUT),
    "error": (3, ExitCode.ERROR),
}


@attrs.frozen
class Waited:
    task_id: str
    outcome: str  # success | failed | timeout | error
    result: TaskResult | None
    error: BaseException | None

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "outcome": self.outcome,
            "task": task_json(self.result) if self.result is not None else None,
            "error": describe_error(self.error)[1] if self.error is not None else None,
        }


@attrs.frozen
class WaitReport:
    items: list[Waited]
    interrupted: bool

    @property
    def unfinished(self) -> list[str]:
        return [w.task_id for w in self.items if w.outcome == "timeout"]

    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return max((SEVERITY[w.outcome] for w in self.items), default=(0, ExitCode.OK))[1]

    def report(self) -> None:
        counts = {kind: sum(w.outcome == kind for w in self.items) for kind in SEVERITY}
        if MODE.json:
            document = {
                "ok": self.exit_code() is ExitCode.OK,
                "tasks": [w.to_json() for w in self.items],
                "unfinished": self.unfinished,
                "interrupted": self.interrupted,
                "summary": {"total": len(self.items), **counts},
            }
            click.echo(dump(document))
            return
        if MODE.quiet:
            for w in self.items:
                click.echo(safe_text(f"{w.task_id} {w.outcome}"))
            return
        width = max(len(w.task_id) for w in self.items)
        for w in self.items:
            if w.outcome == "success" and w.result is not None:
                detail = " ".join(r.url for r in w.result.resources)
            else:
                detail = describe_error(w.error)[1]["message"] if w.error is not None and w.outcome != "timeout" else ""
            click.echo(safe_text(f"{w.task_id:<{width}}  {w.outcome:<7}  {detail}".rstrip()))
        click.echo(", ".join(f"{n} {kind}" for kind, n in counts.items() if n))
        if self.unfinished:
            from .interrupts import command, signal_name

            why = f"interrupted ({signal_name()}); " if self.interrupted else ""
            resume = command("task", "wait", *self.unfinished)
            click.echo(safe_text(f"{why}unfinished (still running): resume with `{resume}`"), err=True)


def _one(client: Modellix, task_id: str, deadline: float | None, stop: threading.Event) -> Waited:
    left = None if deadline is None else max(deadline - time.monotonic(), 0.001)
    try:
        # The SDK's stoppable wait (the one an interrupted batch uses): Ctrl+C ends every wait at once.
        result = client.tasks.wait(task_id, timeout=left, stop=stop)
    except TaskFailed as exc:
        return Waited(task_id, "failed", exc.result if isinstance(exc.result, TaskResult) else None, exc)
    except TaskTimeout as exc:
        return Waited(task_id, "timeout", None, exc)
    except ModellixError as exc:
        return Waited(task_id, "error", None, exc)
    return Waited(task_id, "success", result, None)


def wait_many(client: Modellix, task_ids: list[str], *, timeout: float | None, concurrency: int) -> WaitReport:
    """One outcome per id, in input order."""
    deadline = None if timeout is None else time.monotonic() + timeout
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(task_ids)), thread_name_prefix="modellix-wait")
    futures = [pool.submit(_one, client, task_id, deadline, stop) for task_id in task_ids]
    try:
        items = [future.result() for future in futures]
    except KeyboardInterrupt:
        stop.set()  # running waits end now (outcome "timeout": the tasks keep running); queued ones never start
        pool.shutdown(wait=True, cancel_futures=True)
        never = [Waited(t, "timeout", None, TaskTimeout(t, 0.0, None)) for t in task_ids]  # not started
        items = [f.result() if not f.cancelled() else n for f, n in zip(futures, never)]
        return WaitReport(items, interrupted=True)
    pool.shutdown(wait=True)
    return WaitReport(items, interrupted=False)
