"""SIGKILL a journaled batch at different points, resume it, and account for every paid task.

A real subprocess runs ``client.batch(..., journal=J, download=OUT)`` against an emulator started here;
the test kills it (SIGKILL: no cleanup, no flush) once the journal shows a given progress, then resumes in
this process. The emulator's own task list (``/_emulator/state``) is the evidence: no input gets two tasks
(0 duplicate paid submissions), and every task created is either saved on disk or reported to the caller as
``outcome_unknown`` for the one input whose POST was cut off (0 lost results).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modellix_typed import Modellix, PollPolicy
from modellix_typed.emulator import EmulatorConfig, Fault, RunningEmulator, running_emulator

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KEY = "journal-kill-key"
INPUTS = 8
SLUG = "google/nano-banana"
FAST = PollPolicy(first_delay=0.01, max_delay=0.03, multiplier=1.5, default_timeout=30.0)

WORKER = """
import sys
from modellix_typed import Modellix, PollPolicy
base_url, journal, out, n = sys.argv[1:5]
poll = PollPolicy(first_delay=0.01, max_delay=0.03, multiplier=1.5, default_timeout=30.0)
with Modellix(base_url=base_url, poll_policy=poll) as client:
    items = [("google/nano-banana", {"prompt": f"kill test {i}"}) for i in range(int(n))]
    client.batch(items, journal=journal, download=out)
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(api_keys=(KEY,), time_scale=0.03, concurrency_limit=3, rpm_limit=None)  # t2i: 0.15 s
    with running_emulator(config) as emu:
        yield emu


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")[:-1]  # the last piece may be a line being written
    return [json.loads(line) for line in lines]


def _count(event: str) -> Callable[[list[dict[str, Any]]], int]:
    return lambda events: sum(1 for e in events if e["event"] == event)


# (name, journal condition to kill at, fault to arm so the kill lands inside a POST)
KILL_POINTS: list[tuple[str, Callable[[list[dict[str, Any]]], bool], Fault | None]] = [
    ("as soon as every intent is written", lambda ev: _count("intent")(ev) == INPUTS, None),
    ("between intent and task id (POST on the wire)", lambda ev: _count("sending")(ev) >= 1,
     Fault(kind="slow", route="submit", delay=0.6)),
    ("after 2 task ids", lambda ev: _count("task")(ev) >= 2, None),
    ("after 3 results saved", lambda ev: _count("saved")(ev) >= 3, None),
]


@pytest.mark.parametrize("name,condition,fault", KILL_POINTS, ids=[k[0] for k in KILL_POINTS])
def test_sigkill_mid_batch_then_resume_pays_once_and_loses_nothing(
    emulator: RunningEmulator,
    tmp_path: Path,
    name: str,
    condition: Callable[[list[dict[str, Any]]], bool],
    fault: Fault | None,
) -> None:
    emulator.reset()
    if fault is not None:
        emulator.inject(fault)
    journal, out = tmp_path / "batch.jsonl", tmp_path / "out"
    env = {**os.environ, "MODELLIX_API_KEY": KEY, "MODELLIX_POLL_STATS": "off"}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, emulator.base_url, str(journal), str(out), str(INPUTS)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not condition(_events(journal)):
            assert worker.poll() is None, f"the batch ended before the kill point: {worker.stderr.read()!r}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "kill point never reached"
            time.sleep(0.002)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
        assert worker.stderr is not None
        worker.stderr.close()
    killed_at = _events(journal)
    if fault is not None:
        time.sleep(fault.delay + 0.1)  # let the cut-off POST finish server-side: its task may exist

    with Modellix(KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
        outcomes = client.resume(journal)
        for _ in range(10):
            # A 429 while the killed worker's tasks still held the team's slots created nothing: the input is
            # rate_limited (never re-sent by itself) until a resume is asked to send it again, as a user would.
            if not any(o.kind == "rate_limited" for o in outcomes):
                break
            time.sleep(0.2)
            outcomes = client.resume(journal, retry_rate_limited=True)

    events = _events(journal)
    tasks_by_index: dict[int, set[str]] = {}
    for e in events:
        if e["event"] == "task":
            tasks_by_index.setdefault(e["index"], set()).add(e["task_id"])
    created = {t["task_id"] for t in httpx.get(f"{emulator.base_url}/_emulator/state").json()["tasks"]}
    journaled = set().union(*tasks_by_index.values()) if tasks_by_index else set()
    unknown = [o for o in outcomes if o.kind == "outcome_unknown"]
    cut_off = {e["index"] for e in killed_at if e["event"] == "sending"} - {
        e["index"] for e in killed_at if e["event"] in ("task", "rejected")
    }

    # 0 duplicate paid submissions: one task per input at most, and no task the journal does not explain
    # except (at most) one per input whose POST was cut off.
    assert all(len(ids) == 1 for ids in tasks_by_index.values()), tasks_by_index
    assert len(created - journaled) <= len(unknown)
    assert journaled <= created
    assert emulator.stats()["tasks_created"] == len(created) <= INPUTS
    # 0 lost results: every input is saved on disk, or reported as outcome_unknown (only a cut-off POST).
    assert {o.index for o in unknown} == cut_off
    if fault is not None:
        assert cut_off, "the kill was meant to land between an intent and its task id"
    saved = {o.index for o in outcomes if o.kind == "success"}
    assert saved | cut_off == set(range(INPUTS)) and not saved & cut_off
    for o in outcomes:
        if o.kind == "success":
            png = out / f"{o.task_id}-0.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list(out.iterdir())) == len(saved)  # nothing partial left behind
