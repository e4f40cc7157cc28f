"""What a batch run shows the user: one report per input line, the summary and the exit code (shared by
``batch`` and ``batch resume``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import click

from .output import MODE, CLIError, ExitCode, describe_error, dump
from .safe_text import safe_text

if TYPE_CHECKING:
    from .._core.batch_book import BatchOutcome


# outcome -> (severity, exit code); the batch exits with the code of its most severe outcome
SEVERITY: dict[str, tuple[int, ExitCode]] = {
    "outcome_unknown": (4, ExitCode.OUTCOME_UNKNOWN),
    "rejected": (3, ExitCode.ERROR),
    "rate_limited": (3, ExitCode.ERROR),  # nothing created; `batch resume --retry-rate-limited` sends it again
    "error": (3, ExitCode.ERROR),
    "download_failed": (3, ExitCode.ERROR),
    "timeout": (2, ExitCode.TIMEOUT),
    "failed": (1, ExitCode.TASK_FAILED),
    "skipped": (3, ExitCode.ERROR),
    "running": (2, ExitCode.TIMEOUT),  # interrupted while its task ran: it keeps running server-side
    "not_sent": (0, ExitCode.OK),  # interrupted before its POST: nothing was paid
}
KINDS = (
    "success", "failed", "rejected", "rate_limited", "outcome_unknown", "skipped", "timeout", "error",
    "download_failed", "running", "not_sent",
)


class InputLine(Protocol):
    """Where an input came from: a parsed :class:`BatchLine`, or a journal's record of one."""

    @property
    def line(self) -> int: ...

    @property
    def id(self) -> str | int | None: ...

    @property
    def model(self) -> str: ...


@attrs.frozen
class ItemReport:
    """What the user sees for one input line."""

    line: InputLine
    outcome: BatchOutcome
    files: list[Path]
    download_error: CLIError | None
    interrupted_as: str | None = None  # "running" / "not_sent" when an interrupt cut this item short

    @property
    def kind(self) -> str:
        if self.interrupted_as is not None:
            return self.interrupted_as
        return "download_failed" if self.download_error is not None else self.outcome.kind

    @property
    def shown_kind(self) -> str:
        return self.kind.replace("_", " ") if self.interrupted_as else self.kind

    def error_json(self) -> dict[str, Any] | None:
        if self.interrupted_as == "running":
            message = f"interrupted while task {self.outcome.task_id} ran; it keeps running server-side"
            return {"type": "Interrupted", "message": message, "task_id": self.outcome.task_id}
        if self.interrupted_as == "not_sent":
            return None
        error = self.download_error or self.outcome.error
        return describe_error(error)[1] if error is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line.line,
            "id": self.line.id,
            "model": self.line.model,
            "outcome": self.kind,
            "task_id": self.outcome.task_id,
            "error": self.error_json(),
            "files": [str(p) for p in self.files],
        }


def exit_code(reports: list[ItemReport]) -> ExitCode:
    worst = max((SEVERITY.get(r.kind, (3, ExitCode.ERROR)) for r in reports if r.kind != "success"), default=None)
    return ExitCode.OK if worst is None else worst[1]


def summary(reports: list[ItemReport]) -> dict[str, int]:
    counts = Counter(r.kind for r in reports)
    return {"total": len(reports), **{kind: counts.get(kind, 0) for kind in KINDS}}


def render_human(reports: list[ItemReport], totals: dict[str, int]) -> None:
    labels = [f"line {r.line.line}" + (f" ({r.line.id})" if r.line.id is not None else "") for r in reports]
    label_w = max(map(len, labels))
    model_w = max(len(r.line.model) for r in reports)
    kind_w = max(len(r.shown_kind) for r in reports)
    for label, report in zip(labels, reports):
        row = f"{label:<{label_w}}  {report.line.model:<{model_w}}  {report.shown_kind:<{kind_w}}"
        row += f"  {report.outcome.task_id or '-'}"
        error = report.error_json()
        if error is not None and report.interrupted_as is None:
            row += f"  {error['message']}"
        click.echo(safe_text(row.rstrip()))
        for path in report.files:
            click.echo(f"{'':<{label_w}}  saved {path}")
    others = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in totals.items() if kind not in ("total", "success") and n)
    click.echo(f"{totals['success']} of {totals['total']} succeeded" + (f"; {others}" if others else ""))


def interrupted_reports(
    reports: list[ItemReport], unsent: list[tuple[InputLine, BatchOutcome]]
) -> list[ItemReport]:
    """After an interrupt: a task cut short while it ran is ``running`` (not a timeout), an input never
    sent is ``not_sent`` (one a resume did not reach but whose task exists: ``running``); in input order."""
    cut = [attrs.evolve(r, interrupted_as="running") if r.kind == "timeout" and r.outcome.task_id else r for r in reports]
    never = [ItemReport(line, o, [], None, "running" if o.task_id else "not_sent") for line, o in unsent]
    return sorted([*cut, *never], key=lambda r: r.outcome.index)


def interrupted_message(reports: list[ItemReport], journal: Path | None) -> str:
    """What was cut short and the exact command that finishes the batch (or how to make that possible)."""
    from .interrupts import command, signal_name

    counts = Counter(r.kind for r in reports)
    running, unsent = counts.get("running", 0), counts.get("not_sent", 0)
    done = len(reports) - running - unsent
    text = f"interrupted ({signal_name()}): {done} item(s) finished, {running} still running server-side, {unsent} not sent"
    if journal is not None:
        return f"{text}; finish the batch with `{command('batch', 'resume', str(journal))}` (nothing is sent twice)"
    ids = [r.outcome.task_id for r in reports if r.kind == "running" and r.outcome.task_id]
    if ids:
        text += f"; follow the running tasks with `{command('task', 'wait', *ids)}`"
    return f"{text}. Next time run with --journal FILE: `modellix-typed batch resume FILE` then finishes the batch"


def report(
    reports: list[ItemReport],
    interrupted: bool,
    total: int,
    estimate: Mapping[str, Any] | None = None,
    *,
    unsent: Sequence[tuple[InputLine, BatchOutcome]] = (),
    journal: Path | None = None,
) -> int:
    """Print the per-item reports and the summary (and, in JSON, the cost estimate); the exit code."""
    if interrupted:
        reports = interrupted_reports(reports, list(unsent))
    totals = summary(reports)
    code = ExitCode.INTERRUPTED if interrupted else exit_code(reports)
    stopped = interrupted_message(reports, journal) if interrupted else ""
    if MODE.quiet:
        for item in reports:  # the primary value: one task id per line (empty when none was created)
            click.echo(safe_text(item.outcome.task_id or ""))
        if interrupted:
            click.echo(stopped, err=True)
    elif MODE.json:
        document: dict[str, Any] = {"ok": code is ExitCode.OK, "results": [r.to_json() for r in reports]}
        if interrupted:
            document["error"] = {"type": "Interrupted", "message": stopped, "journal": str(journal) if journal else None}
        if estimate is not None:
            document["estimate"] = estimate
        click.echo(dump({**document, "summary": totals}))
    else:
        if reports:
            render_human(reports, totals)
        if interrupted:
            click.echo(stopped, err=True)
    return int(code)
