"""Retries with backoff against a real local server that fails before it succeeds."""

from __future__ import annotations

import asyncio
import email.utils
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.fetch import (
    Fetcher,
    FetchPolicy,
    looks_like_html,
    parse_retry_after,
    retry_delay,
)

POLICY = FetchPolicy(concurrency=2, timeout=5.0, retries=3, backoff_base=0.01, backoff_max=2.0, max_bytes=1000)


class Script:
    """Per-path list of (status, headers, body) answers; the last one repeats."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.hits: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def next(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.hits.setdefault(path, []).append(time.monotonic())
            queue = self.answers.get(path, [(404, {}, b"nope")])
            return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = script.next(self.path)
            self.send_response(status)
            for key, value in {"Content-Type": "text/markdown", "Content-Length": str(len(body)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str, policy: FetchPolicy = POLICY) -> Any:
    async def run() -> Any:
        async with Fetcher(policy) as fetcher:
            return await fetcher.get(url)

    return asyncio.run(run())


def test_503_then_200_is_retried(scripted: tuple[str, Script]) -> None:
    base, script = scripted
    script.answers["/p.md"] = [(503, {}, b"busy"), (503, {}, b"busy"), (200, {}, b"# ok\n")]
    fetched = _get(base + "/p.md")
    assert (fetched.status, fetched.text, fetched.attempts) == (200, "# ok\n", 3)
    assert len(script.hits["/p.md"]) == 3


def test_429_honours_retry_after(scripted: tuple[str, Script]) -> None:
    base, script = scripted
    script.answers["/r.md"] = [(429, {"Retry-After": "1"}, b"slow down"), (200, {}, b"ok")]
    fetched = _get(base + "/r.md")
    first, second = script.hits["/r.md"]
    assert fetched.attempts == 2
    assert second - first >= 0.9  # waited the server's 1 s, not the 10 ms backoff


def test_persistent_500_gives_up_with_http_status(scripted: tuple[str, Script]) -> None:
    base, script = scripted
    script.answers["/down.md"] = [(500, {}, b"boom")]
    with pytest.raises(PageError) as err:
        _get(base + "/down.md")
    assert err.value.reason is Reason.HTTP_STATUS
    assert err.value.detail == "HTTP 500 after 4 attempts"
    assert len(script.hits["/down.md"]) == POLICY.retries + 1


def test_404_is_not_retried(scripted: tuple[str, Script]) -> None:
    base, script = scripted
    with pytest.raises(PageError) as err:
        _get(base + "/missing.md")
    assert err.value.reason is Reason.NOT_FOUND
    assert len(script.hits["/missing.md"]) == 1


def test_oversized_body_is_rejected(scripted: tuple[str, Script]) -> None:
    base, script = scripted
    script.answers["/big.md"] = [(200, {}, b"x" * 5000)]
    with pytest.raises(PageError) as err:
        _get(base + "/big.md")
    assert err.value.reason is Reason.TOO_LARGE
    assert "1000" in err.value.detail


def test_network_error_after_retries() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PageError) as err:
        _get(f"http://127.0.0.1:{port}/x.md", FetchPolicy(retries=2, backoff_base=0.01, timeout=2.0))
    assert err.value.reason is Reason.NETWORK_ERROR
    assert "after 3 attempts" in err.value.detail


def test_concurrency_is_bounded(scripted: tuple[str, Script]) -> None:
    base, script = scripted
    in_flight = {"now": 0, "max": 0}

    class Counting(Fetcher):
        async def _once(self, url: str) -> Any:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
            try:
                await asyncio.sleep(0.02)
                return await super()._once(url)
            finally:
                in_flight["now"] -= 1

    for i in range(10):
        script.answers[f"/c{i}.md"] = [(200, {}, b"ok")]

    async def run() -> None:
        async with Counting(POLICY) as fetcher:
            await asyncio.gather(*(fetcher.get(f"{base}/c{i}.md") for i in range(10)))

    asyncio.run(run())
    assert in_flight["max"] == POLICY.concurrency == 2


def test_retry_delay_and_retry_after_parsing() -> None:
    policy = FetchPolicy(backoff_base=0.5, backoff_max=4.0)
    assert retry_delay(0, policy, None, rand=lambda: 1.0) == 0.5
    assert retry_delay(3, policy, None, rand=lambda: 1.0) == 4.0  # capped
    assert retry_delay(2, policy, None, rand=lambda: 0.5) == 1.0  # jitter scales the backoff
    assert retry_delay(0, policy, 3.0, rand=lambda: 1.0) == 3.0  # Retry-After wins when longer
    assert retry_delay(0, policy, 60.0, rand=lambda: 1.0) == 4.0  # but is capped too
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    later = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(later, now=1_000_000) == pytest.approx(30.0)


def test_html_detection() -> None:
    assert looks_like_html("text/html; charset=utf-8", "# title")
    assert looks_like_html("text/plain", "  <!DOCTYPE html><html></html>")
    assert not looks_like_html("text/markdown", "# Title\n\n<div>inline html</div>")
