"""Turn one dereferenced OpenAPI operation into the per-model JSON of SPEC_FORMAT.md."""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlsplit

import attrs

from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.rules import extract_rules

FORMAT_VERSION = 1
JSON = Any
_TASK_TYPE = re.compile(r"-(?P<task>[a-z0-9]+)$")
_SAFE_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # it becomes a file name under specs/


@attrs.frozen
class SourceInfo:
    """Where a spec came from; every URL here is canonical (never the crawled origin)."""

    kind: str  # "docs" | "api-schema"
    url: str
    spec_file: str | None


@attrs.frozen
class PageContext:
    provider: str  # "common" for api/ pages
    page: str  # doc page slug (last URL segment without .md)
    doc_url: str
    title: str | None
    summary: str | None
    is_model: bool
    task_type: str | None = None  # overrides the spec file suffix (api-schema source)


def task_type_from_spec_file(spec_file: str | None) -> str | None:
    """``model-api/google/google-t2i.json`` -> ``t2i``."""
    if not spec_file:
        return None
    stem = spec_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    found = _TASK_TYPE.search(stem)
    return found.group("task") if found else None


def model_id_from_path(path: str) -> str:
    """``/wan2.6-t2i/async`` -> ``wan2.6-t2i``: the last literal segment before a trailing ``async``."""
    segments = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    if segments and segments[-1] == "async":
        segments.pop()
    if not segments or not _SAFE_MODEL_ID.match(segments[-1]):
        raise PageError(Reason.OPERATION_NOT_FOUND, f"cannot derive a safe model id from path {path!r}")
    return segments[-1]


def add_x_order(schema: JSON) -> JSON:
    """Record documented property order (``x-order``) on every object schema, since keys are sorted on disk."""
    if isinstance(schema, list):
        return [add_x_order(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: add_x_order(value) for key, value in schema.items()}
    props = schema.get("properties")
    if isinstance(props, dict) and props:
        out["x-order"] = list(props)
    return out


def _server(doc: dict[str, JSON]) -> tuple[str | None, str]:
    servers = doc.get("servers") or []
    url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    return origin, parts.path.rstrip("/")


def _json_media(content: JSON) -> tuple[str | None, dict[str, JSON]]:
    """Prefer application/json; otherwise the first documented media type (e.g. multipart)."""
    if not isinstance(content, dict) or not content:
        return None, {}
    for media_type, media in content.items():
        if media_type.split(";")[0].strip() == "application/json" and isinstance(media, dict):
            return media_type, media
    media_type, media = next(iter(content.items()))
    return media_type, media if isinstance(media, dict) else {}


def _example(media: dict[str, JSON], schema: JSON) -> JSON:
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict):
        for item in examples.values():
            if isinstance(item, dict) and "value" in item:
                return item["value"]
    if isinstance(schema, dict):
        if "example" in schema:
            return schema["example"]
        listed = schema.get("examples")
        if isinstance(listed, list) and listed:
            return listed[0]
    return None


def _success_response(operation: dict[str, JSON]) -> dict[str, JSON]:
    responses = operation.get("responses") or {}
    for code, response in sorted(responses.items(), key=lambda item: str(item[0])):
        if str(code).startswith("2") and isinstance(response, dict):
            return response
    return {}


def _parameters(operation: dict[str, JSON], path_item: dict[str, JSON]) -> list[dict[str, JSON]]:
    params: list[dict[str, JSON]] = []
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        if not isinstance(raw, dict):
            continue
        params.append(
            {
                "name": raw.get("name"),
                "in": raw.get("in"),
                "required": bool(raw.get("required", raw.get("in") == "path")),
                "description": raw.get("description"),
                "schema": add_x_order(raw.get("schema") or {}),
                "example": raw.get("example"),
            }
        )
    return params


def normalize_operation(
    doc: dict[str, JSON], method: str, op_path: str, context: PageContext, source: SourceInfo
) -> dict[str, JSON]:
    """One operation of a dereferenced OpenAPI document -> the snapshot dict (see SPEC_FORMAT.md)."""
    paths = doc.get("paths") or {}
    path_item = paths.get(op_path)
    operation = path_item.get(method.lower()) if isinstance(path_item, dict) else None
    if not isinstance(operation, dict):
        raise PageError(Reason.OPERATION_NOT_FOUND, f"{method.upper()} {op_path} is not in the document's paths")
    assert isinstance(path_item, dict)

    body = operation.get("requestBody")
    media_type, media = _json_media(body.get("content") if isinstance(body, dict) else None)
    request_schema = media.get("schema")
    if context.is_model and not isinstance(request_schema, dict):
        raise PageError(Reason.NO_REQUEST_BODY, f"{method.upper()} {op_path} documents no request body schema")

    response = _success_response(operation)
    _, response_media = _json_media(response.get("content"))
    response_schema = response_media.get("schema")

    origin, server_path = _server(doc)
    model_id = model_id_from_path(op_path) if context.is_model else context.page
    body_notes = None
    if isinstance(body, dict) and body.get("description"):
        body_notes = str(body["description"])
    elif isinstance(request_schema, dict) and request_schema.get("description"):
        body_notes = str(request_schema["description"])

    return {
        "format_version": FORMAT_VERSION,
        "slug": f"{context.provider}/{model_id}",
        "provider": context.provider,
        "model_id": model_id,
        "title": context.title or operation.get("summary") or model_id,
        "summary": operation.get("description") or context.summary,
        "doc_url": context.doc_url,
        "source": {"kind": source.kind, "url": source.url, "spec_file": source.spec_file},
        "task_type": (context.task_type or task_type_from_spec_file(source.spec_file)) if context.is_model else None,
        "method": method.upper(),
        "path": server_path + op_path,
        "server_origin": origin,
        "operation_id": operation.get("operationId"),
        "parameters": _parameters(operation, path_item),
        "request_content_type": media_type,
        "request_schema": add_x_order(copy.deepcopy(request_schema)) if isinstance(request_schema, dict) else None,
        "request_required": bool(body.get("required", False)) if isinstance(body, dict) else False,
        "response_schema": add_x_order(copy.deepcopy(response_schema)) if isinstance(response_schema, dict) else None,
        "examples": {
            "request": _example(media, request_schema) if media else None,
            "response": _example(response_media, response_schema) if response_media else None,
        },
        "body_notes": body_notes,
        "rules": extract_rules(request_schema, body_notes) if context.is_model and isinstance(request_schema, dict) else [],
        "stale": False,
        "stale_reason": None,
    }
