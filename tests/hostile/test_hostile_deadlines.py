"""Deadlines are wall-clock: a server that trickles one byte every 0.5 s or stalls cannot hold a request, a
wait, a run or a submit past its deadline (plus :data:`DEADLINE_MARGIN`); a POST cut off after sending is
"outcome unknown" and never sent twice. Each case records its measured time (the table in the issue's note).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from modellix_typed._core.deadline import DEADLINE_MARGIN
from modellix_typed.config import Timeouts
from modellix_typed.errors import APITimeout, SubmissionOutcomeUnknown, TaskTimeout

from .conftest import (
    SHORT,
    SLUG,
    SUBMIT_PATH,
    TASK_ID,
    TASK_PATH,
    Act,
    HostileServer,
    client_options,
    envelope,
    on_client,
    raw_response,
    record_time,
    reply,
    task_data,
)

# The documented margin, plus room for a shared 2-core CI machine (scheduling, thread start-up).
SLACK = DEADLINE_MARGIN + 1.0
flavours = pytest.mark.parametrize("flavour", ["sync", "async"])

POLL_BODY = raw_response(200, b'{"code":0,"message":"success","data":' + b'{"task_id":"task-h1","status":"processing"}}')


HEAD_END = POLL_BODY.index(b"\r\n\r\n") + 4


def trickle(data: bytes = POLL_BODY) -> Act:
    return Act("trickle", data, interval=0.5)


HOSTILE_READS = {
    "trickle the whole reply, 1 byte / 0.5 s": trickle(),
    "trickle the body after quick headers": Act("trickle", POLL_BODY[HEAD_END:], head=POLL_BODY[:HEAD_END]),
    "stall before the headers": Act("stall", b""),
    "stall after the headers": Act("stall", POLL_BODY[:HEAD_END]),
}


def call(flavour: str, server: HostileServer, action: Callable[[Any], Any], **overrides: Any) -> tuple[Any, float]:
    """``on_client`` timed: (exception or value, elapsed seconds, client set-up included)."""
    started = time.monotonic()
    value = on_client(flavour, server, action, **overrides)
    return value, time.monotonic() - started


@flavours
@pytest.mark.parametrize("case", list(HOSTILE_READS))
def test_wait_timeout_is_wall_clock_whatever_the_poll_reply_does(
    flavour: str, case: str, hostile: HostileServer
) -> None:
    hostile.on("GET", TASK_PATH, HOSTILE_READS[case])
    # Per-request budget far above the wait's: only the wait's own deadline can end it in time.
    long = Timeouts(connect=30.0, read=60.0, submit_read=60.0, download_read=60.0)
    error, elapsed = call(flavour, hostile, lambda c: c.tasks.wait(TASK_ID, timeout=3), timeouts=long)
    record_time(f"wait(timeout=3), {case}", flavour, 3.0, elapsed, type(error).__name__)
    assert isinstance(error, TaskTimeout) and error.task_id == TASK_ID
    assert 3.0 - 0.05 <= elapsed < 3.0 + SLACK


@flavours
def test_a_get_request_ends_at_connect_plus_read_however_slowly_bytes_arrive(
    flavour: str, hostile: HostileServer
) -> None:
    hostile.on("GET", TASK_PATH, trickle())
    no_retry = client_options(hostile)["retry_policy"].__class__(max_retries=0)
    error, elapsed = call(flavour, hostile, lambda c: c.tasks.get(TASK_ID), retry_policy=no_retry)
    budget = SHORT.connect + SHORT.read
    record_time("tasks.get() (connect 1 + read 2), trickle", flavour, budget, elapsed, type(error).__name__)
    assert isinstance(error, APITimeout)
    assert elapsed < budget + SLACK


@flavours
@pytest.mark.parametrize("case", ["trickle", "stall after the headers", "stall before the headers"])
def test_a_submit_cut_off_by_its_deadline_is_outcome_unknown_and_sent_once(
    flavour: str, case: str, hostile: HostileServer
) -> None:
    accepted = raw_response(200, b'{"code":0,"message":"success","data":{"task_id":"task-h1","status":"pending"}}')
    act = {
        "trickle": Act("trickle", accepted, interval=0.5),
        "stall after the headers": Act("stall", accepted[: accepted.index(b"\r\n\r\n") + 4]),
        "stall before the headers": Act("stall", b""),
    }[case]
    hostile.on("POST", SUBMIT_PATH, act)
    error, elapsed = call(flavour, hostile, lambda c: c.submit(SLUG, {"prompt": "a cat"}))
    budget = SHORT.connect + SHORT.submit_read
    record_time(f"submit (connect 1 + submit_read 2), {case}", flavour, budget, elapsed, type(error).__name__)
    assert isinstance(error, SubmissionOutcomeUnknown)
    assert len(hostile.requests("POST")) == 1  # never re-sent
    assert elapsed < budget + SLACK


@flavours
def test_run_timeout_covers_the_wait_when_polls_trickle(flavour: str, hostile: HostileServer) -> None:
    hostile.on("POST", SUBMIT_PATH, reply(200, envelope(task_data("pending"))))
    hostile.on("GET", TASK_PATH, trickle())
    long = Timeouts(connect=30.0, read=60.0, submit_read=60.0, download_read=60.0)
    error, elapsed = call(flavour, hostile, lambda c: c.run(SLUG, {"prompt": "a cat"}, timeout=3), timeouts=long)
    record_time("run(timeout=3), polls trickle", flavour, 3.0, elapsed, type(error).__name__)
    assert isinstance(error, TaskTimeout)
    assert elapsed < 3.0 + SLACK
    assert len(hostile.requests("POST")) == 1


@flavours
def test_run_timeout_cuts_a_stalled_post_as_outcome_unknown(flavour: str, hostile: HostileServer) -> None:
    hostile.on("POST", SUBMIT_PATH, Act("stall", b""))
    long = Timeouts(connect=30.0, read=60.0, submit_read=60.0, download_read=60.0)
    error, elapsed = call(flavour, hostile, lambda c: c.run(SLUG, {"prompt": "a cat"}, timeout=2), timeouts=long)
    record_time("run(timeout=2), POST stalls", flavour, 2.0, elapsed, type(error).__name__)
    assert isinstance(error, SubmissionOutcomeUnknown)
    assert elapsed < 2.0 + SLACK
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
