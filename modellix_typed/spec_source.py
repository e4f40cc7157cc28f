"""Where a live ``api_schema`` becomes a normalized spec, with no codegen extra installed.

``GET https://www.modellix.ai/models/<provider>/<model_id>/api_schema`` answers ``{"servers": [{"url": <full
submit URL>}], "post": {<OpenAPI operation>}}``. Both the crawl (``codegen crawl --source api-schema``) and the
client (a model newer than the generated classes) wrap it into a one-operation OpenAPI document, inline its
local ``$ref``s and normalize it with the codegen's own :func:`~modellix_typed.codegen.normalize.normalize_operation`
(a light module: attrs and re only), so both read one schema the same way. Only the crawl also runs
openapi-spec-validator (``check``), which the codegen extra installs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.normalize import (
    PageContext,
    SourceInfo,
    normalize_operation,
)
from modellix_typed.codegen.task_kind import IMAGE_KINDS, VIDEO_KINDS, kind_from_docs

JSON = Any

CANONICAL_SCHEMA_URL = "https://www.modellix.ai"
SCHEMA_MAX_BYTES = 8 * 1024 * 1024  # the platform's own client caps api_schema at 8 MiB


def schema_url(base: str, provider: str, model_id: str) -> str:
    return f"{base.rstrip('/')}/models/{provider}/{model_id}/api_schema"


def wrap_api_schema(data: Any, title: str) -> tuple[dict[str, Any], str]:
    """The api_schema JSON -> (OpenAPI document, operation path). servers[0].url is the full submit URL,
    so its last segment becomes the operation path (``/<model_id>``, or ``/<model_id>/async``)."""
    if not isinstance(data, dict):
        raise PageError(Reason.NOT_JSON, f"api_schema is a {type(data).__name__}, not an object")
    servers = data.get("servers")
    if not (isinstance(servers, list) and servers and isinstance(servers[0], dict) and servers[0].get("url")):
        raise PageError(Reason.INVALID_OPENAPI, "api_schema has no servers[0].url")
    post = data.get("post")
    if not isinstance(post, dict):
        raise PageError(Reason.NO_REQUEST_BODY, "api_schema has no 'post' operation")
    parts = urlsplit(str(servers[0]["url"]))
    segments = [s for s in parts.path.split("/") if s]
    tail = 2 if segments and segments[-1] == "async" and len(segments) > 1 else 1
    if len(segments) < tail:
        raise PageError(Reason.INVALID_OPENAPI, f"servers[0].url has no model path: {servers[0]['url']}")
    op_path = "/" + "/".join(segments[-tail:])
    prefix = "/" + "/".join(segments[:-tail]) if segments[:-tail] else ""
    doc: dict[str, Any] = {
        "openapi": str(data.get("openapi", "3.1.0")),
        "info": {"title": title, "version": "api_schema"},
        "servers": [{"url": f"{parts.scheme}://{parts.netloc}{prefix}"}],
        "paths": {op_path: {"post": post}},
    }
    if isinstance(data.get("components"), dict):
        doc["components"] = data["components"]
    return doc, op_path


def _pointer(doc: JSON, ref: str) -> JSON:
    if not ref.startswith("#/") and ref != "#":
        raise PageError(Reason.BAD_REF, f"external $ref not supported: {ref}")
    node = doc
    for raw in ref[2:].split("/") if ref != "#" else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise PageError(Reason.BAD_REF, f"$ref {ref} points nowhere")
    return node


def resolve_refs(doc: dict[str, JSON], node: JSON) -> JSON:
    """Inline every local $ref. A ref that recurses into itself stays a $ref (marked x-recursive)
    instead of expanding forever; sibling keys next to a $ref are kept (OpenAPI 3.1 allows them)."""
    return _resolve(doc, node, ())


def _resolve(doc: dict[str, JSON], node: JSON, stack: tuple[str, ...]) -> JSON:
    """:func:`resolve_refs` below the refs in ``stack`` (the ones being expanded)."""
    if isinstance(node, list):
        return [_resolve(doc, item, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        siblings = {k: _resolve(doc, v, stack) for k, v in node.items() if k != "$ref"}
        if ref in stack:
            return {"$ref": ref, "x-recursive": True, **siblings}
        target = _resolve(doc, _pointer(doc, ref), (*stack, ref))
        if isinstance(target, dict):
            return {**target, **siblings}
        return target
    return {k: _resolve(doc, v, stack) for k, v in node.items()}


def spec_from_api_schema_data(
    data: Any,
    provider: str,
    model_id: str,
    *,
    title: str | None = None,
    doc_url: str = "",
    task_type: str | None = None,
    check: Callable[[dict[str, JSON]], None] | None = None,
) -> dict[str, JSON]:
    """A parsed api_schema -> the snapshot dict of SPEC_FORMAT.md (``PageError`` when it is not usable).

    With no ``task_type`` (a model no doc page told us about), the type is read from the operation's own words,
    then from the model id's suffix (``...-t2v``).
    """
    doc, op_path = wrap_api_schema(data, title or model_id)
    if check is not None:
        check(doc)
    resolved = resolve_refs(doc, doc)
    assert isinstance(resolved, dict)
    context = PageContext(
        provider=provider,
        page=model_id,
        doc_url=doc_url,
        title=title,
        summary=None,
        is_model=True,
        task_type=task_type,
    )
    source = SourceInfo(kind="api-schema", url=schema_url(CANONICAL_SCHEMA_URL, provider, model_id), spec_file=None)
    spec = normalize_operation(resolved, "POST", op_path, context, source)
    if spec.get("task_type") is None:
        suffix = model_id.rsplit("-", 1)[-1] if "-" in model_id else None
        known = suffix if suffix in IMAGE_KINDS | VIDEO_KINDS else None
        spec["task_type"] = kind_from_docs(spec.get("title"), spec.get("summary"), known)
    return spec


def submit_url(data: Mapping[str, Any]) -> str | None:
    """``servers[0].url`` of an api_schema: the full URL a submission goes to (None when absent)."""
    servers = data.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], Mapping):
        url = servers[0].get("url")
        return url if isinstance(url, str) and url else None
    return None
