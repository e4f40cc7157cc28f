"""``modellix-typed batch FILE|-``: run a JSON Lines file of requests with full slots, one result per line.

Every line is validated offline first (exit 3, nothing sent). Then ``client.batch`` keeps up to
``--max-concurrency`` tasks in flight; each success is downloaded as soon as it finishes (``--download``), in
its own thread, so a slow or failing download neither holds a task slot nor stops the other downloads.
Results are printed in input order whatever order the tasks finished in.

``--journal FILE`` records every input before its POST and every task id after (see
:mod:`modellix_typed.journal`); ``batch resume FILE`` (:mod:`.batch_resume`) finishes a killed batch.

Exit code: 0 when every item succeeded, else the code of the most serious item outcome, most serious first:
6 outcome unknown (re-running the batch could submit it twice) > 1 rejected / error / download failed >
5 timed out (the task keeps running) > 4 failed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .batch_input import BatchLine, parse_batch
from .batch_report import ItemReport, report
from .body import read_source
from .cost import max_cost_option, priced
from .connection import base_url_option, make_client, profile_name
from .history import Recorded, record
from .output import EXIT_CODES_HELP, CLIError, Duration, ExitCode, json_option
from .progress import batch_progress
from .tasks import download_to

if TYPE_CHECKING:
    from .._core.batch_book import BatchOutcome, BatchProgress
    from .._sync.client import Modellix
    from ..journal import Journal
    from ..pricing import Estimate

CONFIRM_ABOVE = 20  # more tasks than this need --yes or --max-tasks: each line is a paid task


class Downloads:
    """Starts each success's download the moment it is reported (from a batch worker thread)."""

    def __init__(self, folder: Path | None, workers: int, journal: Journal | None = None) -> None:
        self.folder = folder
        self.journal = journal
        self.pool: ThreadPoolExecutor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modellix-download")
        self.futures: dict[int, Future[list[Path]]] = {}

    def start(self, outcome: BatchOutcome) -> None:
        if self.folder is not None and outcome.ok and outcome.result is not None:
            future = self.pool.submit(download_to, outcome.result, self.folder)
            if self.journal is not None and outcome.task_id is not None:
                future.add_done_callback(_journal_saved(self.journal, outcome.index, outcome.task_id))
            self.futures[outcome.index] = future

    def finish(self, outcome: BatchOutcome) -> tuple[list[Path], CLIError | None]:
        """Saved paths, or the error of that one download (the others are unaffected)."""
        future = self.futures.get(outcome.index)
        if future is None:
            return [], None
        try:
            return future.result(), None
        except CLIError as exc:
            return [], exc
        except CancelledError:
            retry = f"modellix-typed task download {outcome.task_id} DIR"
            message = f"download not started (interrupted); retry with `{retry}`"
            return [], CLIError("DownloadError", message, ExitCode.ERROR)
        except Exception as exc:  # noqa: BLE001 - any bug in one download must not lose the batch's results
            return [], CLIError("DownloadError", f"{type(exc).__name__}: {exc}", ExitCode.ERROR)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _journal_saved(journal: Journal, index: int, task_id: str) -> Callable[[Future[list[Path]]], None]:
    """Record a finished download in the journal, so a resume does not fetch it again."""
    from ..journal import JournalError

    def saved(future: Future[list[Path]]) -> None:
        if not future.cancelled() and future.exception() is None:
            try:
                journal.saved(index, task_id, future.result())
            except JournalError:  # closed after an interrupt: a resume downloads the files again
                pass

    return saved


