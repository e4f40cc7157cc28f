"""SIGINT/SIGTERM/SIGHUP that stop a journaled batch (or a paid POST) with the exact command that continues it:
resume sends nothing twice. Real subprocesses, a real emulator (:mod:`.children`).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from modellix_typed.emulator import RunningEmulator

from .children import (
    BODY,
    SIGNALS,
    SLUG,
    Child,
    child_env,
    posts,
)
from .conftest import BIN


@pytest.fixture()
def env(slow: RunningEmulator) -> dict[str, str]:
    return child_env(slow)


def _batch_file(tmp_path: Path, count: int) -> Path:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"model": SLUG, "body": {"prompt": f"p{n}"}}) + "\n" for n in range(count)))
    return source


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_stops_a_journaled_batch_and_resume_sends_nothing_twice(
    slow: RunningEmulator, env: dict[str, str], tmp_path: Path, sig: signal.Signals
) -> None:
    journal = tmp_path / "j.jsonl"
    child = Child(["batch", str(_batch_file(tmp_path, 5)), "--journal", str(journal), "--json"], env)
    deadline = time.monotonic() + 20
    while slow.stats()["tasks_created"] < 3 and time.monotonic() < deadline:  # 3 slots full, 2 waiting
        time.sleep(0.02)
    child.process.send_signal(sig)
    code, out, _ = child.finish()
    assert code == 128 + sig, out + child.err
    doc = json.loads(out)
    outcomes = [r["outcome"] for r in doc["results"]]
    assert outcomes == ["running"] * 3 + ["not_sent"] * 2, outcomes
    assert doc["summary"]["running"] == 3 and doc["summary"]["not_sent"] == 2
    assert f"modellix-typed batch resume {journal}" in doc["error"]["message"]
    assert "may still run" not in out and doc["summary"]["timeout"] == 0
    created = slow.stats()["tasks_created"]
    assert created == 3

    resumed = subprocess.run([BIN or "", "batch", "resume", str(journal), "--json"], env=env, capture_output=True,
                             text=True, timeout=60, check=False)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    results = json.loads(resumed.stdout)["results"]
    assert [r["outcome"] for r in results] == ["success"] * 5
    assert [r["task_id"] for r in results[:3]] == [r["task_id"] for r in doc["results"][:3]]
    assert slow.stats()["tasks_created"] == 5 and posts(slow) == 5  # each input sent exactly once


def test_an_interrupted_batch_without_a_journal_says_to_use_one(
    slow: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    child = Child(["batch", str(_batch_file(tmp_path, 4))], env)
    deadline = time.monotonic() + 20
    while slow.stats()["tasks_created"] < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    child.process.send_signal(signal.SIGTERM)
    code, out, _ = child.finish()
    assert code == 143, out + child.err
    rows = [row for row in out.splitlines() if row.startswith("line ")]
    assert sum(" running " in row for row in rows) == 3 and sum(" not sent" in row for row in rows) == 1, out
    assert "Next time run with --journal FILE" in child.err and "task wait task-" in child.err


def test_a_signal_during_the_paid_post_waits_for_its_answer_so_the_task_id_is_never_lost(
    slow: RunningEmulator, env: dict[str, str]
) -> None:
    from modellix_typed.emulator.config import Fault

    slow.inject(Fault(kind="slow", route="submit", delay=1.5))  # the POST is on the wire for 1.5 s
    child = Child(["run", SLUG, "--body", BODY, "--json"], env)
    deadline = time.monotonic() + 20
    while slow.stats()["faults_pending"] and time.monotonic() < deadline:  # the POST has reached the server
        time.sleep(0.01)
    time.sleep(0.2)
    child.process.send_signal(signal.SIGTERM)
    code, out, _ = child.finish()
    assert code == 143, out + child.err
    error = json.loads(out)["error"]
    assert error["type"] == "Interrupted" and error["task_id"].startswith("task-"), error
    assert error["resume"] == f"modellix-typed task wait {error['task_id']}"
    assert child.lines[0][1] == f"submitted {SLUG} as {error['task_id']}"
    assert slow.stats()["tasks_created"] == 1
