"""Where the emulator serves ``GET /models/{provider}/{model_id}/api_schema`` (public, no key), built from a spec.

The reply has the live endpoint's shape (``{"servers": [{"url": ...}], "post": {...}}``): properties in their
documented order, the documented example, and ``servers[0].url`` on ``EmulatorConfig.schema_api_origin`` (by
default the origin the request came to, so a client pointed at this emulator submits back to it). The path is
the canonical one, or the page's documented path when the emulator also serves legacy paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .catalog import ModelSpec
from .handlers import state_of
from .responses import api_error


def _documented_order(schema: Any) -> Any:
    """Specs store keys sorted, with the documented order in ``x-order``: serve properties in that order."""
    if isinstance(schema, list):
        return [_documented_order(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    out = {key: _documented_order(value) for key, value in schema.items() if key != "x-order"}
    properties = out.get("properties")
    if isinstance(properties, dict):
        order = [name for name in schema.get("x-order") or [] if name in properties]
        out["properties"] = {name: properties[name] for name in [*order, *sorted(set(properties) - set(order))]}
    return out


def api_schema_document(model: ModelSpec, api_origin: str, *, legacy_paths: bool) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _documented_order(model.request_schema)}
    if model.example_request is not None:
        media["example"] = model.example_request
    operation: dict[str, Any] = {
        "summary": model.title,
        "requestBody": {"required": model.request_required, "content": {"application/json": media}},
    }
    if model.summary:
        operation["description"] = model.summary
    path = model.path if legacy_paths else model.canonical_path
    return {"servers": [{"url": f"{api_origin.rstrip('/')}{path}"}], "post": operation}


async def serve_api_schema(request: Request) -> Response:
    state = state_of(request)
    provider, model_id = request.path_params["provider"], request.path_params["model_id"]
    model = state.catalog.canonical.get(f"/api/v1/{provider}/{model_id}")
    if model is None:
        return api_error(404, f"Resource not found: no model {provider}/{model_id}")
    origin = state.config.schema_api_origin or f"{request.url.scheme}://{request.url.netloc}"
    return JSONResponse(api_schema_document(model, origin, legacy_paths=state.config.legacy_paths))
