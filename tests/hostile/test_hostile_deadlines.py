"""Deadlines are wall-clock: a server that trickles one byte every 0.5 s or stalls cannot hold a wait or a run
past its deadline (plus :data:`DEADLINE_MARGIN`). Each case records its measured time (the table in the issue's
note). One request's deadline, and a POST cut off after sending: ``test_hostile_deadlines_requests``.
"""

from __future__ import annotations

import pytest

from modellix_typed.errors import TaskTimeout

from .conftest import (
    LONG,
    POLL_BODY,
    SLACK,
    SLUG,
    SUBMIT_PATH,
    TASK_ID,
    TASK_PATH,
    Act,
    HostileServer,
    call,
    envelope,
    flavours,
    record_time,
    reply,
    task_data,
    trickle,
)

HEAD_END = POLL_BODY.index(b"\r\n\r\n") + 4


HOSTILE_READS = {
    "trickle the whole reply, 1 byte / 0.5 s": trickle(),
    "trickle the body after quick headers": Act("trickle", POLL_BODY[HEAD_END:], head=POLL_BODY[:HEAD_END]),
    "stall before the headers": Act("stall", b""),
    "stall after the headers": Act("stall", POLL_BODY[:HEAD_END]),
}


@flavours
@pytest.mark.parametrize("case", list(HOSTILE_READS))
def test_wait_timeout_is_wall_clock_whatever_the_poll_reply_does(
    flavour: str, case: str, hostile: HostileServer
) -> None:
    hostile.on("GET", TASK_PATH, HOSTILE_READS[case])
    error, elapsed = call(flavour, hostile, lambda c: c.tasks.wait(TASK_ID, timeout=3), timeouts=LONG)
    record_time(f"wait(timeout=3), {case}", flavour, 3.0, elapsed, type(error).__name__)
    assert isinstance(error, TaskTimeout) and error.task_id == TASK_ID
    assert 3.0 - 0.05 <= elapsed < 3.0 + SLACK


@flavours
def test_run_timeout_covers_the_wait_when_polls_trickle(flavour: str, hostile: HostileServer) -> None:
    hostile.on("POST", SUBMIT_PATH, reply(200, envelope(task_data("pending"))))
    hostile.on("GET", TASK_PATH, trickle())
    error, elapsed = call(flavour, hostile, lambda c: c.run(SLUG, {"prompt": "a cat"}, timeout=3), timeouts=LONG)
    record_time("run(timeout=3), polls trickle", flavour, 3.0, elapsed, type(error).__name__)
    assert isinstance(error, TaskTimeout)
    assert elapsed < 3.0 + SLACK
    assert len(hostile.requests("POST")) == 1


@flavours
def test_a_fast_server_is_unaffected_by_the_deadlines(flavour: str, hostile: HostileServer) -> None:
    """Control: the same calls against a prompt server succeed (the deadlines cut only the hostile ones)."""
    hostile.on("POST", SUBMIT_PATH, reply(200, envelope(task_data("pending"))))
    hostile.on(
        "GET",
        TASK_PATH,
        reply(200, envelope(task_data("processing"))),
        reply(200, envelope(task_data("success", result={"resources": ["http://127.0.0.1:1/x.png"]}))),
    )
    result, elapsed = call(flavour, hostile, lambda c: c.run(SLUG, {"prompt": "a cat"}, timeout=3))
    assert not isinstance(result, Exception), result
    assert result.status.value == "success" and elapsed < 3.0
