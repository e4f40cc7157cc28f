"""A hostile HTTP server on 127.0.0.1 (raw sockets, not http.server): it reads each request, then does what
the test scripted: answer, trickle one byte at a time, stall before or after the headers, reset the connection
after reading the body, or send bytes that lie about their length or encoding.

Scripts are per ``(method, path)``: a list played in order (the last one repeats); every request is recorded
so a test can count the paid POSTs that reached the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from modellix_typed import AsyncModellix, Modellix
from modellix_typed._core.deadline import DEADLINE_MARGIN
from modellix_typed.config import Timeouts
from modellix_typed.polling import PollPolicy
from modellix_typed.retry import RetryPolicy

API_KEY = "hostile-key-1234567890"
FAST_POLL = PollPolicy(first_delay=0.02, max_delay=0.05, multiplier=1.5, default_timeout=5.0)
FAST_RETRY = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
SHORT = Timeouts(connect=1.0, read=2.0, submit_read=2.0, download_read=2.0)
SLUG = "google/nano-banana"
SUBMIT_PATH = "/api/v1/google/nano-banana"
TASK_ID = "task-h1"
TASK_PATH = f"/api/v1/tasks/{TASK_ID}"


@attrs.frozen
class Act:
    """What the server does once it has read a request.

    ``send``: write ``data`` and close. ``trickle``: write ``head`` at once, then ``data`` one byte every
    ``interval`` seconds.
    ``stall``: write ``data``, then hold the connection open (up to ``hold`` seconds) without another byte.
    ``reset``: close with an RST right after reading the request (body included).
    """

    kind: str = "send"
    data: bytes = b""
    interval: float = 0.5
    hold: float = 20.0
    head: bytes = b""


def raw_response(
    status: int,
    body: bytes,
    headers: tuple[tuple[str, str], ...] = (),
    *,
    content_length: int | None = -1,
) -> bytes:
    """HTTP/1.1 bytes; ``content_length=None`` sends none, ``-1`` the true one, any other value lies."""
    lines = [f"HTTP/1.1 {status} X"]
    names = {name.lower() for name, _ in headers}
    if "content-type" not in names:
        lines.append("Content-Type: application/json")
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length is not None:
        lines.append(f"Content-Length: {len(body) if content_length == -1 else content_length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def reply(status: int = 200, body: Any = None, **kwargs: Any) -> Act:
    """A plain answer: ``body`` as JSON (bytes are sent as they are)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Act("send", raw_response(status, data, **kwargs))


def envelope(data: Any, code: int = 0, message: str = "success") -> dict[str, Any]:
    return {"code": code, "message": message, "data": data}


def task_data(status: str = "processing", **extra: Any) -> dict[str, Any]:
    return {"task_id": TASK_ID, "status": status, **extra}


@attrs.frozen
class Seen:
    method: str
    path: str
    body: bytes


class HostileServer:
    def __init__(self) -> None:
        self.script: dict[tuple[str, str], list[Act]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def on(self, method: str, path: str, *acts: Act) -> None:
        with self.lock:
            self.script[(method, path)] = list(acts)

    def requests(self, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if method is None or s.method == method]

    def reset(self) -> HostileServer:
        with self.lock:
            self.script.clear()
            self.seen.clear()
        return self

    def close(self) -> None:
        self.closed = True
        self.sock.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = self._read_request(conn)
            if request is None:
                return
            method, path, body = request
            with self.lock:
                self.seen.append(Seen(method, path, body))
                acts = self.script.get((method, path))
                act = (acts.pop(0) if len(acts) > 1 else acts[0]) if acts else reply(404, {"code": 404, "message": "nf"})
            self._play(conn, act)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _read_request(conn: socket.socket) -> tuple[str, str, bytes] | None:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return method, target.split("?", 1)[0], body

    @staticmethod
    def _gone(conn: socket.socket, wait: float) -> bool:
        """Whether the client closed its side within ``wait`` seconds."""
        ready, _, _ = select.select([conn], [], [], wait)
        if not ready:
            return False
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _play(self, conn: socket.socket, act: Act) -> None:
        if act.kind == "send":
            conn.sendall(act.data)
        elif act.kind == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif act.kind == "trickle":
            conn.sendall(act.head)
            ends = time.monotonic() + act.hold
            for i in range(len(act.data)):
                conn.sendall(act.data[i : i + 1])
                if self._gone(conn, act.interval) or time.monotonic() > ends:
                    return
        elif act.kind == "stall":
            conn.sendall(act.data)
            ends = time.monotonic() + act.hold
            while time.monotonic() < ends and not self._gone(conn, 0.1):
                pass


@pytest.fixture(scope="session")
def _hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


@pytest.fixture
def hostile(_hostile: HostileServer) -> HostileServer:
    return _hostile.reset()


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch, hostile: HostileServer) -> HostileServer:
    """The CLI's environment: the key and the hostile server's URL."""
    monkeypatch.setenv("MODELLIX_API_KEY", API_KEY)
    monkeypatch.setenv("MODELLIX_BASE_URL", hostile.base_url)
    monkeypatch.setenv("CI", "1")
    return hostile


def client_options(server: HostileServer, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "api_key": API_KEY,
        "base_url": server.base_url,
        "poll_policy": FAST_POLL,
        "retry_policy": FAST_RETRY,
        "timeouts": SHORT,
        "poll_stats": False,
    }
    options.update(overrides)
    return options


def on_client(flavour: str, server: HostileServer, action: Callable[[Any], Any], **overrides: Any) -> Any:
    """``action(client)`` on a fresh client: its value, or the exception it raised."""
    try:
        if flavour == "sync":
            with Modellix(**client_options(server, **overrides)) as client:
                return action(client)

        async def main_async() -> Any:
            async with AsyncModellix(**client_options(server, **overrides)) as client:
                value = action(client)
                return await value if asyncio.iscoroutine(value) else value

        return asyncio.run(main_async())
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return exc


DEADLINE_TABLE = os.environ.get("MODELLIX_DEADLINE_TABLE")


def record_time(case: str, flavour: str, deadline: float, elapsed: float, outcome: str) -> None:
    """One row of the deadline table (printed; appended to $MODELLIX_DEADLINE_TABLE when set)."""
    row = f"| {case} | {flavour} | {deadline:.1f} s | {elapsed:.2f} s | {elapsed - deadline:+.2f} s | {outcome} |"
    print(row)
    if DEADLINE_TABLE:
        with open(DEADLINE_TABLE, "a", encoding="utf-8") as table:
            table.write(row + "\n")


# The documented margin, plus room for a shared 2-core CI machine (scheduling, thread start-up).
SLACK = DEADLINE_MARGIN + 1.0
flavours = pytest.mark.parametrize("flavour", ["sync", "async"])
# Per-request budgets far above a wait's or a run's: only that call's own deadline can end it in time.
LONG = Timeouts(connect=30.0, read=60.0, submit_read=60.0, download_read=60.0)

POLL_BODY = raw_response(200, b'{"code":0,"message":"success","data":' + b'{"task_id":"task-h1","status":"processing"}}')


def call(flavour: str, server: HostileServer, action: Callable[[Any], Any], **overrides: Any) -> tuple[Any, float]:
    """``on_client`` timed: (exception or value, elapsed seconds, client set-up included)."""
    started = time.monotonic()
    value = on_client(flavour, server, action, **overrides)
    return value, time.monotonic() - started


def trickle(data: bytes = POLL_BODY) -> Act:
    return Act("trickle", data, interval=0.5)
