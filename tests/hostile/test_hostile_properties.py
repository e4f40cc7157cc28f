"""Property-based tests at the boundary (hypothesis): whatever a server sends, whatever body a caller passes,
the public API gives a result or a ModellixError, and the CLI exits with a documented code, no traceback, no
raw control character on the terminal and strict JSON with ``--json``.

Generated: any JSON value at any path of the submit, poll and error envelopes (plus raw fragments no
serializer writes: ``NaN``, ``1e400``, 100,000 nested brackets, 5,000-digit numbers, lone surrogates), any
HTTP status, arbitrary result URLs and redirect chains, arbitrary request bodies. Example counts are the
``EXAMPLES`` table (kept moderate: the file runs in well under a minute).
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modellix_typed import AsyncModellix, Modellix, common_api, registry
from modellix_typed._core.prepare import prepare
from modellix_typed.cli import main
from modellix_typed.cli.output import dump, task_json
from modellix_typed.errors import ModellixError, SubmissionOutcomeUnknown
from modellix_typed.results import TaskResult
from modellix_typed.validation import ValidationError

from .conftest import (
    API_KEY,
    SLUG,
    SUBMIT_PATH,
    TASK_ID,
    TASK_PATH,
    Act,
    HostileServer,
    client_options,
    raw_response,
)

EXAMPLES = {
    "sync poll": 120,
    "sync submit": 80,
    "async poll": 50,
    "async submit": 40,
    "sync account endpoints": 40,
    "sync download": 50,
    "async download": 25,
    "request bodies": 200,
    "cli task get": 30,
    "cli run": 25,
}
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5, 6}
# What must never reach a terminal raw: C0 but newline, DEL, C1, bidi controls, separators.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def profile(name: str) -> Callable[[Any], Any]:
    return settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,  # the CLI's environment is set once per test, not per example
        ],
    )


# --- generated replies ----------------------------------------------------------------------------------

STRANGE = [
    "",
    " ",
    "success",
    "\x1b[2J\x1b]0;pwned\x07",
    "\r\nX-Injected: 1",
    "\x9b31m",
    "\u202egnp.exe",
    "\u2066\u2069\u200f",
    "\ud800",
    "a\udfffb",
    "\x00",
    "\x7f",
    "東京 ✓ naïve",
    "x" * 3000,
]
# Raw JSON text inserted as is (a serializer never writes these).
RAW = ["NaN", "-Infinity", "1e400", "-1e400", "1" * 5000, "[" * 100_000 + "]" * 100_000, '"\\ud800"', "1.5e-400"]
RAW_MARK = "\x00raw:"

text = st.one_of(st.text(max_size=12), st.sampled_from(STRANGE))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 2**63, 10**400, -(10**30), 1e300, -1e-300, 1.5]),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
    st.sampled_from([RAW_MARK + raw for raw in RAW]),
)
json_values = st.recursive(
    scalar, lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3), max_leaves=8
)


def anything_or(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the plausible value, often any JSON value at all."""
    return st.one_of(valid, valid, json_values)


def urls(server: HostileServer | None = None) -> st.SearchStrategy[str]:
    hosts = ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://127.0.0.1:1"]
    if server is not None:
        hosts.append(server.base_url)
    return st.one_of(
        st.builds(lambda h, p: f"{h}/{p}", st.sampled_from(hosts), text),
        st.sampled_from(["file:///etc/passwd", "javascript:x", "http://[::1", "ftp://127.0.0.1/", "//x", "a b"]),
        text,
    )


resources = st.lists(
    st.one_of(urls(), st.fixed_dictionaries({"url": anything_or(urls())}, optional={"type": json_values}), json_values),
    max_size=3,
)
STATUS_WORDS = ["pending", "processing", "success", "completed", "failed", "canceled", "SUCCESS", "weird"]
task_data = st.fixed_dictionaries(
    {},
    optional={
        "task_id": anything_or(st.just(TASK_ID)),
        "status": anything_or(st.sampled_from(STATUS_WORDS)),
        "result": anything_or(
            st.fixed_dictionaries(
                {},
                optional={
                    "resources": anything_or(resources),
                    "metadata": json_values,
                    "extensions": anything_or(
                        st.fixed_dictionaries({}, optional={"end_time": json_values, "submit_time": json_values})
                    ),
                },
            )
        ),
        "resources": anything_or(resources),
        "error": json_values,
        "duration": json_values,
        "model_id": json_values,
    },
)
envelopes = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "code": anything_or(st.sampled_from([0, 200, 400, 402, 404, 429, 500, 503])),
            "message": anything_or(st.sampled_from(STRANGE)),
            "data": anything_or(task_data),
        },
    ),
    json_values,
)
statuses = st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 404, 408, 409, 429, 500, 503])
headers = st.lists(
    st.sampled_from(
        [
            ("Retry-After", "nan"),
            ("Retry-After", "1e400"),
            ("Retry-After", "-5"),
            ("X-RateLimit-Reset", "inf"),
            ("X-RateLimit-Remaining", "0"),
            ("Content-Type", "text/html"),
            ("X-Request-Id", "\x1b]0;id\x07"),
        ]
    ),
    max_size=3,
    unique=True,
)


