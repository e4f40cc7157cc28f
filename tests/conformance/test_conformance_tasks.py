"""Status words, result shapes, failure reasons and task identity, as the live API sends them (plain server)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from modellix_typed import Modellix, TaskResult, TaskStatus
from modellix_typed.errors import DownloadError, TaskCancelled, TaskFailed, TaskIdMismatch, TaskTimeout
from modellix_typed.polling import PollPolicy

from tests.flavours import either_client, flavours

from .conftest import API_KEY, FAST_POLL, FAST_RETRY, Answer, PlainServer, envelope

TASK = "/api/v1/tasks/task-7"


def wait(flavour: str, server: PlainServer, timeout: float = 5.0, updates: list[str] | None = None) -> TaskResult:
    """``client.tasks.wait("task-7")`` with a sync or an async client."""
    seen = updates if updates is not None else []
    with either_client(flavour, API_KEY, base_url=server.base_url, poll_policy=FAST_POLL, retry_policy=FAST_RETRY) as c:
        return c.tasks.wait("task-7", timeout=timeout, on_update=lambda r: seen.append(r.raw_status))  # type: ignore[no-any-return]


def task(status: str, **extra: Any) -> Answer:
    return envelope({"task_id": "task-7", "status": status, **extra})


DONE = {"result": {"resources": [{"url": "https://cdn.example/x.png", "type": "image", "format": "png"}]}}


@flavours
@pytest.mark.parametrize("words", [("pending", "processing", "success"), ("queued", "running", "completed"),
                                   ("QUEUED", "Running", "SUCCEEDED"), ("Pending", "mystery-state", "Success")])
def test_every_status_vocabulary_waits_then_succeeds(flavour: str, server: PlainServer, words: tuple[str, ...]) -> None:
    waiting, running, done = words
    server.on("GET", TASK, task(waiting), task(running), task(done, **DONE))
    updates: list[str] = []
    result = wait(flavour, server, updates=updates)
    assert result.status is TaskStatus.SUCCESS and result.raw_status == done
    assert [r.url for r in result.resources] == ["https://cdn.example/x.png"]
    assert updates == [waiting, running, done]  # unknown words are kept raw, and waited through


def test_status_words_map_to_their_meaning() -> None:
    from modellix_typed.results import parse_task

    expected = {
        "pending": TaskStatus.PENDING, "queued": TaskStatus.PENDING, "processing": TaskStatus.PROCESSING,
        "running": TaskStatus.PROCESSING, "success": TaskStatus.SUCCESS, "succeeded": TaskStatus.SUCCESS,
        "completed": TaskStatus.SUCCESS, "failed": TaskStatus.FAILED, "error": TaskStatus.FAILED,
        "canceled": TaskStatus.CANCELLED, "cancelled": TaskStatus.CANCELLED, "warming_up": TaskStatus.UNKNOWN,
    }
    for word, status in expected.items():
        parsed = parse_task({"task_id": "t", "status": word.upper()})
        assert (parsed.status, parsed.raw_status, parsed.done) == (status, word.upper(), status.terminal)
    assert not TaskStatus.UNKNOWN.terminal and TaskStatus.CANCELLED.terminal


@flavours
@pytest.mark.parametrize("word", ["failed", "error", "FAILED"])
def test_failed_task_reason_from_the_top_level_message(flavour: str, server: PlainServer, word: str) -> None:
    server.on("GET", TASK, envelope({"task_id": "task-7", "status": word}, message="Content policy: prompt refused"))
    with pytest.raises(TaskFailed) as caught:
        wait(flavour, server)
    assert type(caught.value) is TaskFailed and caught.value.message == "Content policy: prompt refused"


@flavours
def test_a_reason_in_data_wins_and_a_success_message_is_no_reason(flavour: str, server: PlainServer) -> None:
    server.on("GET", TASK, envelope({"task_id": "task-7", "status": "failed", "error": "GPU lost"}, "Task failed"))
    with pytest.raises(TaskFailed, match="GPU lost"):
        wait(flavour, server)
    server.on("GET", TASK, envelope({"task_id": "task-7", "status": "failed"}))
    with pytest.raises(TaskFailed) as caught:
        wait(flavour, server)
    assert caught.value.message == "" and "no error message from the server" in str(caught.value)


@flavours
@pytest.mark.parametrize("word", ["canceled", "cancelled", "Cancelled"])
def test_cancelled_is_a_typed_failure_of_its_own(flavour: str, server: PlainServer, word: str) -> None:
    server.on("GET", TASK, task("running"), envelope({"task_id": "task-7", "status": word}, "Cancelled by user"))
    with pytest.raises(TaskCancelled) as caught:
        wait(flavour, server)
    assert isinstance(caught.value, TaskFailed)  # `except TaskFailed` still catches it
    assert caught.value.message == "Cancelled by user" and "was cancelled" in str(caught.value)


@flavours
def test_timeout_names_the_last_status_actually_seen(flavour: str, server: PlainServer) -> None:
    server.on("GET", TASK, task("Running"))
    with pytest.raises(TaskTimeout) as caught:
        wait(flavour, server, timeout=0.2)
    assert caught.value.last_status == "Running" and "last status: Running" in str(caught.value)


@flavours
def test_timeout_after_response_problems_says_what_went_wrong_never_none(flavour: str, server: PlainServer) -> None:
    server.on("GET", TASK, Answer(200, b"<html>gateway</html>"))
    with pytest.raises(TaskTimeout) as caught:
        wait(flavour, server, timeout=0.2)
    text = str(caught.value)
    assert "None" not in text and "last poll failed: InvalidResponse" in text and caught.value.last_error


@flavours
@pytest.mark.parametrize(
    "data",
    [
        {"result": {"resources": [{"url": "https://cdn.example/a.png"}, {"url": "https://cdn.example/b.png"}]}},
        {"resources": [{"url": "https://cdn.example/a.png", "type": "image"}, {"url": "https://cdn.example/b.png"}]},
        {"resources": ["https://cdn.example/a.png", "https://cdn.example/b.png"]},
        {"result": {"resources": ["https://cdn.example/a.png", {"url": "https://cdn.example/b.png"}]}},
    ],
    ids=["data.result.resources", "data.resources", "bare-urls", "mixed"],
)
def test_every_result_shape_yields_its_urls(flavour: str, server: PlainServer, data: dict[str, Any]) -> None:
    server.on("GET", TASK, task("completed", **data))
    result = wait(flavour, server)
    assert [r.url for r in result.resources] == ["https://cdn.example/a.png", "https://cdn.example/b.png"]


@flavours
def test_success_without_resources_logs_the_keys_and_download_says_so(
    flavour: str, server: PlainServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("GET", TASK, task("success", result={"outputs": ["x"]}, files=[]))
    caplog.set_level(logging.WARNING, "modellix_typed")
    options: dict[str, Any] = {"base_url": server.base_url, "poll_policy": FAST_POLL, "retry_policy": FAST_RETRY}
    with either_client(flavour, API_KEY, **options) as client:
        result = client.tasks.wait("task-7")
        assert "no resource URL" in caplog.text and "'outputs'" in caplog.text and "'files'" in caplog.text
        with pytest.raises(DownloadError) as caught:
            if isinstance(client, Modellix):
                result.download(tmp_path)  # a sync result is bound to its client
            else:
                client.download(result, tmp_path)
    message = str(caught.value)
    assert "succeeded but the server's reply holds no resource URL" in message
    assert "data.result.resources" in message and "'outputs'" in message
    assert list(tmp_path.iterdir()) == []


@flavours
def test_a_reply_about_another_task_is_a_typed_error_at_once(flavour: str, server: PlainServer) -> None:
    server.on("GET", TASK, envelope({"task_id": "task-8", "status": "success", **DONE}))
    with pytest.raises(TaskIdMismatch) as caught:
        wait(flavour, server, timeout=5.0)
    assert (caught.value.asked, caught.value.got) == ("task-7", "task-8")
    assert len(server.requests("GET")) == 1  # not polled again: it would read the wrong task again


@flavours
def test_get_also_rejects_another_task_id(flavour: str, server: PlainServer) -> None:
    server.on("GET", TASK, envelope({"task_id": "task-8", "status": "pending"}))
    with either_client(flavour, API_KEY, base_url=server.base_url, retry_policy=FAST_RETRY) as client:
        with pytest.raises(TaskIdMismatch):
            client.tasks.get("task-7")


@flavours
def test_poll_policy_unchanged_by_unknown_status(flavour: str, server: PlainServer) -> None:
    """An unknown status word is polled like 'processing' (no error, no early return)."""
    server.on("GET", TASK, task("held"), task("held"), task("success", **DONE))
    policy = PollPolicy(first_delay=0.01, max_delay=0.01, multiplier=1.0, default_timeout=5.0)
    options: dict[str, Any] = {"base_url": server.base_url, "poll_policy": policy, "retry_policy": FAST_RETRY}
    with either_client(flavour, API_KEY, **options) as client:
        assert client.tasks.wait("task-7").status is TaskStatus.SUCCESS
    assert len(server.requests("GET")) == 3
