"""``modellix-typed batch --journal FILE`` and ``batch resume FILE`` against a real emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modellix_typed.client import prepare
from modellix_typed.emulator import RunningEmulator
from modellix_typed.journal import Journal

from .conftest import KEY, cli

SLUG = "google/nano-banana"


@pytest.fixture()
def env(emu: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    emu.reset()
    return {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emu.base_url, "MODELLIX_POLL_STATS": "off"}


def _posts(emu: RunningEmulator) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "POST")


def test_journaled_batch_then_resume_sends_nothing_twice(
    emu: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    lines = [json.dumps({"model": SLUG, "body": {"prompt": f"p{n}"}, "id": f"x{n}"}) for n in range(3)]
    source.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n")  # a blank line: line numbers 1, 3, 4
    journal, out = tmp_path / "j.jsonl", tmp_path / "out"
    first = cli("batch", str(source), "--journal", str(journal), "--download", str(out), "--json", env=env)
    assert first.code == 0, first.out + first.err
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [e["label"] for e in events if e["event"] == "intent"] == [
        {"line": 1, "id": "x0"}, {"line": 3, "id": "x1"}, {"line": 4, "id": "x2"}
    ]
    assert sum(e["event"] == "saved" for e in events) == 3
    assert _posts(emu) == 3

    again = cli("batch", "resume", str(journal), "--json", env=env)
    assert again.code == 0, again.out + again.err
    doc = again.json()
    assert [(r["line"], r["id"], r["outcome"]) for r in doc["results"]] == [
        (1, "x0", "success"), (3, "x1", "success"), (4, "x2", "success")
    ]
    assert [r["files"] for r in doc["results"]] == [r["files"] for r in first.json()["results"]]
    assert _posts(emu) == 3  # everything saved: nothing sent again

    reused = cli("batch", str(source), "--journal", str(journal), "--json", env=env)
    assert reused.code == 2 and "already records a batch" in reused.json()["error"]["message"]
    assert _posts(emu) == 3


def test_resume_reports_an_unknown_outcome_and_resubmits_only_when_asked(
    emu: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    journal = tmp_path / "j.jsonl"
    items = [prepare(SLUG, {"prompt": f"q{n}"}) for n in range(2)]
    with Journal.create(journal) as book:
        book.start(items)
        book._event("sending", 1)  # killed while the POST of input 1 was on the wire
        locked = cli("batch", "resume", str(journal), "--json", env=env)
    assert locked.code == 2 and "in use by another batch or resume" in locked.json()["error"]["message"]

    result = cli("batch", "resume", str(journal), "--json", env=env)
    assert result.code == 6, result.out + result.err
    assert [r["outcome"] for r in result.json()["results"]] == ["success", "outcome_unknown"]
    assert emu.stats()["tasks_created"] == 1

    result = cli("batch", "resume", str(journal), "--resubmit-unknown", env=env)
    assert result.code == 0, result.out + result.err
    assert "2 of 2 succeeded" in result.out
    assert emu.stats()["tasks_created"] == 2


def test_resume_of_a_missing_journal_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    result: Any = cli("batch", "resume", str(tmp_path / "nope.jsonl"), env=env)
    assert result.code == 2 and "no such file" in result.err


def test_journaled_run_is_finished_by_resume_without_a_second_post(
    emu: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    """`run --journal`: waited and saved here, resume sends and saves nothing again; with --no-wait, resume
    finishes the task (waits and downloads) and still sends no second POST."""
    journal, out = tmp_path / "run.jsonl", tmp_path / "out"
    body = json.dumps({"prompt": "a lighthouse"})
    done = cli("run", SLUG, "--body", body, "--journal", str(journal), "--download", str(out), "--json", env=env)
    assert done.code == 0, done.out + done.err
    task_id, files = done.json()["task_id"], done.json()["downloaded"]
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines()]
    assert events == ["batch", "intent", "sending", "task", "done", "saved"]
    again = cli("batch", "resume", str(journal), "--json", env=env)
    assert again.code == 0, again.out + again.err
    assert [(r["outcome"], r["task_id"], r["files"]) for r in again.json()["results"]] == [("success", task_id, files)]
    assert _posts(emu) == 1

    later, out2 = tmp_path / "later.jsonl", tmp_path / "out2"
    submitted = cli("run", SLUG, "--body", body, "--no-wait", "--journal", str(later), env=env)
    assert submitted.code == 0 and f"batch resume {later}" in submitted.out, submitted.out + submitted.err
    resumed = cli("batch", "resume", str(later), "--download", str(out2), "--json", env=env)
    assert resumed.code == 0, resumed.out + resumed.err
    (result,) = resumed.json()["results"]
    assert result["outcome"] == "success" and [Path(f).parent for f in result["files"]] == [out2]
    assert _posts(emu) == 2  # one POST per run, none from either resume
