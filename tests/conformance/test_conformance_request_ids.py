"""Request ids and 429s in batches (issue 21): one stable x-request-id per submission intent, journaled before
the POST; the server's id on every error; a 429 in a batch is "rate_limited", re-sent by resume only when asked."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from modellix_typed import AsyncModellix, Modellix
from modellix_typed.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PolicyBlocked,
    RateLimited,
    ResultExpired,
    SubmissionOutcomeUnknown,
    UnprocessableEntity,
)
from modellix_typed.journal import Journal

from .conftest import API_KEY, FAST_POLL, FAST_RETRY, PlainServer, envelope, error

CANONICAL = "/api/v1/google/nano-banana"
ACCEPTED = envelope({"status": "pending", "task_id": "task-1"})
DONE = envelope({"status": "success", "task_id": "task-1", "resources": ["https://cdn.example/a.png"]})
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,256}")
flavours = pytest.mark.parametrize("flavour", ["sync", "async"])


def on_client(flavour: str, server: PlainServer, method: str, *args: Any, **kw: Any) -> Any:
    settings: dict[str, Any] = {"base_url": server.base_url, "poll_policy": FAST_POLL, "retry_policy": FAST_RETRY}
    if flavour == "sync":
        with Modellix(API_KEY, **settings) as client:
            return getattr(client, method)(*args, **kw)

    async def go() -> Any:
        async with AsyncModellix(API_KEY, **settings) as client:
            return await getattr(client, method)(*args, **kw)

    return asyncio.run(go())


def intents(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [line for line in lines if line["event"] == "intent"]


@flavours
def test_each_submission_sends_its_own_request_id_recorded_in_the_journal_first(
    flavour: str, server: PlainServer, tmp_path: Path
) -> None:
    server.on("POST", CANONICAL, ACCEPTED)
    journal = tmp_path / "one.jsonl"
    on_client(flavour, server, "submit", "google/nano-banana", {"prompt": "a"}, journal=journal)
    on_client(flavour, server, "submit", "google/nano-banana", {"prompt": "a"})  # same body, new intent
    first, second = (p.headers["x-request-id"] for p in server.requests("POST"))
    assert REQUEST_ID.fullmatch(first) and REQUEST_ID.fullmatch(second) and first != second
    [intent] = intents(journal)
    assert intent["request_id"] == first
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines()]
    assert events.index("intent") < events.index("sending") < events.index("task")


def test_a_legacy_path_fallback_keeps_the_intents_id(server: PlainServer) -> None:
    server.on("POST", CANONICAL, error(404, "Resource not found: model"))
    server.on("POST", CANONICAL + "/async", ACCEPTED)
    on_client("sync", server, "submit", "google/nano-banana", {"prompt": "a"})
    ids = {p.headers["x-request-id"] for p in server.requests("POST")}
    assert len(ids) == 1  # one intent, one id (the 404 created nothing)


@flavours
@pytest.mark.parametrize(
    ("status", "cls"),
    [(403, PolicyBlocked), (422, UnprocessableEntity), (400, BadRequest), (429, RateLimited)],
)
def test_the_servers_request_id_is_kept_on_typed_errors(
    flavour: str, status: int, cls: type[Exception], server: PlainServer
) -> None:
    server.on("POST", CANONICAL, error(status, "Refused: by policy", (("x-request-id", "srv-42"),)))
    with pytest.raises(cls) as caught:
        on_client(flavour, server, "submit", "google/nano-banana", {"prompt": "a"})
    assert caught.value.request_id == "srv-42" and "srv-42" in str(caught.value)  # type: ignore[attr-defined]
    assert len(server.requests("POST")) == 1


@flavours
def test_reads_map_409_to_conflict_and_asset_expired_to_result_expired(flavour: str, server: PlainServer) -> None:
    server.on("GET", "/api/v1/tasks/t-1", error(409, "Conflict: busy", (("x-request-id", "srv-1"),)))
    server.on("GET", "/api/v1/tasks/t-2", error(400, "ASSET_EXPIRED: the result is gone"))
    with pytest.raises(Conflict) as caught:
        read(flavour, server, "t-1")
    assert isinstance(caught.value, BadRequest) and caught.value.request_id == "srv-1"
    with pytest.raises(ResultExpired) as gone:
        read(flavour, server, "t-2")
    assert isinstance(gone.value, NotFound)  # an existing `except NotFound` keeps catching it


def read(flavour: str, server: PlainServer, task_id: str) -> Any:
    settings: dict[str, Any] = {"base_url": server.base_url, "retry_policy": FAST_RETRY}
    if flavour == "sync":
        with Modellix(API_KEY, **settings) as client:
            return client.tasks.get(task_id)

    async def go() -> Any:
        async with AsyncModellix(API_KEY, **settings) as client:
            return await client.tasks.get(task_id)

    return asyncio.run(go())


@flavours
def test_an_unknown_outcome_names_both_request_ids(flavour: str, server: PlainServer) -> None:
    server.on("POST", CANONICAL, error(502, "Bad gateway", (("x-request-id", "srv-9"),)))
    with pytest.raises(SubmissionOutcomeUnknown) as caught:
        on_client(flavour, server, "submit", "google/nano-banana", {"prompt": "a"})
    sent = server.requests("POST")[0].headers["x-request-id"]
    assert (caught.value.request_id, caught.value.server_request_id) == (sent, "srv-9")
    assert sent in str(caught.value)


# --- 429s in a batch ---------------------------------------------------------------------------------------


@flavours
def test_a_429_in_a_batch_is_rate_limited_journaled_and_resent_only_when_asked(
    flavour: str, server: PlainServer, tmp_path: Path
) -> None:
    journal = tmp_path / "batch.jsonl"
    limited = error(429, "Concurrent limit exceeded", (("Retry-After", "0"), ("X-RateLimit-Reset", "1710000000")))
    server.on("POST", CANONICAL, limited)
    items = [("google/nano-banana", {"prompt": "a"})]
    [outcome] = on_client(flavour, server, "batch", items, journal=journal)
    assert outcome.kind == "rate_limited" and isinstance(outcome.error, RateLimited) and not outcome.ok
    assert outcome.error.reset_at == 1710000000.0
    assert len(server.requests("POST")) == 1  # sent once
    first_id = server.requests("POST")[0].headers["x-request-id"]
    with Journal.open(journal) as book:
        assert book.entries[0].state == "rate_limited" and book.entries[0].request_id == first_id

    [again] = on_client(flavour, server, "resume", journal)  # not asked: nothing sent
    assert again.kind == "rate_limited" and len(server.requests("POST")) == 1

    server.on("POST", CANONICAL, ACCEPTED)
    server.on("GET", "/api/v1/tasks/task-1", DONE)
    [resent] = on_client(flavour, server, "resume", journal, retry_rate_limited=True)
    assert resent.kind == "success" and resent.task_id == "task-1"
    posts = server.requests("POST")
    assert len(posts) == 2 and posts[1].headers["x-request-id"] == first_id  # the same intent, the same id
