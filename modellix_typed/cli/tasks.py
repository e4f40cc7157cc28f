"""``modellix-typed task get|wait|download|history``: follow tasks by id, including ones submitted elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import TaskFailed
from ..results import TaskResult
from .connection import base_url_option, checked_base_url, make_client, profile_name
from .output import EXIT_CODES_HELP, CLIError, Duration, ExitCode, emit, exit_status, json_option, task_json
from .progress import announce, task_progress
from .safe_text import safe_text

if TYPE_CHECKING:
    from .._sync.client import Modellix

wait_option_help = "Wait until the task finishes (default) or print the task id and return at once."

_TIMEOUT_OPTION = click.option(
    "--timeout",
    type=Duration(),
    default=None,
    metavar="DURATION",
    help="Stop waiting after DURATION (seconds, or 500ms/30s/5m/2h); exit 5, the task keeps running: resume "
    "with `task wait ID`.",
)


def timeout_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--timeout DURATION`` on a command that waits for tasks."""
    return _TIMEOUT_OPTION(command)


def download_to(
    result: TaskResult, folder: Path, *, max_bytes: int | None = None, overwrite: bool = False
) -> list[Path]:
    """Save the files; a failure keeps the task id and result in the error so nothing is lost."""
    from ..errors import DownloadError, FileAlreadyExists
    from .interrupts import command

    try:
        folder.mkdir(parents=True, exist_ok=True)
        return result.download(folder, max_bytes=max_bytes, overwrite=overwrite)
    except (DownloadError, OSError) as exc:
        retry = ["task", "download", result.task_id, str(folder)]
        reason = str(exc)
        if isinstance(exc, FileAlreadyExists):  # the CLI's words, not the SDK's overwrite=True
            reason, retry = f"{exc.path} already exists", [*retry, "--overwrite"]
        raise CLIError(
            "DownloadError",
            f"{reason} (task {result.task_id} succeeded; retry with `{command(*retry)}`)",
            ExitCode.ERROR,
            task_id=result.task_id,
            task=task_json(result),
        ) from None


_HEARTBEAT_OPTION = click.option(
    "--heartbeat",
    type=Duration(allow_zero=True),
    default=None,
    metavar="DURATION",
    help="When stderr is not a terminal: print the status and elapsed time every DURATION while waiting "
    "(default 30s; 0: only status changes).",
)


def heartbeat_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``heartbeat_option`` decorator (typed for users' type checkers)."""
    return _HEARTBEAT_OPTION(command)


@contextmanager
def resumable(task_id: str, journal: Path | None = None) -> Iterator[None]:
    """Ctrl+C, SIGTERM or SIGHUP while waiting only stops the wait: say how to resume (the task keeps
    running server-side): ``batch resume J`` for a journaled run (it also saves the files), else ``task wait``."""
    from .interrupts import command, signal_name

    try:
        yield
    except KeyboardInterrupt:
        follow = command("batch", "resume", str(journal)) if journal else command("task", "wait", task_id)
        raise CLIError(
            "Interrupted",
            f"stopped waiting ({signal_name()}); task {task_id} keeps running: resume with `{follow}`",
            ExitCode.INTERRUPTED,
            task_id=task_id,
            resume=follow,
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
        when = result.expires_at.isoformat(timespec="minutes")
        basis = "as the server says" if result.expires_at_from_server else "estimated: 7 days after the end"
        click.echo(f"  (URLs expire around {when}, {basis})")
    for path in saved:
        click.echo(f"saved {path}")


@click.group(epilog=EXIT_CODES_HELP)
@json_option
def task() -> None:
    """Read, wait on and download tasks by id."""


def _remember(client: Modellix, results: Iterable[TaskResult]) -> None:
    """Refresh the status of these tasks in the local history (a read updates what the history shows)."""
    from .history import Recorded, record

    items = [Recorded(r.task_id, r.model_id, r.status.value) for r in results]
    record(items, profile=profile_name(), base_url=client.config.base_url)


def _urls(result: TaskResult) -> list[str]:
    return [r.url for r in result.resources]


@task.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@base_url_option
@json_option
def get(task_id: str, base_url: str | None) -> None:
    """Print the current status (and result files) of task ID. A failed task exits 0 here: it was read."""
    with make_client(base_url) as client:
        result = client.tasks.get(task_id)
        _remember(client, [result])
    emit({"task_id": task_id, "task": task_json(result)}, lambda: render_result(result, []), lambda: _urls(result))


@task.command(epilog=EXIT_CODES_HELP)
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 20),
    default=4,
    show_default=True,
    metavar="N",
    help="With several ids: how many tasks are polled at once (each poll is one GET).",
)
@timeout_option
@heartbeat_option
@base_url_option
@json_option
def wait(
    task_ids: tuple[str, ...], concurrency: int, timeout: float | None, heartbeat: float | None, base_url: str | None
) -> None:
    """Wait until task ID succeeds (exit 0), fails (exit 4) or --timeout passes (exit 5).

    Several ids share one deadline and are polled N at a time; what finished is reported even when the
    deadline passes (--json: {"tasks": [...], "unfinished": [ids]}). Exit: 1 if any read failed, else 5 if
    any is unfinished, else 4 if any failed, else 0.
    """
    ids = list(dict.fromkeys(task_ids))  # each id once, input order
    if len(ids) == 1:
        task_id = ids[0]
        with make_client(base_url) as client:
            try:
                with resumable(task_id):
                    announce(f"waiting for task {task_id}")  # before the progress line that follows it
                    with task_progress(task_id, heartbeat=heartbeat) as on_update:
                        result = client.tasks.wait(task_id, timeout=timeout, on_update=on_update)
            except TaskFailed as exc:
                if isinstance(exc.result, TaskResult):
                    _remember(client, [exc.result])
                raise
            _remember(client, [result])
        emit({"task_id": task_id, "task": task_json(result)}, lambda: render_result(result, []), lambda: _urls(result))
        return
    from .wait_many import wait_many

    with make_client(base_url) as client:
        announce(f"waiting for {len(ids)} tasks: {' '.join(ids)}")
        waited = wait_many(client, ids, timeout=timeout, concurrency=concurrency)
        _remember(client, [w.result for w in waited.items if w.result is not None])
    waited.report()
    raise SystemExit(exit_status(waited.exit_code()))