class BatchCommand(click.Command):
    """``batch FILE|-`` runs a file; ``batch resume JOURNAL`` finishes a journaled batch (a file named
    ``resume`` is ``./resume``)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        if args and args[0] == "resume":
            from .batch_resume import resume

            return resume.make_context(f"{info_name} resume", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


@click.command(cls=BatchCommand, epilog=EXIT_CODES_HELP)
@click.argument("source", metavar="FILE|-")
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Tasks in flight at once (default 3, the client's default and the API's usual per-key limit).",
)
@click.option(
    "--timeout",
    type=Duration(),
    default=None,
    metavar="DURATION",
    help="Per task: stop waiting after DURATION (seconds, or 500ms/30s/5m/2h); outcome 'timeout', the task "
    "keeps running: `task wait ID`.",
)
@click.option(
    "--download",
    "download_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Save each successful result's files into DIR (created if missing), named after the task id.",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Record each input before its POST and each task id after (a new FILE); after a crash or kill, "
    "`batch resume FILE` finishes the batch without paying twice.",
)
@click.option(
    "--max-tasks",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Cost guard: refuse (exit 2, nothing sent) a file of more than N requests.",
)
@click.option("--yes", "-y", is_flag=True, help=f"Confirm a batch of more than {CONFIRM_ABOVE} paid tasks.")
@max_cost_option
@click.option(
    "--continue-on-unknown",
    is_flag=True,
    help="Keep submitting after a submission whose outcome is unknown (default: stop; the rest are 'skipped').",
)
@base_url_option
@json_option
def batch(
    source: str,
    max_concurrency: int | None,
    timeout: float | None,
    download_dir: Path | None,
    journal_path: Path | None,
    max_tasks: int | None,
    yes: bool,
    max_cost: Decimal | None,
    continue_on_unknown: bool,
    base_url: str | None,
) -> int:
    """Run every request of the JSON Lines FILE (or stdin with -), one per line.

    Each line is {"model": SLUG, "body": {...}} with an optional "id" label, or modellix-cli's
    {"modelSlug": SLUG, "body": {...}}. Every line is validated
    offline first: any problem (bad JSON, missing model/body, unknown model, invalid body) is listed with its
    line number, exit 3, and nothing is sent. Then the tasks run with up to --max-concurrency in flight and
    one result is printed per input line, in input order (--json: {"ok", "results": [{"line", "id",
    "model", "outcome", "task_id", "error", "files"}], "summary"}). Outcomes: success, failed, rejected,
    outcome_unknown, skipped, timeout, error, download_failed. A progress bar is shown on stderr when it
    is a terminal.

    Cost guard: more than 20 requests need --yes, or --max-tasks N (a file longer than N is refused); the
    estimate (catalog unit price × tasks, or "unknown") is shown first and in --json; --max-cost USD refuses a
    batch estimated above USD or with an unknown price.
    After a submission whose outcome is unknown nothing more is submitted (the rest are "skipped"; tasks
    already running are still waited on) unless --continue-on-unknown. Task ids go to `task history`.

    With --journal FILE, a batch that is killed (or loses its machine) is finished by
    `modellix-typed batch resume FILE`: it re-attaches to every task already created, sends the inputs
    never sent and downloads what is not saved yet; an input whose POST may have gone through is not sent
    again unless --resubmit-unknown is given.

    Exit 0 when every item succeeded; otherwise the code of the most serious outcome:
    6 outcome_unknown > 1 rejected/error/download_failed > 5 timeout > 4 failed.
    """
    text, label = read_source(source)
    lines = parse_batch(text, label)
    with make_client(base_url, max_concurrency=max_concurrency) as client:
        estimate = priced(client, [line.model for line in lines], max_cost)
        _check_cost(len(lines), max_tasks, yes, label, estimate)
        with open_journal(journal_path, download_dir, [{"line": line.line, "id": line.id} for line in lines]) as book:
            reports, interrupted = _run(
                client, lines, max_concurrency, timeout, download_dir, not continue_on_unknown, book
            )
            created = [Recorded(r.outcome.task_id, r.line.model, _status(r)) for r in reports if r.outcome.task_id]
            record(created, profile=profile_name(), base_url=client.config.base_url)
    return report(
        reports, interrupted, len(lines), estimate.to_json(), unsent=_unsent(lines, reports), journal=journal_path
    )


def _unsent(lines: list[BatchLine], reports: list[ItemReport]) -> list[tuple[BatchLine, BatchOutcome]]:
    """The inputs an interrupt left without an outcome: never sent (a POST under way always ends first)."""
    from .._core.batch_book import BatchOutcome

    seen = {r.outcome.index for r in reports}
    return [(line, BatchOutcome(i, line.model, "skipped")) for i, line in enumerate(lines) if i not in seen]


def open_journal(
    path: Path | None, download_dir: Path | None, labels: list[dict[str, Any]] | None = None
) -> AbstractContextManager[Journal | None]:
    """A new journal (``--journal``; held, locked, until the command ends), or nothing."""
    if path is None:
        return nullcontext()
    from ..journal import Journal

    return Journal.create(path, download=download_dir.resolve() if download_dir else None, labels=labels)


def _check_cost(count: int, max_tasks: int | None, yes: bool, label: str, estimate: Estimate) -> None:
    """Every line is a paid task: a big batch needs an explicit go-ahead (exit 2, nothing sent); the refusal
    names the estimate (unit × tasks) or says it is unknown."""
    cost = estimate.to_json()
    if max_tasks is not None and count > max_tasks:
        message = (
            f"{label} holds {count} requests, more than --max-tasks {max_tasks}; {estimate.describe()} "
            "(nothing was sent)"
        )
        raise CLIError("CostGuard", message, ExitCode.USAGE, tasks=count, max_tasks=max_tasks, estimate=cost)
    if max_tasks is None and not yes and count > CONFIRM_ABOVE:
        message = (
            f"{label} holds {count} requests (each a paid task; {estimate.describe()}): confirm with --yes or "
            "cap with --max-tasks N or --max-cost USD (nothing was sent)"
        )
        raise CLIError("CostGuard", message, ExitCode.USAGE, tasks=count, estimate=cost)


def _status(report: ItemReport) -> str:
    """The history status of a created task (a timeout or interrupted wait: still running)."""
    if report.outcome.result is not None:
        return report.outcome.result.status.value
    if report.outcome.kind == "failed":
        return "failed"
    return getattr(report.outcome.error, "last_status", None) or "submitted"  # a timeout: its last status


def _run(
    client: Modellix,
    lines: list[BatchLine],
    max_concurrency: int | None,
    timeout: float | None,
    download_dir: Path | None,
    stop_on_unknown: bool,
    journal: Journal | None = None,
) -> tuple[list[ItemReport], bool]:
    """The reports in input order, and whether Ctrl+C cut the batch short (then: the items that finished)."""
    finished: dict[int, BatchOutcome] = {}
    downloads = Downloads(download_dir, max_concurrency or client.config.max_concurrency, journal)

    def started(outcome: BatchOutcome) -> None:  # called from batch worker threads
        finished[outcome.index] = outcome
        downloads.start(outcome)

    interrupted = False
    try:
        with batch_progress(len(lines)) as show:
            outcomes = client.batch(
                [line.request for line in lines],
                max_concurrency=max_concurrency,
                timeout=timeout,
                on_progress=_both(started, show),
                journal=journal,
                stop_on_unknown=stop_on_unknown,
                cleanup_uploads=True,  # the "@path" files this batch uploaded, once their tasks ended
            )
    except KeyboardInterrupt as stop:
        interrupted = True
        downloads.pool.shutdown(wait=False, cancel_futures=True)  # running downloads still complete
        # The batch attaches every known outcome, including tasks cut short while running ("timeout",
        # resumable by id): list those too, so no created task goes unreported.
        known: list[BatchOutcome] = getattr(stop, "outcomes", [])
        outcomes = sorted({**{o.index: o for o in known}, **finished}.values(), key=lambda o: o.index)
    try:
        return [ItemReport(lines[o.index], o, *downloads.finish(o)) for o in outcomes], interrupted
    finally:
        downloads.close()


def _both(
    start: Callable[[BatchOutcome], None], show: Callable[[BatchProgress], None] | None
) -> Callable[[BatchProgress], None]:
    def on_progress(progress: BatchProgress) -> None:
        start(progress.last)
        if show is not None:
            show(progress)

    return on_progress
