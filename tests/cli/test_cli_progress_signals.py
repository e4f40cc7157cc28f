"""The CLI in CI logs and terminals: the task id at once, heartbeats, and SIGINT/SIGTERM/SIGHUP that stop a
wait with the exact command that continues it. Real subprocesses, a real emulator (:mod:`.children`);
a journaled batch stopped by a signal: ``test_cli_batch_signals``.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess

import pytest

from modellix_typed.emulator import RunningEmulator

from .children import (
    BODY,
    SIGNALS,
    SLUG,
    Child,
    child_env,
    launch,
    posts,
)
from .conftest import BIN, read_terminal


@pytest.fixture()
def env(slow: RunningEmulator) -> dict[str, str]:
    return child_env(slow)


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


def test_task_wait_on_a_terminal_names_the_task_on_its_own_line(slow: RunningEmulator, env: dict[str, str]) -> None:
    submitted = subprocess.run([BIN or "", "run", SLUG, "--body", BODY, "--no-wait", "-q"], env=env,
                               capture_output=True, text=True, timeout=30, check=False)
    task_id = submitted.stdout.strip()
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        launch("task", "wait", task_id), env={**env, "TERM": "xterm", "COLUMNS": "120"},
        stdout=secondary, stderr=secondary,
    )
    os.close(secondary)
    screen = read_terminal(primary)
    process.wait(timeout=30)
    assert process.returncode == 0, screen
    assert screen.startswith(f"waiting for task {task_id}\r\n"), screen  # then the live line, not glued to it
    assert f"\r\x1b[Ktask {task_id}: processing" in screen


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
    assert posts(slow) == 1  # the resume sent nothing


def test_a_run_started_under_nohup_leaves_sighup_ignored_and_finishes(slow: RunningEmulator, env: dict[str, str]) -> None:
    """``nohup modellix-typed run ...``: the terminal closing (SIGHUP) must not stop what nohup was asked to keep
    running; SIGTERM still would."""
    child = Child(["run", SLUG, "--body", BODY, "--json"], env, ignored=(signal.SIGHUP,))
    child.wait_for("submitted ")
    child.process.send_signal(signal.SIGHUP)
    code, out, _ = child.finish()
    assert code == 0 and json.loads(out)["task"]["status"] == "success", out + child.err
    assert posts(slow) == 1


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
    assert posts(slow) == 1