@task.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace files that already exist (default: refuse, exit 1).")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=None,
    metavar="BYTES",
    help="Refuse a file larger than BYTES (checked on Content-Length and while streaming; nothing partial kept).",
)
@base_url_option
@json_option
def download(task_id: str, folder: Path, overwrite: bool, max_bytes: int | None, base_url: str | None) -> None:
    """Save the result files of finished task ID into DIR (created if missing)."""
    from ..results import TaskStatus

    with make_client(base_url) as client:
        result = client.tasks.get(task_id)
        _remember(client, [result])
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
        saved = download_to(result, folder, max_bytes=max_bytes, overwrite=overwrite)
    emit(
        {"task_id": task_id, "task": task_json(result), "downloaded": [str(p) for p in saved]},
        lambda: render_result(result, saved),
        lambda: [str(p) for p in saved],
    )


@task.command(epilog=EXIT_CODES_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, metavar="N", help="Newest N.")
@click.option("--all", "every", is_flag=True, help="Every profile and API origin (default: the current ones).")
@click.option("--clear", "clear_", is_flag=True, help="Remove the listed entries (the tasks themselves are kept).")
@click.option("--yes", "-y", is_flag=True, help="Confirm --clear without a prompt.")
@base_url_option
@json_option
def history(limit: int, every: bool, clear_: bool, yes: bool, base_url: str | None) -> None:
    """Tasks that run and batch created (and get/wait/download read), newest first.

    Shared with modellix-cli (same file); by default only this profile's tasks on this API origin.
    """
    from ..config import resolve_base_url
    from . import history as store

    profile = None if every else profile_name()
    origin = None if every else resolve_base_url(checked_base_url(base_url))
    if clear_:
        if not yes:
            raise CLIError("UsageError", "task history --clear: confirm with --yes", ExitCode.USAGE)
        removed = store.clear(profile=profile, base_url=origin)
        noun = "entry" if removed == 1 else "entries"
        emit({"removed": removed}, lambda: click.echo(f"removed {removed} history {noun}"))
        return
    entries = [e for e in store.read_entries() if store.matches(e, profile=profile, base_url=origin)][:limit]
    rows = [
        {
            "task_id": e["taskId"],
            "model": e.get("modelSlug"),
            "status": e.get("status"),
            "profile": e.get("profile"),
            "base_url": e.get("baseUrl"),
            "created_at": e.get("createdAt"),
            "updated_at": e.get("updatedAt"),
        }
        for e in entries
    ]

    def human() -> None:
        if not rows:
            click.echo("no tasks in the history", err=True)
        for row in rows:
            click.echo(safe_text(f"{row['task_id']}  {row['status'] or '-':<10}  {row['model'] or '-'}  {row['updated_at']}"))

    emit({"count": len(rows), "tasks": rows}, human, lambda: [r["task_id"] for r in rows])
