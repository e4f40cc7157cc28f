"""Run the emulator under a real uvicorn server in a background thread (port 0 supported)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

from .app import EmulatorApp, create_app
from .config import EmulatorConfig, Fault
from .state import EmulatorState

STARTUP_TIMEOUT = 15.0


class EmulatorServer:
    """uvicorn.Server in a daemon thread; `start()` returns once the socket is bound."""

    def __init__(self, app: EmulatorApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            http="h11",
            lifespan="off",
            log_config=None,
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="modellix-emulator", daemon=True)
        self._error: BaseException | None = None
        self.port: int = 0

    def _run(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # reported to the starting thread
            self._error = exc

    def start(self) -> None:
        port = self._server.config.port
        if port:
            self._check_port(port)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                if isinstance(self._error, SystemExit) or self._error is None:  # uvicorn exits when it cannot bind
                    reason = f"could not listen on {self.host}:{port} (in use?); --port 0 picks a free port"
                else:
                    reason = f"{type(self._error).__name__}: {self._error}"
                raise RuntimeError(f"emulator failed to start: {reason}")
            time.sleep(0.01)
        sockets: list[Any] = [s for server in self._server.servers for s in server.sockets]
        self.port = int(sockets[0].getsockname()[1])

    def _check_port(self, port: int) -> None:
        """A port already taken is named, with the way out, before uvicorn's own exit would hide it."""
        import errno
        import socket

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                probe.bind((self.host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise RuntimeError(
                        f"port {port} on {self.host} is already in use (another emulator?): "
                        "choose another with --port N, or --port 0 for a free one"
                    ) from None
                raise RuntimeError(f"cannot listen on {self.host}:{port}: {exc.strerror or exc}") from None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def serve_until_interrupted(self, announce: Callable[[], None]) -> None:
        """Block the main thread until Ctrl+C or SIGTERM, then stop: how both command lines serve.

        `announce` (printing the URL) runs once SIGTERM is handled, so a script that reads the URL and
        terminates the server at once still gets a clean stop.
        """
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        try:
            announce()
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()


class RunningEmulator:
    """Handle of a live emulator for tests and scripts."""

    def __init__(self, server: EmulatorServer) -> None:
        self._server = server
        self.state: EmulatorState = server.app.state

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def api_key(self) -> str:
        return self.state.config.api_keys[0]

    @property
    def config(self) -> EmulatorConfig:
        return self.state.config

    def key_label(self, key: str) -> str:
        """The name under which stats count a key (stats never hold the key itself)."""
        return self.state.config.key_label(key)

    def inject(self, fault: Fault) -> None:
        self.state.inject(fault)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def reset(self) -> None:
        self.state.reset()

    def __repr__(self) -> str:
        return f"RunningEmulator({self.base_url})"


@contextmanager
def running_emulator(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningEmulator]:
    server = EmulatorServer(create_app(config), host=host, port=port)
    server.start()
    try:
        yield RunningEmulator(server)
    finally:
        server.stop()
