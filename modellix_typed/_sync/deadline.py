"""Where a sync request's total deadline is enforced: every socket operation bounded by the time left.

There is no cancellation in blocking code, so the deadline (decided in :mod:`.._core.deadline`) is carried
into the sockets: :class:`Deadline` publishes it for this thread (a context variable) and the network backend
of the clients this package creates (:meth:`Deadline.client`) gives each connect, read and write at most the
time left, then raises a timeout. A server trickling one byte every half second therefore cannot hold a
request past its deadline, headers included. The shells also check between body chunks. With an injected
``http_client`` only the between-chunk check applies (documented in the README).
"""

from __future__ import annotations

import contextvars
import ssl
import typing
from types import TracebackType
from typing import Any

import httpcore
import httpx

from .._core.deadline import bounded, time_left

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("modellix_deadline", default=None)


def _bound(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    left = time_left(deadline)
    if left is None:
        return timeout
    if left <= 0:
        raise error("the request's total deadline passed")
    return bounded(left if timeout is None else timeout, deadline)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, _bound(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _bound(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _bound(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class Deadline:
    """``with Deadline(deadline):`` the sockets of this thread's requests end by ``deadline`` (monotonic)."""

    def __init__(self, deadline: float | None) -> None:
        self._deadline = deadline
        self._token: contextvars.Token[float | None] | None = None

    def __enter__(self) -> None:
        self._token = _DEADLINE.set(self._deadline)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._token is not None
        _DEADLINE.reset(self._token)

    @staticmethod
    def client(**options: Any) -> httpx.Client:
        """The client a transport owns: its sockets honour :class:`Deadline` scopes."""
        transport = httpx.HTTPTransport()
        pool = transport._pool
        if isinstance(pool, httpcore.ConnectionPool):
            pool._network_backend = _DeadlineBackend(pool._network_backend)
        return httpx.Client(follow_redirects=False, transport=transport, **options)
