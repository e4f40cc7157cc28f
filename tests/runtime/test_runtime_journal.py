"""The batch journal: what is recorded before and after each paid POST, and what resume does with it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modellix_typed import AsyncModellix, Modellix
from modellix_typed.client import prepare
from modellix_typed.emulator import Fault, RunningEmulator
from modellix_typed.journal import Journal, JournalError, JournalLocked

from .conftest import API_KEY, FAST_POLL, FAST_RETRY


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _posts(emu: RunningEmulator) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "POST" and r["route"] == "submit")


def test_batch_journals_intents_before_posts_and_task_ids_after(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    outcomes = make_either(emu).batch([Image(f"p{i}") for i in range(4)], journal=path)
    assert [o.kind for o in outcomes] == ["success"] * 4
    events = _events(path)
    assert events[0]["event"] == "batch" and events[0]["items"] == 4
    intents = events[1:5]
    assert [e["event"] for e in intents] == ["intent"] * 4  # every intent before any POST
    assert [e["body"] for e in intents] == [{"prompt": f"p{i}"} for i in range(4)]
    assert intents[0]["slug"] == "rt/image-model" and len(intents[0]["sha256"]) == 64
    for i, outcome in enumerate(outcomes):
        mine = [e for e in events[5:] if e["index"] == i]
        assert [e["event"] for e in mine] == ["sending", "task", "done"]
        assert mine[1]["task_id"] == outcome.task_id and mine[2]["status"] == "success"


def test_resume_reattaches_known_tasks_without_posting_again(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    client = make_either(emu)
    first = client.batch([Image(f"p{i}") for i in range(3)], journal=path)
    resumed = client.resume(path, download=tmp_path / "out")
    assert _posts(emu) == 3 and emu.stats()["tasks_created"] == 3
    assert [(o.kind, o.task_id) for o in resumed] == [("success", o.task_id) for o in first]
    saved = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert saved == sorted(f"{o.task_id}-0.png" for o in first)
    # Everything saved: a third pass needs no request at all.
    emu.reset()
    again = client.resume(path)
    assert [o.kind for o in again] == ["success"] * 3 and emu.stats()["requests"] == []


def test_resume_sends_never_sent_and_refused_inputs_but_not_unknown_ones(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    """Input 0 got its task id, 1 died mid-POST (outcome unknown), 2 was never sent, 3 was refused (400)."""
    client = make_either(emu)
    path = tmp_path / "batch.jsonl"
    items = [prepare(Image(f"p{i}")) for i in range(4)]
    with Journal.create(path) as book:
        book.start(items)
        book.post(0, lambda: client._submit(items[0]), lambda task: task.task_id)
        book._event("sending", 1)
        book.post_failed(3, _bad_request())
    known = _events(path)[-1]
    assert known["event"] == "rejected" and "BadRequest" in known["error"]
    created = emu.stats()["tasks_created"]

    outcomes = client.resume(path)
    assert [o.kind for o in outcomes] == ["success", "outcome_unknown", "success", "success"]
    assert "may have created a task" in str(outcomes[1].error)
    assert emu.stats()["tasks_created"] == created + 2  # inputs 2 and 3 only

    # Asked explicitly, the unknown input is sent again (the caller accepts a possible double charge).
    outcomes = client.resume(path, resubmit_unknown=True)
    assert [o.kind for o in outcomes] == ["success"] * 4
    assert emu.stats()["tasks_created"] == created + 3


def _bad_request() -> Exception:
    from modellix_typed.errors import BadRequest

    return BadRequest(400, "Invalid parameters", "prompt: too long", method="POST", path="/api/v1/rt/image-model")


def test_a_torn_last_line_is_ignored_and_cut_off(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    with Journal.create(path) as book:
        book.start([prepare(Image("torn"))])
    intact = path.read_bytes()
    with path.open("ab") as f:
        f.write(b'{"event":"sending","ind')  # the process died mid-write
    outcomes = make_either(emu).resume(path)
    assert [o.kind for o in outcomes] == ["success"]  # never sent: submitted once
    assert emu.stats()["tasks_created"] == 1
    assert path.read_bytes().startswith(intact + b'{"event":"sending","index":0}\n')


def test_a_corrupt_line_before_the_end_is_an_error_naming_it(tmp_path: Path, Image: Any) -> None:
    path = tmp_path / "batch.jsonl"
    with Journal.create(path) as book:
        book.start([prepare(Image("x"))])
    path.write_bytes(path.read_bytes() + b"not json\n")
    with pytest.raises(JournalError, match=r"line 3 is corrupt"):
        Journal.open(path)
    with pytest.raises(JournalError, match=r"no such file"):
        Journal.open(tmp_path / "missing.jsonl")


def test_two_users_of_one_journal_cannot_race(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    with Journal.create(path) as book:
        book.start([prepare(Image("x"))])
        with pytest.raises(JournalLocked, match=r"in use by another batch or resume"):
            make_client(emu).resume(path)
    assert emu.stats()["requests"] == []
    with pytest.raises(JournalError, match=r"already records a batch: resume it"):
        make_client(emu).batch([Image("y")], journal=path)


def test_run_with_a_journal_then_resume(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    client = make_either(emu)
    result = client.run(Image("one"), journal=path)
    assert [e["event"] for e in _events(path)] == ["batch", "intent", "sending", "task", "done"]
    assert client.resume(path)[0].task_id == result.task_id
    assert emu.stats()["tasks_created"] == 1


def test_submit_with_a_journal_is_finished_by_resume_sync_and_async(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    """submit(journal=) records the intent and the task id and returns at once; resume waits for that task."""
    task = make_either(emu).submit(Image("journaled"), journal=tmp_path / "s.jsonl")
    assert [e["event"] for e in _events(tmp_path / "s.jsonl")] == ["batch", "intent", "sending", "task"]
    assert [(o.kind, o.task_id) for o in make_either(emu).resume(tmp_path / "s.jsonl")] == [("success", task.task_id)]
    assert emu.stats()["tasks_created"] == 1 and _posts(emu) == 1


def test_async_batch_run_and_resume_share_the_journal(
    emu: RunningEmulator, Image: Any, tmp_path: Path
) -> None:
    emu.inject(Fault(kind="drop", route="submit"))  # input 0's POST is read, its answer lost

    async def scenario() -> tuple[list[str], list[str], str]:
        async with AsyncModellix(API_KEY, base_url=emu.base_url, poll_policy=FAST_POLL, retry_policy=FAST_RETRY) as c:
            first = await c.batch([Image(f"a{i}") for i in range(3)], journal=tmp_path / "b.jsonl", max_concurrency=1)
            again = await c.resume(tmp_path / "b.jsonl", download=tmp_path / "out")
            result = await c.run(Image("solo"), journal=tmp_path / "r.jsonl")
            return [o.kind for o in first], [o.kind for o in again], result.task_id

    first, again, solo = asyncio.run(scenario())
    assert first == again == ["outcome_unknown", "success", "success"]
    assert emu.stats()["tasks_created"] == 4  # the dropped POST's task, 2 more, the run: nothing twice
    assert len(list((tmp_path / "out").iterdir())) == 2
    assert _events(tmp_path / "r.jsonl")[3] == {"event": "task", "index": 0, "task_id": solo}


def test_a_post_refused_before_sending_is_sent_by_resume(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    from modellix_typed.errors import ClientClosed

    path = tmp_path / "run.jsonl"
    closed = make_either(emu)
    closed.close()
    with pytest.raises(ClientClosed):
        closed.run(Image("late"), journal=path)
    assert _events(path)[-1]["event"] == "rejected"  # nothing left the machine: safe to send
    assert [o.kind for o in make_either(emu).resume(path)] == ["success"]
    assert emu.stats()["tasks_created"] == 1
