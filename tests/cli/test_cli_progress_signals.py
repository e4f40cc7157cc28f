"""The CLI in CI logs and terminals: the task id at once, heartbeats, and SIGINT/SIGTERM/SIGHUP that stop a
wait (or a journaled batch) with the exact command that continues it. Real subprocesses, a real emulator.

Every child is started with SIGINT at its default (a test run in a background job inherits SIGINT ignored,
and a CLI started so keeps it ignored, as a shell expects).
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modellix_typed.emulator import RunningEmulator
from modellix_typed.emulator.config import EmulatorConfig
from modellix_typed.emulator.server import running_emulator

from .conftest import BIN, KEY, clean_env, read_terminal

SLUG = "google/nano-banana"
BODY = json.dumps({"prompt": "a lighthouse"})
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


# The CLI started through a tiny exec wrapper that sets SIGINT back to its default first (a disposition survives
# exec; preexec_fn is unsafe in this multithreaded test process).
SIGINT_DEFAULT = [
    sys.executable, "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
]


def launch(*args: str) -> list[str]:
    """argv that runs ``modellix-typed ARGS`` with SIGINT at its default."""
    assert BIN is not None
    return [*SIGINT_DEFAULT, BIN, *args]


@pytest.fixture(scope="module")
def slow() -> Iterator[RunningEmulator]:
    """Image tasks of about 3 s (time scale 0.6), a team of 3 slots."""
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=0.6, concurrency_limit=3)) as running:
        yield running


@pytest.fixture()
def env(slow: RunningEmulator) -> dict[str, str]:
    slow.reset()
    return clean_env({"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": slow.base_url})


class Child:
    """A CLI subprocess whose stderr lines are read as they arrive, each with its arrival time."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        assert BIN is not None
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            launch(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for _, line in self.lines):
            assert time.monotonic() < deadline and self.process.poll() is None, self.err
            time.sleep(0.02)

    def finish(self, timeout: float = 30) -> tuple[int, str, float]:
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        code = self.process.wait(timeout=timeout)
        ended = time.monotonic()
        self.reader.join(timeout=5)
        assert KEY not in out + self.err
        return code, out, ended

    @property
    def err(self) -> str:
        return "\n".join(line for _, line in self.lines)


def _posts(emu: RunningEmulator) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "POST")


def _polled(emu: RunningEmulator) -> bool:
    return any(r["path"].startswith("/api/v1/tasks/") for r in emu.stats()["requests"])


def test_without_a_tty_the_task_id_comes_at_once_then_status_lines_and_heartbeats(
    slow: RunningEmulator, env: dict[str, str]
) -> None:
    child = Child(["run", SLUG, "--body", BODY, "--json", "--heartbeat", "0.5"], env)
    code, out, ended = child.finish()
    assert code == 0, out + child.err
    task_id = json.loads(out)["task_id"]  # stdout is only the JSON document
    first_at, first = child.lines[0]
    assert first == f"submitted {SLUG} as {task_id}"
    assert ended - first_at > 1.5, child.lines  # the id arrived while the ~3 s task still ran, not at its end
    assert any(line == f"task {task_id}: processing after 0s" or
               (line.startswith(f"task {task_id}: processing after ")) for _, line in child.lines)
    beats = [line for _, line in child.lines if line.startswith(f"task {task_id}: still processing after ")]
    assert len(beats) >= 2, child.err  # a heartbeat every 0.5 s with the elapsed time
    assert child.lines[-1][1].startswith(f"task {task_id}: success after ")


def test_heartbeat_zero_keeps_only_status_changes(slow: RunningEmulator, env: dict[str, str]) -> None:
    child = Child(["run", SLUG, "--body", BODY, "-q", "--heartbeat", "0"], env)
    code, out, _ = child.finish()
    assert code == 0 and out.strip().startswith("http"), out + child.err
    assert not any("still" in line for _, line in child.lines)
    assert [line.split(": ")[-1].split(" after")[0] for _, line in child.lines[1:]] == ["processing", "success"]


def test_a_terminal_gets_one_live_line_with_status_and_elapsed_time(slow: RunningEmulator, env: dict[str, str]) -> None:
    assert BIN is not None
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        launch("run", SLUG, "--body", BODY), env={**env, "TERM": "xterm", "COLUMNS": "120"},
        stdout=secondary, stderr=secondary,
    )
    os.close(secondary)
    screen = read_terminal(primary)
    process.wait(timeout=30)
    assert process.returncode == 0, screen
    task_id = screen.split("submitted google/nano-banana as ")[1].split()[0]
    assert f"\r\x1b[Ktask {task_id}: processing 2s" in screen  # rewritten in place as the seconds pass
    assert f"task {task_id}: success in" in screen  # the result, on a cleared line


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_while_run_waits_prints_the_resume_command(
    slow: RunningEmulator, env: dict[str, str], sig: signal.Signals
) -> None:
    child = Child(["run", SLUG, "--body", BODY, "--json"], env)
    child.wait_for("submitted ")
    child.process.send_signal(sig)
    code, out, _ = child.finish()
    assert code == 128 + sig, out + child.err  # 130 SIGINT, 143 SIGTERM, 129 SIGHUP
    error = json.loads(out)["error"]
    name = "Ctrl+C" if sig == signal.SIGINT else signal.Signals(sig).name
    assert error["type"] == "Interrupted" and f"({name})" in error["message"]
    assert error["resume"] == f"modellix-typed task wait {error['task_id']}"
    resumed = subprocess.run([BIN or "", "task", "wait", error["task_id"], "--json"], env=env, capture_output=True,
                             text=True, timeout=30, check=False)
    assert resumed.returncode == 0 and json.loads(resumed.stdout)["task"]["status"] == "success", resumed.stderr
    assert _posts(slow) == 1  # the resume sent nothing


def test_sigterm_during_task_wait_names_the_task_and_the_base_url(slow: RunningEmulator, env: dict[str, str]) -> None:
    submitted = subprocess.run([BIN or "", "run", SLUG, "--body", BODY, "--no-wait", "-q"], env=env,
                               capture_output=True, text=True, timeout=30, check=False)
    task_id = submitted.stdout.strip()
    without_env = {k: v for k, v in env.items() if k != "MODELLIX_BASE_URL"}
    child = Child(["--base-url", slow.base_url, "task", "wait", task_id], without_env)
    child.wait_for(f"waiting for task {task_id}")
    child.process.send_signal(signal.SIGTERM)
    code, out, _ = child.finish()
    assert code == 143, out + child.err
    assert f"resume with `modellix-typed --base-url {slow.base_url} task wait {task_id}`" in child.err
    assert _posts(slow) == 1


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
    assert slow.stats()["tasks_created"] == 5 and _posts(slow) == 5  # each input sent exactly once


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
