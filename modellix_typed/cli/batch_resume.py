"""``modellix-typed batch resume FILE``: finish a batch that ``batch --journal FILE`` started.

The journal holds an exclusive lock while this runs, so a second resume of the same file fails at once
(exit 2) instead of racing the first. Results go where the journal says (``--download`` overrides);
the report and exit codes are the ones of ``batch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from .batch_report import ItemReport, report
from .connection import base_url_option, make_client
from .output import EXIT_CODES_HELP, CLIError, ExitCode, json_option
from .progress import batch_progress

if TYPE_CHECKING:
    from .._core.batch_book import BatchOutcome
    from ..journal import Entry


@attrs.frozen
class JournalLine:
    """An input as the journal recorded it (the line number and id of the original file, when known)."""

    line: int
    id: str | int | None
    model: str

    @classmethod
    def of(cls, entry: Entry) -> JournalLine:
        label = entry.label or {}
        line = label.get("line")
        return cls(line if isinstance(line, int) else entry.index + 1, label.get("id"), entry.slug)


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("journal_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--download",
    "download_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Save results into DIR (default: the --download folder the batch was started with, if any).",
)
@click.option(
    "--resubmit-unknown",
    is_flag=True,
    help="Send again the inputs whose POST may already have created a task (this may pay twice).",
)
@click.option(
    "--retry-rate-limited",
    is_flag=True,
    help="Send again the inputs a 429 turned away (nothing was created for them; off by default).",
)
@click.option("--max-concurrency", type=click.IntRange(min=1), default=None, metavar="N",
              help="Tasks in flight at once (default 3).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Per task: stop waiting after SECONDS (outcome 'timeout'; resume again later).")
@base_url_option
@json_option
def resume(
    journal_path: Path,
    download_dir: Path | None,
    resubmit_unknown: bool,
    retry_rate_limited: bool,
    max_concurrency: int | None,
    timeout: float | None,
    base_url: str | None,
) -> int:
    """Finish the journaled batch FILE: wait for every task it created, send what was never sent, save
    what is not saved yet. An input whose POST may have created a task is reported as outcome_unknown
    (exit 6) and not sent again unless --resubmit-unknown; one a 429 turned away is reported as rate_limited
    and sent again only with --retry-rate-limited. Output and exit codes as for `batch`."""
    from ..journal import Journal

    with Journal.open(journal_path) as book, make_client(base_url, max_concurrency=max_concurrency) as client:
        interrupted = False
        try:
            with batch_progress(len(book.entries)) as show:
                outcomes = client.resume(
                    book, resubmit_unknown=resubmit_unknown, retry_rate_limited=retry_rate_limited,
                    download=download_dir,
                    max_concurrency=max_concurrency, timeout=timeout, on_progress=show,
                )
        except KeyboardInterrupt as stop:
            interrupted = True
            outcomes = getattr(stop, "outcomes", [])
        reports = [_report(book.entries[o.index], o) for o in outcomes]
        seen = {o.index for o in outcomes}
        unsent = [(JournalLine.of(e), _never(e)) for e in book.entries.values() if e.index not in seen]
        unsent = unsent if interrupted else []
    return report(reports, interrupted, len(book.entries), unsent=unsent, journal=journal_path)


def _never(entry: Entry) -> BatchOutcome:
    """An input this resume did not reach before an interrupt (it may still hold a task: see the journal)."""
    from .._core.batch_book import BatchOutcome

    return BatchOutcome(entry.index, entry.slug, "skipped", entry.task_id)


def _report(entry: Entry, outcome: BatchOutcome) -> ItemReport:
    """A success whose download failed is reported as download_failed (the task id is kept: retry resume)."""
    files = [Path(f) for f in entry.files]
    failed = None
    if outcome.kind == "error" and outcome.result is not None and outcome.error is not None:
        failed = CLIError("DownloadError", f"{outcome.error} (task {outcome.task_id} succeeded; resume again)",
                          ExitCode.ERROR, task_id=outcome.task_id)
    return ItemReport(JournalLine.of(entry), outcome, files, failed)
