"""What a batch run shows the user: one report per input line, the summary and the exit code (shared by
``batch`` and ``batch resume``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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
}
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

    @property
    def kind(self) -> str:
        return "download_failed" if self.download_error is not None else self.outcome.kind

    def to_json(self) -> dict[str, Any]:
        error = self.download_error or self.outcome.error
        return {
            "line": self.line.line,
            "id": self.line.id,
            "model": self.line.model,
            "outcome": self.kind,
            "task_id": self.outcome.task_id,
            "error": describe_error(error)[1] if error is not None else None,
            "files": [str(p) for p in self.files],
        }


def exit_code(reports: list[ItemReport]) -> ExitCode:
    worst = max((SEVERITY.get(r.kind, (3, ExitCode.ERROR)) for r in reports if r.kind != "success"), default=None)
    return ExitCode.OK if worst is None else worst[1]


def summary(reports: list[ItemReport]) -> dict[str, int]:
    counts = Counter(r.kind for r in reports)
    kinds = (
        "success", "failed", "rejected", "rate_limited", "outcome_unknown", "skipped", "timeout", "error",
        "download_failed",
    )
    return {"total": len(reports), **{kind: counts.get(kind, 0) for kind in kinds}}


def render_human(reports: list[ItemReport], totals: dict[str, int]) -> None:
    labels = [f"line {r.line.line}" + (f" ({r.line.id})" if r.line.id is not None else "") for r in reports]
    label_w = max(map(len, labels))
    model_w = max(len(r.line.model) for r in reports)
    kind_w = max(len(r.kind) for r in reports)
    for label, report in zip(labels, reports):
        row = f"{label:<{label_w}}  {report.line.model:<{model_w}}  {report.kind:<{kind_w}}"
        row += f"  {report.outcome.task_id or '-'}"
        error = report.download_error or report.outcome.error
        if error is not None:
            row += f"  {describe_error(error)[1]['message']}"
        click.echo(safe_text(row.rstrip()))
        for path in report.files:
            click.echo(f"{'':<{label_w}}  saved {path}")
    others = ", ".join(f"{n} {kind}" for kind, n in totals.items() if kind not in ("total", "success") and n)
    click.echo(f"{totals['success']} of {totals['total']} succeeded" + (f"; {others}" if others else ""))


def report(
    reports: list[ItemReport], interrupted: bool, total: int, estimate: Mapping[str, Any] | None = None
) -> int:
    """Print the per-item reports and the summary (and, in JSON, the cost estimate); the exit code."""
    totals = summary(reports)
    code = ExitCode.INTERRUPTED if interrupted else exit_code(reports)
    stopped = (
        f"interrupted: {len(reports)} of {total} item(s) finished (listed); any other may still run "
        "server-side"
    )
    if MODE.quiet:
        for item in reports:  # the primary value: one task id per line (empty when none was created)
            click.echo(safe_text(item.outcome.task_id or ""))
    elif MODE.json:
        document: dict[str, Any] = {"ok": code is ExitCode.OK, "results": [r.to_json() for r in reports]}
        if interrupted:
            document["error"] = {"type": "Interrupted", "message": stopped}
        if estimate is not None:
            document["estimate"] = estimate
        click.echo(dump({**document, "summary": totals}))
    else:
        if reports:
            render_human(reports, totals)
        if interrupted:
            click.echo(stopped, err=True)
    return int(code)
