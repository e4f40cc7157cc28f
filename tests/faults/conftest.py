"""Shared fixtures of the fault-injection suite: the harness import and the per-fault report table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The harness lives in bench/faults/ (``make bench`` publishes the same table); pyproject's
# ``pythonpath = ["."]`` makes it importable.


@pytest.fixture(scope="session")
def fault_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Rows added by each scenario test; written as JSON and printed (``pytest -s``) at the end."""
    from bench.faults import format_table, summarize

    rows: dict[str, Any] = {}
    yield rows
    if not rows:
        return
    path = tmp_path_factory.mktemp("fault-report") / "faults.json"
    path.write_text(json.dumps({"summary": summarize(rows), "per_fault": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"\n\nfault-injection report ({len(rows)} scenarios), JSON at {path}\n{format_table(rows)}")
