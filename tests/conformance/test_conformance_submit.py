"""Submit path, legacy fallback, path override, raw calls and the paid-POST policy, against a plain server."""

from __future__ import annotations

import json
import logging
from typing import Any

import attrs
import pytest

from modellix_typed import Modellix
from modellix_typed.errors import (
    APIConnectionError,
    BadRequest,
    ConfigurationError,
    NotFound,
    RateLimited,
    SubmissionOutcomeUnknown,
)
from modellix_typed.registry import UnknownModel
from modellix_typed.retry import RetryPolicy
from modellix_typed.validation import ValidationError
from tests.flavours import either_client, flavours

from .conftest import API_KEY, FAST_POLL, FAST_RETRY, PlainServer, envelope, error

CANONICAL = "/api/v1/google/nano-banana"
DOCUMENTED = "/api/v1/google/nano-banana/async"
ACCEPTED = envelope({"status": "pending", "task_id": "task-1", "model_id": "google/nano-banana"})
BODY = {"prompt": "a lighthouse"}


def submit(flavour: str, server: PlainServer, slug: str, body: Any, *, validate: bool = True, **kw: Any) -> str:
    """One submit with a sync or an async client; returns the task id."""
    kw.setdefault("retry_policy", FAST_RETRY)
    with either_client(flavour, API_KEY, base_url=server.base_url, poll_policy=FAST_POLL, **kw) as client:
        return client.submit(slug, body, validate=validate).task_id  # type: ignore[no-any-return]


@flavours
def test_posts_to_the_canonical_path_only(flavour: str, server: PlainServer) -> None:
    server.on("POST", CANONICAL, ACCEPTED)
    assert submit(flavour, server, "google/nano-banana", BODY) == "task-1"
    posts = server.requests("POST")
    assert [p.path for p in posts] == [CANONICAL]
    assert json.loads(posts[0].body) == BODY and posts[0].headers["authorization"] == f"Bearer {API_KEY}"


