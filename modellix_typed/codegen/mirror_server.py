"""Serve a docs mirror directory over real HTTP on loopback (crawl --mirror, tests, make)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map: dict[str, str] = {  # noqa: RUF012 - same (instance-overridable) shape as the base class
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".md": "text/markdown; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
        ".json": "application/json",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _MirrorHTTPServer(http.server.ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 drops SYNs under a concurrent crawl (1 s retransmit stalls).
    request_queue_size = 128
    daemon_threads = True


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    if not directory.is_dir():
        raise FileNotFoundError(f"mirror directory not found: {directory}")
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return _MirrorHTTPServer((host, port), handler)


def base_url(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


@contextmanager
def serve_directory(directory: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``directory`` in a background thread; yields the base URL, shuts down on exit."""
    server = make_server(directory, host, port)
    thread = threading.Thread(target=server.serve_forever, name="docs-mirror", daemon=True)
    thread.start()
    try:
        yield base_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
