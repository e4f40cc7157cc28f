"""Deadlines are wall-clock for one request: a server that trickles one byte every 0.5 s or stalls cannot hold a
GET or a submit past connect + read (plus :data:`DEADLINE_MARGIN`); a POST cut off after sending, by its own
deadline or by ``run(timeout=)``, is "outcome unknown" and never sent twice. Each case records its measured time.
"""

from __future__ import annotations

import pytest

from modellix_typed.errors import APITimeout, SubmissionOutcomeUnknown

from .conftest import (
    LONG,
    SHORT,
    SLACK,
    SLUG,
    SUBMIT_PATH,
    TASK_ID,
    TASK_PATH,
    Act,
    HostileServer,
    call,
    client_options,
    flavours,
    raw_response,
    record_time,
    trickle,
)


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
def test_run_timeout_cuts_a_stalled_post_as_outcome_unknown(flavour: str, hostile: HostileServer) -> None:
    hostile.on("POST", SUBMIT_PATH, Act("stall", b""))
    error, elapsed = call(flavour, hostile, lambda c: c.run(SLUG, {"prompt": "a cat"}, timeout=2), timeouts=LONG)
    record_time("run(timeout=2), POST stalls", flavour, 2.0, elapsed, type(error).__name__)
    assert isinstance(error, SubmissionOutcomeUnknown)
    assert elapsed < 2.0 + SLACK
    assert len(hostile.requests("POST")) == 1
