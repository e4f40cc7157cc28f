"""Answer shapes: the API envelope, API errors, and the deliberately broken answers of faults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

ABORT_SCOPE_KEY = "modellix_emulator.abort"

# Message categories as the docs word them, for statuses where the emulator invents the detail.
CATEGORIES: Mapping[int, str] = {
    400: "Invalid parameters",
    401: "Authentication failed",
    402: "Insufficient balance",
    404: "Resource not found",
    413: "Invalid parameters",
    429: "Rate limit exceeded",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class ConnectionDropped(Exception):
    """Raised when a fault must drop the connection but the server gives no way to close it."""


def ok(data: Any, headers: Mapping[str, str] | None = None, *, message: str = "success") -> JSONResponse:
    return JSONResponse({"code": 0, "message": message, "data": data}, headers=headers)


def api_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """`{"code": <status>, "message": "<Category>: <detail>"}` as every API error looks."""
    return JSONResponse({"code": status, "message": message}, status_code=status, headers=headers)


def fault_error(status: int, message: str | None, retry_after: int) -> JSONResponse:
    category = CATEGORIES.get(status) or HTTPStatus(status).phrase
    text = message or f"{category}: injected by the emulator's fault plan"
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else None
    return api_error(status, text, headers)


def abort_connection(scope: Scope) -> None:
    abort: Callable[[], None] | None = scope.get(ABORT_SCOPE_KEY)
    if abort is None:
        raise ConnectionDropped("connection dropped by fault (no server transport to close)")
    abort()


class DroppedResponse(Response):
    """Closes the connection without a single response byte."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        abort_connection(scope)


class TruncatedResponse(Response):
    """Sends the headers of `inner` with a Content-Length larger than the body, half the body, then closes."""

    def __init__(self, inner: Response) -> None:
        super().__init__(bytes(inner.body), status_code=inner.status_code)
        self.raw_headers: list[tuple[bytes, bytes]] = [(k, v) for k, v in inner.raw_headers if k != b"content-length"]
        self.raw_headers.append((b"content-length", str(len(self.body) + 128).encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": bytes(self.body[: len(self.body) // 2]), "more_body": True})
        abort_connection(scope)


def malformed_json() -> Response:
    """A 200 that claims JSON but is cut off mid-object."""
    return Response(b'{"code": 0, "message": "success", "data": {"status": ', media_type="application/json")