def encode(value: Any) -> bytes:
    """JSON text of ``value``, raw fragments spliced in where the generator put a marker."""
    document = json.dumps(value)  # ensure_ascii: lone surrogates become \\udXXX escapes, as a server may send
    for raw in RAW:
        document = document.replace(json.dumps(RAW_MARK + raw), raw)
    return document.encode()


# The CLI runs with the default retry policy (real backoff): its replies avoid the statuses a read retries.
cli_statuses = st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 402, 404, 409])


@st.composite
def replies(draw: st.DrawFn, status_codes: st.SearchStrategy[int] = statuses) -> Act:
    status = draw(status_codes)
    body = encode(draw(envelopes)) if draw(st.integers(0, 9)) else draw(st.sampled_from([b"", b"<html>", b"\xff\xfe"]))
    return Act("send", raw_response(status, body, tuple(draw(headers))))


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


# --- request bodies -------------------------------------------------------------------------------------

body_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and ±Infinity included
        st.text(alphabet=st.characters(codec=None), max_size=8),  # lone surrogates included
        st.sampled_from(STRANGE),
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)
bodies = st.dictionaries(st.sampled_from(["prompt", "cfg_scale", "camera_control", "x", "aspect_ratio"]), body_values)


def _strict(data: bytes) -> Any:
    return json.loads(data, parse_constant=lambda name: pytest.fail(f"{name} sent"))


def _has_non_json(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(_has_non_json(k) or _has_non_json(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_non_json(v) for v in value)
    return False


@profile("request bodies")
@given(body=bodies, validate=st.booleans())
def test_any_request_body_is_sent_as_strict_json_or_refused_with_issues(body: dict[str, Any], validate: bool) -> None:
    slug = "kling/kling-v1-t2v"
    try:
        prepared = prepare(slug, body, validate=validate)
    except ValidationError as exc:
        assert exc.issues and all(issue.path is not None and issue.rule for issue in exc.issues)
        str(exc).encode("utf-8")  # the message itself is printable
        refused = True
    else:
        assert _strict(prepared.content) is not None
        refused = False
    assert refused or not _has_non_json(body)
    if _has_non_json(body):
        assert refused
    # `validate` (registry.validate / registry.check) agrees with the validated submit.
    if validate:
        verdicts = []
        for check in (registry.validate, registry.check):
            try:
                check(slug, body)
                verdicts.append(False)
            except ValidationError:
                verdicts.append(True)
        assert verdicts == [refused, refused]


# --- the command line -----------------------------------------------------------------------------------


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``main(args)`` in process with strict UTF-8 stdout/stderr (a lone surrogate would fail to print)."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="strict", write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        main(args)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    else:
        code = 0
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def check_cli(code: int, out: str, err: str, mode: str) -> None:
    assert code in DOCUMENTED_EXIT_CODES, (code, out, err)
    assert "Traceback" not in err
    assert not RAW_CONTROL.search(out) and not RAW_CONTROL.search(err), (out, err)
    if mode == "--json":
        document = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))
        assert document["ok"] is (code == 0)


@pytest.fixture
def cli_env(_hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> HostileServer:
    monkeypatch.setenv("MODELLIX_API_KEY", API_KEY)
    monkeypatch.setenv("MODELLIX_BASE_URL", _hostile.base_url)
    monkeypatch.setenv("CI", "1")
    return _hostile


modes = st.sampled_from(["", "--json", "--quiet"])


@profile("cli task get")
@given(act=replies(cli_statuses), mode=modes)
def test_cli_task_get_with_any_reply_exits_documented_without_traceback(
    cli_env: HostileServer, act: Act, mode: str
) -> None:
    cli_env.reset().on("GET", TASK_PATH, act)
    check_cli(*run_cli(["task", "get", TASK_ID, *filter(None, [mode])]), mode)


@profile("cli run")
@given(act=replies(st.sampled_from([200, 200, 201, 204, 302, 400, 402, 404, 408, 409, 500, 503])), mode=modes)
def test_cli_run_no_wait_with_any_submit_reply_exits_documented_without_traceback(
    cli_env: HostileServer, act: Act, mode: str
) -> None:
    cli_env.reset().on("POST", SUBMIT_PATH, act)
    code, out, err = run_cli(["run", SLUG, "--body", '{"prompt": "a cat"}', "--no-wait", *filter(None, [mode])])
    check_cli(code, out, err, mode)
    if code == 6:
        assert len(cli_env.requests("POST")) == 1
