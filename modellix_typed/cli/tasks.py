"""``modellix-typed task get|wait|download ID``: follow tasks by id, including ones submitted elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .connection import base_url_option, make_client
from .output import EXIT_CODES_HELP, CLIError, ExitCode, emit, json_option, task_json
from .progress import task_progress
from .safe_text import safe_text

if TYPE_CHECKING:
    from ..results import TaskResult

wait_option_help = "Wait until the task finishes (default) or print the task id and return at once."

timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop waiting after SECONDS (exit 5; the task keeps running: resume with `task wait ID`).",
)


def download_to(result: TaskResult, folder: Path) -> list[Path]:
    """Save the files; a failure keeps the task id and result in the error so nothing is lost."""
    from ..errors import DownloadError

    try:
        folder.mkdir(parents=True, exist_ok=True)
        return result.download(folder)
    except (DownloadError, OSError) as exc:
        raise CLIError(
            "DownloadError",
            f"{exc} (task {result.task_id} succeeded; retry with `modellix-typed task download {result.task_id} DIR`)",
            ExitCode.ERROR,
            task_id=result.task_id,
            task=task_json(result),
        ) from None


@contextmanager
def resumable(task_id: str) -> Iterator[None]:
    """Ctrl+C while waiting only stops the wait: say how to resume (the task keeps running server-side)."""
    try:
        yield
    except KeyboardInterrupt:
        raise CLIError(
            "Interrupted",
            f"stopped waiting; task {task_id} keeps running: resume with `modellix-typed task wait {task_id}`",
            ExitCode.INTERRUPTED,
            task_id=task_id,
        ) from None


def render_result(result: TaskResult, saved: list[Path]) -> None:
    line = f"task {result.task_id}: {result.raw_status}"
    if result.duration_ms is not None:
        line += f" in {result.duration_ms / 1000:.1f}s"
    if result.error:
        line += f": {result.error}"
    click.echo(safe_text(line))
    for resource in result.resources:
        size = f" {resource.width}x{resource.height}" if resource.width and resource.height else ""
        click.echo(safe_text(f"  {resource.type or 'file'}{size}: {resource.url}"))
    if result.resources and result.expires_at:
        click.echo(f"  (URLs expire around {result.expires_at.isoformat(timespec='minutes')})")
    for path in saved:
        click.echo(f"saved {path}")


@click.group(epilog=EXIT_CODES_HELP)
@json_option
def task() -> None:
    """Read, wait on and download tasks by id."""


@task.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@base_url_option
@json_option
def get(task_id: str, base_url: str | None) -> None:
    """Print the current status (and result files) of task ID. A failed task exits 0 here: it was read."""
    with make_client(base_url) as client:
        result = client.tasks.get(task_id)
    emit({"task_id": task_id, "task": task_json(result)}, lambda: render_result(result, []))


@task.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@timeout_option
@base_url_option
@json_option
def wait(task_id: str, timeout: float | None, base_url: str | None) -> None:
    """Wait until task ID succeeds (exit 0), fails (exit 4) or --timeout passes (exit 5)."""
    with make_client(base_url) as client, resumable(task_id), task_progress(f"task {task_id}") as on_update:
        result = client.tasks.wait(task_id, timeout=timeout, on_update=on_update)
    emit({"task_id": task_id, "task": task_json(result)}, lambda: render_result(result, []))


@task.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@base_url_option
@json_option
def download(task_id: str, folder: Path, base_url: str | None) -> None:
    """Save the result files of finished task ID into DIR (created if missing)."""
    from ..results import TaskStatus

    with make_client(base_url) as client:
        result = client.tasks.get(task_id)
        if result.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
            raise result.failure()
        if result.status is not TaskStatus.SUCCESS:
            raise CLIError(
                "TaskNotFinished",
                f"task {task_id} is {result.status.value}; wait for it first (modellix-typed task wait {task_id})",
                ExitCode.ERROR,
                task_id=task_id,
                status=result.status.value,
            )
        saved = download_to(result, folder)
    emit(
        {"task_id": task_id, "task": task_json(result), "downloaded": [str(p) for p in saved]},
        lambda: render_result(result, saved),
    )
