"""``modellix-typed batch``: JSON Lines in, one result per line out, against a real emulator (limit 3)."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from modellix_typed.emulator import EmulatorConfig, Fault, RunningEmulator, running_emulator

from .conftest import BIN, KEY, clean_env, cli, read_terminal

SLUG = "google/nano-banana"


@pytest.fixture()
def env(emu: RunningEmulator) -> dict[str, str]:
    emu.reset()  # fresh stats and faults for every test
    return {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emu.base_url}


def jsonl(*items: dict[str, Any] | str) -> str:
    return "\n".join(item if isinstance(item, str) else json.dumps(item) for item in items) + "\n"


def request(n: int, **extra: Any) -> dict[str, Any]:
    return {"model": SLUG, "body": {"prompt": f"picture {n}"}, **extra}


def statuses(emu: RunningEmulator) -> list[int | None]:
    return [r["status"] for r in emu.stats()["requests"]]


def test_six_lines_download_json_in_input_order(emu: RunningEmulator, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "batch.jsonl"
    source.write_text(jsonl(*(request(n, id=f"img-{n}") for n in range(6))))
    folder = tmp_path / "out"
    result = cli("batch", str(source), "--download", str(folder), "--json", env=env)
    assert result.code == 0, result.out + result.err
    doc = result.json()
    assert doc["ok"] is True
    assert doc["summary"]["total"] == 6 and doc["summary"]["success"] == 6
    assert [r["line"] for r in doc["results"]] == [1, 2, 3, 4, 5, 6]
    assert [r["id"] for r in doc["results"]] == [f"img-{n}" for n in range(6)]
    for item in doc["results"]:
        assert item["outcome"] == "success" and item["error"] is None and item["model"] == SLUG
        assert len(item["files"]) == 1
        saved = Path(item["files"][0])
        assert saved.parent == folder and saved.name.startswith(item["task_id"]) and saved.stat().st_size > 0
    assert len({r["task_id"] for r in doc["results"]}) == 6
    assert emu.stats()["tasks_created"] == 6
    assert 429 not in statuses(emu)  # never more than the key's 3 tasks in flight


def test_invalid_line_lists_every_problem_and_sends_nothing(
    emu: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    text = jsonl(
        request(1),
        '{"model": "google/nano-banana", "body": ',
        {"body": {"prompt": "no model"}},
        request(4, id="dup"),
        {"model": SLUG, "body": {"prompt": "x", "aspectRatio": "7:3"}, "id": "dup"},
        {"model": "google/nano-banan", "body": {"prompt": "typo"}},
    )
    result = cli("batch", "-", "--json", env=env, input=text)
    assert result.code == 3, result.out + result.err
    error = result.json()["error"]
    assert error["type"] == "ValidationError" and "nothing was sent" in error["message"]
    found = {(i["line"], i["path"], i["rule"]) for i in error["issues"]}
    assert found == {
        (2, "", "json"),
        (3, "model", "required"),
        (5, "id", "unique"),
        (5, "body.aspectRatio", "enum"),
        (6, "model", "known_model"),
    }
    assert "google/nano-banana" in next(i for i in error["issues"] if i["line"] == 6)["message"]  # did-you-mean

    human = cli("batch", "-", env=env, input=text)
    assert human.code == 3 and human.out == ""
    assert "line 2: <line>: not valid JSON" in human.err and "line 5: body.aspectRatio:" in human.err
    stats = emu.stats()
    assert stats["tasks_created"] == 0 and stats["requests"] == []  # not even a poll: nothing was sent

    empty = cli("batch", "-", env=env, input="\n\n")
    assert empty.code == 2 and "no requests" in empty.err


def test_failed_task_is_one_outcome_among_successes(emu: RunningEmulator, env: dict[str, str]) -> None:
    emu.inject(Fault(kind="fail_task", route="submit", message="content policy violation"))
    # one task in flight at a time: the fault hits the first line's submission
    result = cli("batch", "-", "--max-concurrency", "1", env=env, input=jsonl(request(1), request(2), request(3)))
    assert result.code == 4, result.out + result.err  # 4: the only problem is a failed task
    rows = result.out.splitlines()
    assert rows[0].startswith("line 1") and " failed " in rows[0] and "content policy violation" in rows[0]
    assert rows[1].startswith("line 2") and " success " in rows[1]
    assert rows[2].startswith("line 3") and " success " in rows[2]
    assert rows[-1] == "2 of 3 succeeded; 1 failed"
    assert emu.stats()["tasks_created"] == 3


def test_failed_download_does_not_stop_the_others(emu: RunningEmulator, env: dict[str, str], tmp_path: Path) -> None:
    emu.inject(Fault(kind="fail_task", route="submit"))
    emu.inject(Fault(kind="status", route="download", status=500))
    folder = tmp_path / "files"
    text = jsonl(request(1), request(2, id=7), request(3), request(4))
    result = cli("batch", "-", "--max-concurrency", "1", "--download", str(folder), "--json", env=env, input=text)
    assert result.code == 1, result.out + result.err  # download failure (1) outranks a failed task (4)
    doc = result.json()
    assert doc["ok"] is False
    assert [r["outcome"] for r in doc["results"]] == ["failed", "download_failed", "success", "success"]
    assert doc["results"][1]["id"] == 7
    failed, lost, *fine = doc["results"]
    assert failed["error"]["type"] == "TaskFailed" and failed["files"] == []
    assert lost["files"] == [] and lost["task_id"] and f"task download {lost['task_id']}" in lost["error"]["message"]
    assert all(Path(r["files"][0]).is_file() for r in fine)
    assert sorted(p.name.split("-0.")[0] for p in folder.iterdir()) == sorted(r["task_id"] for r in fine)
    assert doc["summary"] == {
        "total": 4,
        "success": 2,
        "failed": 1,
        "rejected": 0,
        "rate_limited": 0,
        "outcome_unknown": 0,
        "skipped": 0,
        "timeout": 0,
        "error": 0,
        "download_failed": 1,
        "running": 0,
        "not_sent": 0,
    }


def test_progress_bar_on_a_terminal_stderr_only(env: dict[str, str]) -> None:
    assert BIN is not None
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [BIN, "batch", "-", "--json"],
        env=clean_env({**env, "TERM": "xterm", "COLUMNS": "120"}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=secondary,
        text=True,
    )
    os.close(secondary)
    out, _ = process.communicate(jsonl(request(1), request(2), request(3)), timeout=30)
    screen = read_terminal(primary)
    assert process.returncode == 0, out + screen
    assert "3/3" in screen and "3 succeeded" in screen and "0 failed" in screen
    assert KEY not in out + screen
    assert json.loads(out)["summary"]["success"] == 3  # stdout is only the JSON document


@pytest.mark.usefixtures("ctrl_c_works")
def test_ctrl_c_stops_submitting_and_exits_130(tmp_path: Path) -> None:
    """SIGINT after the first task is created: no more POSTs, the finished items listed, exit 130."""
    assert BIN is not None
    config = EmulatorConfig(api_keys=(KEY,), time_scale=0.2, concurrency_limit=3)  # ~1 s per image task
    with running_emulator(config) as slow:
        env = clean_env({"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": slow.base_url})
        source = tmp_path / "nine.jsonl"
        source.write_text(jsonl(*(request(n) for n in range(9))))
        process = subprocess.Popen(
            [BIN, "batch", str(source), "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 20
        while slow.stats()["tasks_created"] < 1 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        time.sleep(0.3)  # a lingering worker would submit now
        created = slow.stats()["tasks_created"]
    assert process.returncode == 130, out + err
    assert 1 <= created < 9
    doc = json.loads(out)
    assert doc["ok"] is False and doc["error"]["type"] == "Interrupted"
    assert len(doc["results"]) == 9  # every input listed: the ones never sent as "not_sent"
    assert [r["outcome"] == "not_sent" for r in doc["results"]].count(True) == 9 - created
    assert all(r["task_id"] is None for r in doc["results"] if r["outcome"] == "not_sent")
    # every task the server created is listed (finished, or cut short with its id to resume)
    assert len({r["task_id"] for r in doc["results"] if r["task_id"]}) == created
    assert KEY not in out + err
