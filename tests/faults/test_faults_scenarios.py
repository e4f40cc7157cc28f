"""Every fault scenario of bench/faults/, driven by our real client against a live emulator.

Each test asserts the generic pass criteria (no duplicate paid submission, no lost result, no untyped
exception, no API key in logs or errors) and the exact outcome its fault plan must produce.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bench.faults import API_KEY, SCENARIOS, media_problem, run_scenario, scenario


@pytest.mark.parametrize("name", [sc.name for sc in SCENARIOS])
def test_fault_scenario(
    name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, fault_report: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG, logger="modellix_typed")
    caplog.set_level(logging.DEBUG, logger="httpx")
    sc = scenario(name)

    row = run_scenario(sc, folder=tmp_path)
    fault_report[name] = row

    assert row["violations"] == [], f"{name}: pass criteria broken"
    assert row["expectation_mismatches"] == [], f"{name}: the fault plan did not produce its outcome"
    # Independent of the harness's own bookkeeping: what is on disk, and what pytest's log capture saw.
    files = sorted(tmp_path.iterdir())
    assert len(files) == row["results_saved"] == row["files_verified"]
    assert [f.name for f in files if media_problem(f)] == []
    assert caplog.records, "log capture saw nothing: the key scan below would be vacuous"
    assert API_KEY not in caplog.text
    assert not any(API_KEY in str(r.args) for r in caplog.records)
    assert row["tasks_created"] <= row["tasks_intended"]
