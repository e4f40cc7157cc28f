"""``modellix-typed run SLUG``: validate offline, submit, optionally wait and download the result files."""

from __future__ import annotations

import time
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import TaskFailed
from .batch import open_journal
from .._core.uploads import run_leftovers
from .body import load_body
from .connection import base_url_option, make_client, profile_name
from .cost import max_cost_option, priced
from .history import Recorded, record
from .interrupts import held
from .output import EXIT_CODES_HELP, MODE, CLIError, ExitCode, emit, json_option, task_json
from .progress import announce, task_progress
from .safe_text import safe_text
from .tasks import download_to, heartbeat_option, render_result, resumable, timeout_option, wait_option_help
from .validate import check_body

if TYPE_CHECKING:
    from .._sync.client import Modellix
    from .._sync.task import Task
    from ..journal import Journal


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@click.argument("stdin", metavar="[-]", required=False, type=click.Choice(["-"]))
@click.option("--body", metavar="JSON", help="The request body as JSON text.")
@click.option(
    "--body-file", type=click.Path(dir_okay=False, allow_dash=True), help="Read the JSON body from a file (- = stdin)."
)
@click.option("--wait/--no-wait", default=True, show_default=True, help=wait_option_help)
@click.option(
    "--no-validate",
    "skip_validation",
    is_flag=True,
    help="Send the body unvalidated to /api/v1/SLUG (a model newer than this package, or a body you trust).",
)
@click.option(
    "--download",
    "download_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Save the result files into DIR (created if missing); needs --wait (the default).",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Record the request before its POST and the task id after (a new FILE): if this process dies, "
    "`batch resume FILE` finishes the task without paying twice.",
)
@max_cost_option
@timeout_option
@heartbeat_option
@base_url_option
@json_option
def run(
    slug: str,
    stdin: str | None,
    body: str | None,
    body_file: str | None,
    wait: bool,
    skip_validation: bool,
    download_dir: Path | None,
    journal_path: Path | None,
    max_cost: Decimal | None,
    timeout: float | None,
    heartbeat: float | None,
    base_url: str | None,
) -> None:
    """Submit a task for SLUG with a JSON body (--body, --body-file or - for stdin).

    The body is validated offline first: an invalid body exits 3 and nothing is sent (--no-validate sends it
    as is, for any provider/model-id). A model newer than this package is validated against its live
    api_schema (MODELLIX_SCHEMA_ORIGIN, default https://www.modellix.ai) and sent to its servers[0].url. A submission whose outcome is unknown (timeout/connection drop after
    sending, 409 and other unexpected answers) is never retried: exit 6. The task id is recorded in the local
    history (`task history`). The cost estimate (the catalog's unit price, or "unknown") is shown on stderr
    first and in --json; --max-cost USD refuses (exit 2, nothing sent) a higher or unknown one. --quiet prints the saved paths (else the result URLs, or with --no-wait the task
    id); --output task-id prints only the task id.

    While waiting, stderr shows `submitted SLUG as TASK_ID` at once, then the status (a live line on a
    terminal; without one, a line per status change and a --heartbeat line every 30s). Ctrl+C, SIGTERM or
    SIGHUP stop the wait (the task keeps running) and print the command that resumes it (exit 130/143/129).
    """
    from .. import registry
    from .._core.prepare import live_schema_slug

    if download_dir is not None and not wait:
        raise click.UsageError("--download needs --wait (the files exist only once the task succeeded)")
    if not skip_validation and live_schema_slug(slug, True) is None:
        registry.info(slug)  # a malformed slug: did-you-mean now (a well-formed new one: its live api_schema)
    data = load_body(slug, body=body, body_file=body_file, stdin=stdin == "-")
    if not skip_validation:
        check_body(slug, data)  # an invalid body (or an unknown model) exits before anything, even the price, is asked
    else:
        from ..json_checks import check_json

        check_json(slug, data)  # an unvalidated body must still be standard JSON (exit 3, nothing asked)
    with make_client(base_url) as client:
        estimate = priced(client, [slug], max_cost)  # shown before the paid POST; --max-cost: exit 2, unsent
        with open_journal(journal_path, download_dir) as book:
            with held() as hold:  # a signal during the POST waits for its answer: the task id is then known
                task = _submit(client, slug, data, not skip_validation, book, journal_path)
            submitted = time.monotonic()
            remember = partial(record, profile=profile_name(), base_url=client.config.base_url)
            remember([Recorded(task.task_id, slug, "submitted")])
            payload: dict[str, Any] = {"task_id": task.task_id, "slug": slug, "estimate": estimate.to_json()}
            if not wait:
                hold.active = hold.pending = False  # nothing left to interrupt: the id is printed below
                follow = f"batch resume {journal_path}" if journal_path is not None else f"task wait {task.task_id}"
                hint = f"submitted {slug} as task {task.task_id} (follow it: modellix-typed {follow})"
                emit({**payload, "status": "submitted"}, lambda: click.echo(safe_text(hint)), lambda: [task.task_id])
                return
            try:
                with resumable(task.task_id, journal_path):
                    announce(f"submitted {slug} as {task.task_id}")  # before the progress line that follows it
                    with task_progress(task.task_id, started=submitted, heartbeat=heartbeat) as on_update:
                        hold.release()  # interrupted during the POST: stop here, with the resume command
                        result = task.wait(timeout=timeout, on_update=on_update)
            except BaseException as exc:
                if book is not None:
                    book.finished(0, task.task_id, exc)
                if isinstance(exc, TaskFailed):
                    remember([Recorded(task.task_id, slug, "failed")])
                client._delete_uploads(run_leftovers(task.uploads, exc, created=True))  # "@path" uploads, when done
                raise
            client._delete_uploads(task.uploads)  # the task finished: its "@path" uploads are no longer needed
            if book is not None:
                book.finished(0, task.task_id, None)
            remember([Recorded(task.task_id, slug, result.status.value)])
            saved = download_to(result, download_dir) if download_dir is not None else []
            if book is not None and saved:
                book.saved(0, task.task_id, saved)

    def quiet() -> list[str]:
        """--output task-id: the id; --quiet: saved paths, else the result URLs."""
        if MODE.output == "task-id":
            return [task.task_id]
        return [str(p) for p in saved] or [r.url for r in result.resources]

    emit(
        {**payload, "task": task_json(result), "downloaded": [str(p) for p in saved]},
        lambda: render_result(result, saved),
        quiet,
    )



def _submit(client: Modellix, slug: str, data: dict[str, Any], validate: bool, book: Journal | None,
            journal_path: Path | None) -> Task:
    """The POST; interrupted during it, say what is known: the task may exist, and how to find out."""
    from .interrupts import command, signal_name

    try:
        return client.submit(slug, data, validate=validate, journal=book)
    except KeyboardInterrupt:
        if journal_path is not None:
            follow = f"`{command('batch', 'resume', str(journal_path))}` reports it (nothing is sent twice)"
        else:
            follow = f"check `{command('task', 'history')}` before running it again (--journal FILE makes this resumable)"
        message = f"interrupted ({signal_name()}) while submitting {slug}: the task may have been created; {follow}"
        raise CLIError("Interrupted", message, ExitCode.INTERRUPTED, slug=slug) from None
