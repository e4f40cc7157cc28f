"""The `/_emulator/` introspection API: stats, state, fault injection and reset over HTTP."""

from __future__ import annotations

import json

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .config import Fault
from .handlers import state_of
from .responses import api_error
from .state import CLIENT_DISCONNECTED


async def stats(request: Request) -> Response:
    return JSONResponse(state_of(request).stats())


async def state(request: Request) -> Response:
    return JSONResponse(state_of(request).snapshot())


async def inject_faults(request: Request) -> Response:
    """Body: one Fault object or a list of them, e.g. {"kind": "status", "route": "submit", "status": 503}."""
    try:
        raw = await request.body()
    except ClientDisconnect:
        state_of(request).record(request.method, request.url.path, None, "control", outcome=CLIENT_DISCONNECTED)
        return Response(status_code=499)
    try:
        payload = json.loads(raw or b"null")
        items = payload if isinstance(payload, list) else [payload]
        faults = [Fault.from_json(item) if isinstance(item, dict) else _not_an_object(item) for item in items]
    except (ValueError, TypeError) as exc:
        return api_error(400, f"Invalid parameters: {exc}")
    for fault in faults:
        state_of(request).inject(fault)
    return JSONResponse({"injected": [f.to_json() for f in faults]})


def _not_an_object(item: object) -> Fault:
    raise ValueError(f"each fault must be a JSON object, got {json.dumps(item)}")


async def clear_faults(request: Request) -> Response:
    state_of(request).faults.clear()
    return JSONResponse({"faults_pending": []})


async def reset(request: Request) -> Response:
    state_of(request).reset()
    return JSONResponse({"reset": True})
