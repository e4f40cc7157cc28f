"""A throwaway ``redis-server`` on 127.0.0.1 (free port, no persistence, temp dir) for tests and the bench."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

REDIS_SERVER = "redis-server"


def redis_server_path() -> str | None:
    """The binary, or None when it is not installed (Debian: ``apt-get install redis-server``)."""
    return shutil.which(REDIS_SERVER)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def running_redis(startup_timeout: float = 10.0) -> Iterator[str]:
    """Start a private redis-server and yield its URL (``redis://127.0.0.1:PORT/0``); stopped on exit."""
    binary = redis_server_path()
    if binary is None:
        raise FileNotFoundError(f"{REDIS_SERVER} is not installed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="modellix-redis-") as folder:
        for _ in range(5):  # the free port may be taken between probing and binding: try another
            port = _free_port()
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", folder, "--daemonize", "no", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + startup_timeout
            while process.poll() is None and time.monotonic() < deadline and not _answers(port):
                time.sleep(0.02)
            if process.poll() is None and _answers(port):
                break
            process.kill()
            process.wait()
        else:
            raise RuntimeError(f"{REDIS_SERVER} did not start on a free port of 127.0.0.1")
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
