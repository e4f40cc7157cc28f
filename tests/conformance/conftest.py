"""A plain scripted HTTP server (stdlib, not the emulator) that answers exactly what a test tells it to.

Each test scripts answers per ``(method, path)``: a list played in order (the last one repeats). Every request
is recorded with its headers, so tests can check where the API key went.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

from modellix_typed.polling import PollPolicy
from modellix_typed.retry import RetryPolicy

API_KEY = "conformance-key-42"
FAST_POLL = PollPolicy(first_delay=0.01, max_delay=0.02, multiplier=1.5, default_timeout=5.0)
FAST_RETRY = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)


@attrs.frozen
class Answer:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def envelope(data: Any, message: str = "success", code: int = 0, status: int = 200) -> Answer:
    return Answer(status, json.dumps({"code": code, "message": message, "data": data}).encode())


def error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(status, json.dumps({"code": status, "message": message}).encode(), headers)


@attrs.frozen
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class PlainServer:
    """A ThreadingHTTPServer on 127.0.0.1:0 playing scripted answers."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str], list[Answer]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.seen.append(Seen(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body))
                    answers = server.script.get((self.command, path))
                    answer = (answers.pop(0) if len(answers) > 1 else answers[0]) if answers else error(
                        404, f"Resource not found: {self.command} {path}"
                    )
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if not any(name.lower() == "content-type" for name, _ in answer.headers):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815 - http.server's naming

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def on(self, method: str, path: str, *answers: Answer) -> None:
        with self.lock:
            self.script[(method, path)] = list(answers)

    def requests(self, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if method is None or s.method == method]

    def reset(self) -> PlainServer:
        with self.lock:
            self.script.clear()
            self.seen.clear()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def _servers() -> Iterator[tuple[PlainServer, PlainServer]]:
    first, second = PlainServer(), PlainServer()
    yield first, second
    first.close()
    second.close()


@pytest.fixture
def server(_servers: tuple[PlainServer, PlainServer]) -> PlainServer:
    """The API host, with no script and no requests seen."""
    return _servers[0].reset()


@pytest.fixture
def other_server(_servers: tuple[PlainServer, PlainServer]) -> PlainServer:
    """A second host (another port): a result host or a redirect target."""
    return _servers[1].reset()
