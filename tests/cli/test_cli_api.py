"""run / task commands against a real emulator, through the installed console script."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest

from modellix_typed.emulator.config import EmulatorConfig, Fault
from modellix_typed.emulator.server import RunningEmulator, running_emulator

from .conftest import BIN, KEY, clean_env, cli, read_terminal

SLUG = "google/nano-banana"
BODY = json.dumps({"prompt": "a lake at dawn"})


def test_run_wait_download(api_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "out" / "nested"
    result = cli("run", SLUG, "--body", BODY, "--download", str(folder), "--json", env=api_env)
    assert result.code == 0, result.out + result.err
    doc = result.json()
    assert doc["ok"] is True and doc["slug"] == SLUG
    task = doc["task"]
    assert task["status"] == "success" and task["task_id"] == doc["task_id"]
    assert task["resources"] and task["resources"][0]["url"].startswith(api_env["MODELLIX_BASE_URL"])
    # Every typed Resource field is in the stable JSON shape (role was once dropped).
    assert task["resources"][0]["role"] == "primary" and task["resources"][0]["format"] == "png"
    saved = [Path(p) for p in doc["downloaded"]]
    assert len(saved) == len(task["resources"])
    assert all(p.parent == folder and p.stat().st_size > 0 for p in saved)

    human = cli("run", SLUG, "--body-file", "-", "--wait", env=api_env, input=BODY)
    assert human.code == 0, human.err
    assert ": success" in human.out and "image" in human.out


def test_run_no_wait_then_task_get_wait_download(api_env: dict[str, str], tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(BODY)
    submitted = cli("run", SLUG, "--body-file", str(body), "--no-wait", "--json", env=api_env).json()
    assert submitted["ok"] is True and submitted["status"] == "submitted"
    task_id = submitted["task_id"]

    waited = cli("task", "wait", task_id, "--json", env=api_env).json()
    assert waited["ok"] is True and waited["task"]["status"] == "success"
    got = cli("task", "get", task_id, "--json", env=api_env).json()
    assert got["task"]["task_id"] == task_id and got["task"]["resources"] == waited["task"]["resources"]

    downloaded = cli("task", "download", task_id, str(tmp_path / "files"), env=api_env)
    assert downloaded.code == 0, downloaded.err
    files = list((tmp_path / "files").iterdir())
    assert len(files) == 1 and files[0].name.startswith(task_id) and f"saved {files[0]}" in downloaded.out


def test_failed_task_exits_4(emulator: RunningEmulator, api_env: dict[str, str]) -> None:
    emulator.inject(Fault(kind="fail_task", route="submit", message="content policy violation"))
    result = cli("run", SLUG, "--body", BODY, "--json", env=api_env)
    assert result.code == 4, result.out + result.err
    error = result.json()["error"]
    assert error["type"] == "TaskFailed" and error["task"]["status"] == "failed"
    assert error["reason"] == "content policy violation"
    again = cli("task", "wait", error["task_id"], env=api_env)
    assert again.code == 4 and f"task {error['task_id']} failed" in again.err


def test_timeout_exits_5_and_unfinished_task_cannot_download(tmp_path: Path) -> None:
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=1.0)) as slow:  # videos take 60 s
        env = {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": slow.base_url}
        result = cli("run", "google/veo-2-t2v", "--body", BODY, "--timeout", "0.5", "--json", env=env)
        assert result.code == 5, result.out + result.err
        error = result.json()["error"]
        assert error["type"] == "TaskTimeout" and f"task wait {error['task_id']}" in error["message"]
        assert error["last_status"] in ("pending", "processing")

        status = cli("task", "get", error["task_id"], env=env)
        assert status.code == 0 and status.out.startswith(f"task {error['task_id']}: p")
        early = cli("task", "download", error["task_id"], str(tmp_path), "--json", env=env)
        assert early.code == 1 and early.json()["error"]["type"] == "TaskNotFinished"
        assert list(tmp_path.iterdir()) == []


def test_key_errors(api_env: dict[str, str]) -> None:
    missing = cli("run", SLUG, "--body", BODY, env={"MODELLIX_BASE_URL": api_env["MODELLIX_BASE_URL"]})
    assert missing.code == 2 and "MODELLIX_API_KEY" in missing.err
    wrong_key = "wrong-" + KEY  # contains KEY: cli() asserts it is echoed nowhere
    rejected = cli("task", "get", "task-x", "--json", env={**api_env, "MODELLIX_API_KEY": wrong_key})
    assert rejected.code == 1
    assert rejected.json()["error"]["type"] == "AuthenticationError" and rejected.json()["error"]["status"] == 401


def test_invalid_body_is_not_sent(emulator: RunningEmulator, api_env: dict[str, str]) -> None:
    before = emulator.stats()
    result = cli("run", SLUG, "--body", '{"prompt": "x", "aspectRatio": "7:3"}', "--json", env=api_env)
    assert result.code == 3 and result.json()["error"]["issues"][0]["path"] == "aspectRatio"
    assert emulator.stats() == before
    both = cli("run", SLUG, "--body", BODY, "-", env=api_env, input=BODY)
    assert both.code == 2 and "exactly one request body" in both.err


def test_unknown_submission_outcome_exits_6(emulator: RunningEmulator, api_env: dict[str, str]) -> None:
    emulator.inject(Fault(kind="drop", route="submit"))
    result = cli("run", SLUG, "--body", BODY, "--json", env=api_env)
    assert result.code == 6, result.out + result.err
    error = result.json()["error"]
    assert error["type"] == "SubmissionOutcomeUnknown" and error["slug"] == SLUG and len(error["body_sha256"]) == 64


@pytest.mark.usefixtures("ctrl_c_works")
def test_ctrl_c_while_waiting_says_how_to_resume() -> None:
    # Real timing: the image task takes 5 s and the client's first poll comes after ~1 s. Interrupt once that
    # first poll is seen, i.e. while waiting (an interrupt during the POST itself is a different case).
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=1.0)) as slow:
        assert BIN is not None
        process = subprocess.Popen(
            [BIN, "run", SLUG, "--body", BODY, "--base-url", slow.base_url, "--json"],
            env=clean_env({"MODELLIX_API_KEY": KEY}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20

        def polled() -> bool:
            return any(r["path"].startswith("/api/v1/tasks/") for r in slow.stats()["requests"])

        while not polled() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 130, out + err
    error = json.loads(out)["error"]
    assert error["type"] == "Interrupted" and f"task wait {error['task_id']}" in error["message"]
    assert KEY not in out + err


def test_progress_only_on_a_terminal(api_env: dict[str, str]) -> None:
    piped = cli("run", SLUG, "--body", BODY, env=api_env)
    task_id = piped.out.split()[1].rstrip(":")
    assert piped.code == 0 and piped.err.startswith(f"submitted {SLUG} as {task_id}\n")  # the id, at once
    assert "\x1b" not in piped.err and "\r" not in piped.err  # plain lines when not a TTY
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=0.4)) as slow:  # images take 2 s
        assert BIN is not None
        primary, secondary = pty.openpty()
        process = subprocess.Popen(
            [BIN, "run", SLUG, "--body", BODY, "--base-url", slow.base_url],
            env=clean_env({"MODELLIX_API_KEY": KEY, "TERM": "xterm", "COLUMNS": "120"}),
            stdout=secondary,
            stderr=secondary,
        )
        os.close(secondary)
        screen = read_terminal(primary)
        process.wait(timeout=15)
    assert process.returncode == 0, screen
    assert ": processing" in screen and ": success" in screen  # the spinner followed the status
