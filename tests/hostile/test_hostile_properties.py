"""Property-based tests at the boundary (hypothesis): whatever a server sends, the sync and async clients
give a result or a ModellixError, a paid POST is sent once, and result URLs and redirect chains end in saved
files or a typed error with nothing half-written. Strategies and example counts: :mod:`.strategies`.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modellix_typed import AsyncModellix, Modellix, common_api
from modellix_typed.cli.output import dump, task_json
from modellix_typed.errors import ModellixError, SubmissionOutcomeUnknown
from modellix_typed.results import TaskResult

from .conftest import (
    SLUG,
    SUBMIT_PATH,
    TASK_ID,
    TASK_PATH,
    Act,
    HostileServer,
    client_options,
    raw_response,
)
from .strategies import profile, replies, statuses, urls

# --- the contract ---------------------------------------------------------------------------------------


def check_result(result: TaskResult) -> None:
    """Everything a caller or the CLI reads from a result works, and the CLI's JSON is strict and printable."""
    repr(result)
    result.expires_at, result.completed_at, result.done, result.keys_seen()
    document = dump(task_json(result))
    json.loads(document, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))
    document.encode("utf-8")


class Clients:
    """One sync and one async client for a whole test (creating one costs ~0.15 s: the TLS trust store), the
    async one on its own event loop. Slots taken by accepted submits are given back after each example."""

    def __init__(self, server: HostileServer) -> None:
        self.sync = Modellix(**client_options(server))
        self.loop = asyncio.new_event_loop()
        self.aio = AsyncModellix(**client_options(server))

    def run_sync(self, action: Callable[[Modellix], Any]) -> Any:
        try:
            outcome = action(self.sync)
        except ModellixError as exc:
            return exc
        if hasattr(outcome, "release"):
            outcome.release()
        return outcome

    def run_async(self, action: Callable[[AsyncModellix], Any]) -> Any:
        async def main_async() -> Any:
            try:
                outcome = await action(self.aio)
            except ModellixError as exc:
                return exc
            if hasattr(outcome, "release"):
                outcome.release()
            return outcome

        return self.loop.run_until_complete(main_async())

    def close(self) -> None:
        self.sync.close()
        self.loop.run_until_complete(self.aio.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def clients(_hostile: HostileServer) -> Any:
    made = Clients(_hostile)
    yield made
    made.close()


def check_poll(outcome: Any) -> None:
    assert isinstance(outcome, (TaskResult, ModellixError)), outcome
    if isinstance(outcome, TaskResult):
        check_result(outcome)


def _codes(act: Act) -> set[Any]:
    """The HTTP status of a scripted answer and the ``code`` of its envelope (a 2xx may carry a 429)."""
    head, _, body = act.data.partition(b"\r\n\r\n")
    codes: set[Any] = {int(head.split(b" ", 2)[1])} if head else set()
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return codes
    if isinstance(document, dict) and isinstance(document.get("code"), int):
        codes.add(document["code"])
    return codes


def check_submit(server: HostileServer, act: Act, outcome: Any) -> None:
    assert isinstance(outcome, ModellixError) or hasattr(outcome, "task_id"), outcome
    posts = server.requests("POST")
    if not {404, 429} & _codes(act):
        assert len(posts) == 1  # a paid POST is sent once (a 429 is retried, a 404 tries the documented path)
    if isinstance(outcome, SubmissionOutcomeUnknown):
        assert posts and all(p.path == posts[-1].path for p in posts[-1:])


@profile("sync poll")
@given(act=replies())
def test_any_poll_reply_gives_a_result_or_a_typed_error_sync(
    _hostile: HostileServer, clients: Clients, act: Act
) -> None:
    _hostile.reset().on("GET", TASK_PATH, act)
    check_poll(clients.run_sync(lambda c: c.tasks.get(TASK_ID)))


@profile("async poll")
@given(act=replies())
def test_any_poll_reply_gives_a_result_or_a_typed_error_async(
    _hostile: HostileServer, clients: Clients, act: Act
) -> None:
    _hostile.reset().on("GET", TASK_PATH, act)
    check_poll(clients.run_async(lambda c: c.tasks.get(TASK_ID)))


@profile("sync submit")
@given(act=replies())
def test_any_submit_reply_gives_a_task_or_a_typed_error_and_one_post_sync(
    _hostile: HostileServer, clients: Clients, act: Act
) -> None:
    _hostile.reset().on("POST", SUBMIT_PATH, act)
    check_submit(_hostile, act, clients.run_sync(lambda c: c.submit(SLUG, {"prompt": "a cat"})))


@profile("async submit")
@given(act=replies())
def test_any_submit_reply_gives_a_task_or_a_typed_error_and_one_post_async(
    _hostile: HostileServer, clients: Clients, act: Act
) -> None:
    _hostile.reset().on("POST", SUBMIT_PATH, act)
    check_submit(_hostile, act, clients.run_async(lambda c: c.submit(SLUG, {"prompt": "a cat"})))


ACCOUNT_CALLS: dict[str, Callable[[Modellix], Any]] = {
    common_api.MODELS_PATH: lambda c: c.models(),
    common_api.BALANCE_PATH: lambda c: c.balance(),
    common_api.VALIDATE_KEY_PATH: lambda c: c.validate_key(),
    common_api.MEDIA_PATH: lambda c: c.media.list(),
}


@profile("sync account endpoints")
@given(act=replies(), path=st.sampled_from(sorted(ACCOUNT_CALLS)))
def test_any_account_endpoint_reply_gives_a_value_or_a_typed_error(
    _hostile: HostileServer, clients: Clients, act: Act, path: str
) -> None:
    _hostile.reset().on("GET", path, act)
    outcome = clients.run_sync(ACCOUNT_CALLS[path])
    assert not isinstance(outcome, BaseException) or isinstance(outcome, ModellixError)
    if not isinstance(outcome, ModellixError):
        repr(outcome)


# --- result URLs and redirect chains --------------------------------------------------------------------


@st.composite
def redirect_chains(draw: st.DrawFn, server: HostileServer) -> tuple[str, list[tuple[str, Act]]]:
    """A result URL on the server, then 0-7 hops whose Location is arbitrary, then an arbitrary final answer."""
    hops = draw(st.integers(0, 7))
    script = []
    for i in range(hops):
        location = draw(st.one_of(st.just(f"/r/{i + 1}"), st.just(f"{server.base_url}/r/{i + 1}"), urls(server)))
        status = draw(st.sampled_from([301, 302, 303, 307, 308]))
        location_header = location.encode("utf-8", "surrogatepass").decode("latin-1", "replace")
        script.append((f"/r/{i}", Act("send", raw_response(status, b"", (("Location", location_header),)))))
    final_headers = draw(
        st.lists(
            st.sampled_from(
                [
                    ("Content-Type", "image/png"),
                    ("Content-Type", "text/html"),
                    ("Content-Encoding", "gzip"),
                    ("Content-Encoding", "br"),
                    ("Content-Encoding", "identity, deflate"),
                ]
            ),
            max_size=2,
            unique_by=lambda h: h[0],
        )
    )
    body = draw(st.sampled_from([b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"", b"\x1f\x8b\x08garbage"]))
    length = draw(st.sampled_from([-1, -1, None, 0, 5, 10**6]))
    final = Act("send", raw_response(draw(statuses), body, tuple(final_headers), content_length=length))
    if draw(st.integers(0, 9)) == 0:
        final = Act("reset")
    script.append((f"/r/{hops}", final))
    return f"{server.base_url}/r/0", script


def check_download(server: HostileServer, folder: Path, outcome: Any) -> None:
    assert isinstance(outcome, (list, ModellixError)), outcome
    leftovers = [p for p in folder.iterdir() if p.name.endswith(".part")]
    assert leftovers == []
    assert len(server.requests()) <= 1 + 1 + 5  # the poll, the first GET, at most 5 redirects followed


def _download_case(server: HostileServer, data: st.DataObject) -> str:
    url, script = data.draw(redirect_chains(server))
    extra = data.draw(st.lists(urls(server), max_size=1))
    server.reset()
    for path, act in script:
        server.on("GET", path, act)
    body = {"code": 0, "data": {"task_id": TASK_ID, "status": "success", "resources": [url, *extra]}}
    server.on("GET", TASK_PATH, Act("send", raw_response(200, json.dumps(body).encode())))
    return url


@profile("sync download")
@given(data=st.data())
def test_any_result_url_and_redirect_chain_gives_files_or_a_typed_error_sync(
    _hostile: HostileServer, clients: Clients, data: st.DataObject
) -> None:
    _download_case(_hostile, data)
    with tempfile.TemporaryDirectory() as folder:
        outcome = clients.run_sync(lambda c: c.download(c.tasks.get(TASK_ID), folder, max_bytes=10**5))
        check_download(_hostile, Path(folder), outcome)


@profile("async download")
@given(data=st.data())
def test_any_result_url_and_redirect_chain_gives_files_or_a_typed_error_async(
    _hostile: HostileServer, clients: Clients, data: st.DataObject
) -> None:
    _download_case(_hostile, data)

    async def both(client: AsyncModellix) -> Any:
        return await client.download(await client.tasks.get(TASK_ID), folder, max_bytes=10**5)

    with tempfile.TemporaryDirectory() as folder:
        check_download(_hostile, Path(folder), clients.run_async(both))
