"""Fault injection: a realistic workload of our real client against the emulator under each fault, accounted.

For every scenario (:mod:`.scenarios`) a fresh emulator plays one fault plan while the client submits a
batch (or single runs) and downloads every result (:mod:`.workload`). The row (:mod:`.accounting`) says what
the caller intended, what the server created, what was saved (verified PNG/MP4, :mod:`.media_check`), which
typed errors the caller saw, and which pass criteria were broken:

- duplicate paid submissions: more tasks created than intended, or a paid POST re-sent after an attempt
  whose outcome was ambiguous (accepted, 5xx, malformed, or no response at all) (:mod:`.evidence`);
- lost results: a task that succeeded on the server that the caller neither saved nor got a typed error
  about; tasks the caller never learned of must each be covered by a SubmissionOutcomeUnknown;
- untyped exceptions: anything escaping that is not a ModellixError, and hangs;
- the API key in any captured log line or error str/repr/traceback (:mod:`.leaks`).

``run()`` returns the per-fault table for ``python -m bench``; tests/faults asserts the same rows.
"""

from __future__ import annotations

from typing import Any

from .accounting import run_scenario
from .media_check import media_problem
from .scenarios import API_KEY, SCENARIOS, Scenario, scenario
from .table import format_table, summarize

__all__ = [
    "API_KEY",
    "SCENARIOS",
    "Scenario",
    "format_table",
    "media_problem",
    "run",
    "run_scenario",
    "scenario",
    "summarize",
]


def run() -> dict[str, Any]:
    """Every scenario once: the totals and the per-fault table (``python -m bench faults``)."""
    rows = {sc.name: run_scenario(sc) for sc in SCENARIOS}
    print(format_table(rows), flush=True)
    return {"summary": summarize(rows), "per_fault": rows}
