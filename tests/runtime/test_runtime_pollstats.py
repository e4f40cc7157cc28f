"""Polling that learns: the stats file (bounded, shared by processes, opt-out) and the schedule it drives."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modellix_typed import Modellix, PollPolicy
from modellix_typed import pollstats
from modellix_typed.emulator import RunningEmulator
from modellix_typed.polling import LearnedPlan, PollSchedule
from modellix_typed.pollstats import PollStats, completion_sample, resolve
from modellix_typed.results import TaskResult, TaskStatus


def _gets(emu: RunningEmulator, task_id: str) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "GET" and r["path"].endswith(task_id))


def test_a_model_learned_once_is_polled_once_when_it_should_be_done(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, tmp_path: Path
) -> None:
    stats_file = tmp_path / "stats.json"
    client = make_client(emu, poll_stats=stats_file)
    blind = client.run(Image("first"))  # no history: the policy's backoff (every 10-50 ms for 0.3 s)
    learned = [client.run(Image(f"again {i}")) for i in range(2)]
    assert _gets(emu, blind.task_id) >= 5
    assert [_gets(emu, r.task_id) for r in learned] == [1, 1]  # polled once, at the learned completion
    saved = json.loads(stats_file.read_text())["models"][f"rt/image-model {emu.base_url}"]["samples"]
    # One sample per task: the server's duration (0.3 s), or a hair less when the poll that saw it done came
    # sooner after our own clock started than 0.3 s (the server's clock starts first: min(server, seen)).
    assert len(saved) == 3 and all(0.28 <= s <= 0.3 for s in saved), saved


def test_opting_out_writes_nothing(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MODELLIX_POLL_STATS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    default = resolve(None)
    assert default is not None and default.path == tmp_path / "cache" / "modellix-typed" / "poll-stats.json"
    make_client(emu, poll_stats=False).run(Image("x"))
    monkeypatch.setenv("MODELLIX_POLL_STATS", "off")
    make_client(emu).run(Image("y"))
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("MODELLIX_POLL_STATS", str(tmp_path / "env.json"))
    make_client(emu).run(Image("z"))
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == ["env.json"]


def test_the_file_is_bounded_per_model_and_in_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pollstats, "MAX_MODELS", 3)
    stats = PollStats(tmp_path / "s.json")
    for i in range(30):
        stats.record("a/one", 1.0 + i)
    assert stats.expected("a/one") == pollstats.Expectation(low=13.0, typical=21.0, high=29.0, samples=20)
    for slug in ("b/two", "c/three", "d/four"):
        stats.record(slug, 2.0)
    models = json.loads((tmp_path / "s.json").read_text())["models"]
    assert sorted(models) == ["b/two", "c/three", "d/four"]  # the least recently updated went first


WRITER = """
import sys, time
from pathlib import Path
from modellix_typed.pollstats import PollStats
path, slug, folder = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
stats = PollStats(path)
(folder / ("ready-" + slug.replace("/", "_"))).touch()
while not (folder / "go").exists():  # all writers start together
    time.sleep(0.001)
for i in range(40):
    stats.record(slug, 1.0 + i)
"""


def test_concurrent_writers_lose_no_sample(tmp_path: Path) -> None:
    """Separate processes (no fork of this threaded test process) read-merge-write the same file at once."""
    path = tmp_path / "s.json"
    slugs = [f"p/m{i}" for i in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), slug, str(tmp_path)]) for slug in slugs]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < len(slugs) and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    assert [p.wait(60) for p in procs] == [0] * 4
    models = json.loads(path.read_text())["models"]
    assert {slug: len(m["samples"]) for slug, m in models.items()} == {slug: pollstats.MAX_SAMPLES for slug in slugs}
    assert all(m["samples"][-1] == 40.0 for m in models.values())  # each writer's last sample survived


def test_a_broken_or_unwritable_file_only_disables_learning(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    stats = PollStats(path)
    assert stats.expected("a/b") is None
    stats.record("a/b", 2.0)  # rewritten from scratch
    assert stats.expected("a/b") is not None
    blocked = PollStats(tmp_path / "file" / "s.json")
    (tmp_path / "file").write_text("a file where a folder should be")
    blocked.record("a/b", 2.0)  # logged, not raised
    assert blocked.expected("a/b") is None


def test_learned_plan_polls_at_the_expected_time_then_in_short_gaps_then_backs_off() -> None:
    now = [0.0]
    policy = PollPolicy(first_delay=1.0, max_delay=3.0, multiplier=2.0, jitter=0.0, default_timeout=100)
    plan = LearnedPlan.around(policy, low=8.0, typical=10.0, high=12.0)
    assert plan == LearnedPlan(first_at=8.8, gap=0.8, until=12.8)  # one gap before typical, within a gap of low
    schedule = PollSchedule(policy, None, clock=lambda: now[0], plan=plan)
    delays = []
    for _ in range(8):
        delays.append(round(schedule.next_delay(), 3))
        now[0] += delays[-1]
    assert delays == [8.8, 0.8, 0.8, 0.8, 0.8, 0.8, 1.6, 3.0]
    assert LearnedPlan.around(policy, low=4.0, typical=10.0, high=12.0).first_at == 4.8  # wide spread: low + gap
    assert LearnedPlan.around(policy, low=10.0, typical=10.0, high=10.0).first_at == 10.0  # exact: on time
    short = LearnedPlan.around(policy, low=2.0, typical=2.5, high=3.0)
    assert short.gap == 0.4  # never below 0.4 x the policy's first delay


def _result(duration_ms: int | None) -> TaskResult:
    return TaskResult(task_id="t", status=TaskStatus.SUCCESS, duration_ms=duration_ms)


def test_completion_sample_prefers_the_server_duration_within_what_was_seen() -> None:
    assert completion_sample(_result(3500), upper=4.0, lower=3.0) == 3.5
    assert completion_sample(_result(9000), upper=4.0, lower=3.0) == 4.0  # cannot exceed when we saw it done
    assert completion_sample(_result(None), upper=4.0, lower=3.0) == 3.5  # between the last two polls
    assert completion_sample(_result(None), upper=4.0, lower=None) == 4.0 * pollstats.PROBE_FACTOR
