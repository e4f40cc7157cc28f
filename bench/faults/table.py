"""The fault table as text (for ``pytest -s`` and the bench log) and its totals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COLUMNS = (
    ("intended", "tasks_intended"),
    ("created", "tasks_created"),
    ("saved", "results_saved"),
    ("posts", "submit_attempts"),
    ("dup", "resubmits_after_ambiguous"),
    ("lost", "lost_results"),
    ("untyped", "untyped_exceptions"),
    ("leaks", "key_leaks"),
    ("fired", "faults_fired"),
)


def format_table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    """A fixed-width text table of the rows (for ``pytest -s`` and the bench log)."""
    width = max([len("scenario"), *map(len, rows)])
    head = f"{'scenario':<{width}} " + " ".join(f"{h:>8}" for h, _ in COLUMNS) + "  pass  typed errors"
    lines = [head, "-" * len(head)]
    for name, row in rows.items():
        cells = " ".join(f"{row[key]:>8}" for _, key in COLUMNS)
        errors = ", ".join(f"{k} x{v}" for k, v in row["typed_errors"].items()) or "-"
        verdict = "yes" if row["passed"] and row["as_expected"] else "NO"
        lines.append(f"{name:<{width}} {cells}  {verdict:>4}  {errors}")
    return "\n".join(lines)


def summarize(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "scenarios": len(rows),
        "tasks_intended": sum(r["tasks_intended"] for r in rows.values()),
        "tasks_created": sum(r["tasks_created"] for r in rows.values()),
        "results_saved": sum(r["results_saved"] for r in rows.values()),
        "duplicate_paid_submissions": sum(
            r["resubmits_after_ambiguous"] + max(r["tasks_created"] - r["tasks_intended"], 0) for r in rows.values()
        ),
        "lost_results": sum(r["lost_results"] for r in rows.values()),
        "untyped_exceptions": sum(r["untyped_exceptions"] for r in rows.values()),
        "key_leaks": sum(r["key_leaks"] for r in rows.values()),
        "all_passed": all(r["passed"] and r["as_expected"] for r in rows.values()),
        "failed_scenarios": [n for n, r in rows.items() if not (r["passed"] and r["as_expected"])],
    }