@flavours
def test_404_on_the_canonical_path_tries_the_documented_path_once_and_remembers_it(
    flavour: str, server: PlainServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.on("POST", CANONICAL, error(404, "Resource not found: model"))
    server.on("POST", DOCUMENTED, ACCEPTED)
    caplog.set_level(logging.WARNING, "modellix_typed")
    with either_client(flavour, API_KEY, base_url=server.base_url, retry_policy=FAST_RETRY) as client:
        ids = [client.submit("google/nano-banana", BODY).task_id for _ in range(2)]
    assert ids == ["task-1", "task-1"]
    # One 404 (nothing created), one fallback; the second submit goes straight to the path that worked.
    assert [p.path for p in server.requests("POST")] == [CANONICAL, DOCUMENTED, DOCUMENTED]
    assert f"submitted via {DOCUMENTED}" in caplog.text


@flavours
def test_fallback_can_be_turned_off(flavour: str, server: PlainServer) -> None:
    server.on("POST", CANONICAL, error(404, "Resource not found: model"))
    server.on("POST", DOCUMENTED, ACCEPTED)
    with pytest.raises(NotFound):
        submit(flavour, server, "google/nano-banana", BODY, legacy_path_fallback=False)
    assert [p.path for p in server.requests("POST")] == [CANONICAL]


@flavours
def test_a_404_on_both_paths_raises_not_found_after_two_posts(flavour: str, server: PlainServer) -> None:
    with pytest.raises(NotFound):
        submit(flavour, server, "google/nano-banana", BODY)
    assert [p.path for p in server.requests("POST")] == [CANONICAL, DOCUMENTED]


@flavours
def test_path_override_per_client(flavour: str, server: PlainServer) -> None:
    server.on("POST", "/gateway/google/nano-banana/go", ACCEPTED)
    server.on("POST", DOCUMENTED, ACCEPTED)
    assert submit(flavour, server, "google/nano-banana", BODY, submit_path="/gateway/{provider}/{model_id}/go")
    assert submit(flavour, server, "google/nano-banana", BODY, submit_path="documented")
    assert [p.path for p in server.requests("POST")] == ["/gateway/google/nano-banana/go", DOCUMENTED]


def test_bad_path_override_is_a_configuration_error_naming_the_setting() -> None:
    for bad in ("no-slash/{provider}", "/api/{task}/{model_id}", "/{0}"):
        with pytest.raises(ConfigurationError, match="submit_path"):
            Modellix(API_KEY, submit_path=bad)


@flavours
def test_raw_call_sends_any_slug_unvalidated_to_the_canonical_path(flavour: str, server: PlainServer) -> None:
    body = {"prompt": "x", "brand_new_param": [1, 2]}
    server.on("POST", "/api/v1/newco/model-2027", ACCEPTED)
    assert submit(flavour, server, "newco/model-2027", body, validate=False) == "task-1"
    [post] = server.requests("POST")
    assert post.path == "/api/v1/newco/model-2027" and json.loads(post.body) == body


@flavours
def test_known_slug_still_validates_by_default_and_unknown_needs_validate_false(
    flavour: str, server: PlainServer
) -> None:
    with pytest.raises(ValidationError):
        submit(flavour, server, "google/nano-banana", {"prompt": "x", "aspect_ratio": "7:3"})
    with pytest.raises(UnknownModel):
        submit(flavour, server, "newco/model-2027", BODY)
    assert server.requests() == []  # nothing sent
    for bad in ("no-slash", "a/b/c", "/x", "a b/c"):
        with pytest.raises(ConfigurationError, match="provider/model-id"):
            submit(flavour, server, bad, BODY, validate=False)


@flavours
def test_run_takes_validate_false(flavour: str, server: PlainServer) -> None:
    server.on("POST", "/api/v1/newco/m", ACCEPTED)
    server.on("GET", "/api/v1/tasks/task-1", envelope({"status": "success", "task_id": "task-1", "resources": ["https://cdn.example/a.png"]}))
    options: dict[str, Any] = {"base_url": server.base_url, "poll_policy": FAST_POLL, "retry_policy": FAST_RETRY}
    with either_client(flavour, API_KEY, **options) as client:
        result = client.run("newco/m", {"anything": True}, validate=False, timeout=5)
    assert [r.url for r in result.resources] == ["https://cdn.example/a.png"]


@flavours
@pytest.mark.parametrize("status", [409, 410, 418, 451, 302])
def test_unexpected_answers_to_a_paid_post_are_outcome_unknown(flavour: str, server: PlainServer, status: int) -> None:
    server.on("POST", CANONICAL, error(status, "Conflict: duplicate request"))
    with pytest.raises(SubmissionOutcomeUnknown) as caught:
        submit(flavour, server, "google/nano-banana", BODY)
    assert caught.value.status == status
    assert len(server.requests("POST")) == 1  # never repeated


@flavours
def test_an_error_code_409_inside_a_2xx_envelope_is_outcome_unknown(flavour: str, server: PlainServer) -> None:
    server.on("POST", CANONICAL, envelope(None, "Conflict: in flight", code=409))
    with pytest.raises(SubmissionOutcomeUnknown):
        submit(flavour, server, "google/nano-banana", BODY)
    assert len(server.requests("POST")) == 1


@flavours
def test_definite_rejections_raise_their_error_and_are_not_repeated(flavour: str, server: PlainServer) -> None:
    server.on("POST", CANONICAL, error(400, "Invalid parameters: prompt"))
    with pytest.raises(BadRequest):
        submit(flavour, server, "google/nano-banana", BODY)
    assert len(server.requests("POST")) == 1


@flavours
def test_a_429_to_a_paid_post_is_sent_once_by_default_as_a_typed_rate_limited(
    flavour: str, server: PlainServer
) -> None:
    """What every official client does: one paid send, 429 included; the 429's hints travel on the error."""
    limited = error(
        429, "Concurrent limit exceeded: 3 running", (("Retry-After", "7"), ("X-RateLimit-Reset", "1710000000"))
    )
    server.on("POST", CANONICAL, limited, ACCEPTED)
    with pytest.raises(RateLimited) as caught:
        submit(flavour, server, "google/nano-banana", BODY)
    assert len(server.requests("POST")) == 1
    assert caught.value.retry_after == 7.0 and caught.value.reset_at == 1710000000.0
    assert "X-RateLimit-Reset 1710000000" in str(caught.value)


@flavours
def test_opt_in_429_is_retried_within_the_budget_honouring_retry_after(flavour: str, server: PlainServer) -> None:
    opt_in = attrs.evolve(FAST_RETRY, retry_submissions=True)
    limited = error(429, "Concurrent limit exceeded: 3 running", (("Retry-After", "0"),))
    server.on("POST", CANONICAL, limited, ACCEPTED)
    assert submit(flavour, server, "google/nano-banana", BODY, retry_policy=opt_in) == "task-1"
    assert len(server.requests("POST")) == 2  # two only with the opt-in
    server.seen.clear()
    server.on("POST", CANONICAL, limited)
    with pytest.raises(RateLimited):
        submit(flavour, server, "google/nano-banana", BODY, retry_policy=opt_in)  # bounded: 1 + max_retries
    assert len(server.requests("POST")) == FAST_RETRY.max_retries + 1


@flavours
def test_post_retries_are_off_by_default_even_for_a_connection_never_opened(flavour: str, server: PlainServer) -> None:
    server.on("POST", CANONICAL, error(429, "Rate limit exceeded", (("Retry-After", "0"),)), ACCEPTED)
    with pytest.raises(RateLimited):
        submit(flavour, server, "google/nano-banana", BODY, retry_policy=RetryPolicy())
    assert len(server.requests("POST")) == 1
    closed_port = server.base_url.rsplit(":", 1)[0] + ":9"  # discard port: connection refused, never sent
    with pytest.raises(APIConnectionError):
        never_sent = RetryPolicy(retry_submissions=False, base_delay=5)
        with either_client(flavour, API_KEY, base_url=closed_port, retry_policy=never_sent) as c:
            c.submit("google/nano-banana", BODY)
