"""Assemble the ASGI app: route table, the fault/limit guard around every API route, connection control."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import control, handlers
from .api_schema import serve_api_schema
from .config import EmulatorConfig
from .faults import AFTER, BEFORE
from .handlers import Denied
from .responses import (
    ABORT_SCOPE_KEY,
    CATEGORIES,
    DroppedResponse,
    TruncatedResponse,
    api_error,
    fault_error,
    malformed_json,
)
from .state import CLIENT_DISCONNECTED, EmulatorState

Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(route: str, endpoint: Endpoint) -> Endpoint:
    """Play faults for `route` around `endpoint`, turn Denied into its answer, and log the request."""

    async def run(request: Request) -> Response:
        state = handlers.state_of(request)
        method, path = request.method, request.url.path
        response: Response | None = None
        before = state.faults.take(route, BEFORE, method=method, path=path)
        if before is not None and before.kind == "slow":
            await anyio.sleep(before.delay)
        elif before is not None:
            response = fault_error(before.status, before.message, before.retry_after)
        if response is None:
            try:
                response = await endpoint(request)
                # A drop fault fires after the whole request is read; endpoints cache what they read.
                await request.body()
            except Denied as denied:
                response = denied.response
            except ClientDisconnect:
                # The client gave up mid-request (e.g. its timeout during a slow fault): nobody to answer.
                state.record(method, path, None, route, outcome=CLIENT_DISCONNECTED)
                return Response(status_code=499)
            after = state.faults.take(route, AFTER, method=method, path=path)
            if after is not None:
                # The endpoint ran (a submit created its task, an upload stored its file); only the answer breaks.
                if after.kind == "drop":
                    state.record(method, path, None, route)
                    return DroppedResponse()
                if after.kind == "truncated":
                    response = TruncatedResponse(response)
                else:
                    response = malformed_json()
        for name, value in getattr(request.state, "rate_headers", {}).items():
            response.headers.setdefault(name, value)
        # Like the API behind dsh-modellix: every answer names its request (a client may send its own id).
        response.headers.setdefault("x-request-id", f"emu-{uuid.uuid4().hex[:16]}")
        state.record(method, path, response.status_code, route, sent_id=request.headers.get("x-request-id"))
        return response

    return run


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods still answer in the API's error format."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return await _no_endpoint(request)
    if status == 405:
        return api_error(405, f"Method not allowed: {request.method} {request.url.path}")
    return api_error(status, f"{CATEGORIES.get(status, 'Error')}: {getattr(exc, 'detail', '')}")


async def _no_endpoint(request: Request) -> Response:
    return api_error(404, f"Resource not found: no endpoint at {request.method} {request.url.path}")


async def _internal_error(request: Request, exc: Exception) -> Response:
    return api_error(500, f"Internal error: emulator bug ({type(exc).__name__}: {exc})")


def _routes() -> list[Route]:
    api = [
        ("/api/v1/tasks/{task_id}", handlers.get_task, ["GET"], "poll"),
        ("/api/v1/models", handlers.list_models, ["GET"], "common"),
        ("/api/v1/apikey/validate", handlers.validate_key, ["GET"], "common"),
        ("/api/v1/team/balance", handlers.team_balance, ["GET"], "common"),
        ("/api/v1/media/files", handlers.upload_media, ["POST"], "common"),
        ("/api/v1/media/files", handlers.list_media, ["GET"], "common"),
        ("/api/v1/media/files/{file_id}", handlers.delete_media, ["DELETE"], "common"),
        ("/files/{task_id}/{name}", handlers.result_file, ["GET"], "download"),
        ("/_redirect/{hops:int}/{rest:path}", handlers.redirect_hop, ["GET"], "download"),
        ("/media/{file_id}/{filename}", handlers.media_content, ["GET"], "download"),
        ("/models/{provider}/{model_id}/api_schema", serve_api_schema, ["GET"], "common"),  # public, no key
        # Every model path (documented and alias forms) is looked up in the catalog.
        ("/api/v1/{rest:path}", handlers.submit, ["POST"], "submit"),
    ]
    routes = [Route(path, guarded(kind, fn), methods=methods) for path, fn, methods, kind in api]
    routes.append(Route("/api/v1/{rest:path}", _no_endpoint, methods=["GET", "PUT", "PATCH", "DELETE"]))
    routes += [
        Route("/_emulator/stats", control.stats, methods=["GET"]),
        Route("/_emulator/state", control.state, methods=["GET"]),
        Route("/_emulator/faults", control.inject_faults, methods=["POST"]),
        Route("/_emulator/faults", control.clear_faults, methods=["DELETE"]),
        Route("/_emulator/reset", control.reset, methods=["POST"]),
    ]
    return routes


class EmulatorApp:
    """The ASGI entry point; hands endpoints a way to close the raw connection (for drop/truncate faults)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.starlette: Starlette = Starlette(
            routes=_routes(),
            exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        )
        self.starlette.state.emulator = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            abort = _transport_closer(send)
            if abort is not None:
                scope = {**scope, ABORT_SCOPE_KEY: abort}
        await self.starlette(scope, receive, send)


def _transport_closer(send: Send) -> Callable[[], None] | None:
    """uvicorn's `send` is a method of its request cycle, which owns the transport."""
    cycle: Any = getattr(send, "__self__", None)
    transport: Any = getattr(cycle, "transport", None)
    if transport is None:
        return None

    def close() -> None:
        cycle.disconnected = True  # tells uvicorn not to answer 500 on our behalf
        transport.close()

    return close


def create_app(config: EmulatorConfig | None = None) -> EmulatorApp:
    return EmulatorApp(EmulatorState(config or EmulatorConfig()))
