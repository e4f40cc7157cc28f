"""Second source: the public per-model schema ``https://www.modellix.ai/models/<provider>/<model_id>/api_schema``.

It answers ``{"servers": [{"url": "https://api.modellix.ai/api/v1/<provider>/<model_id>"}], "post": {...}}``
(no auth). We wrap it into a one-operation OpenAPI document and normalize it exactly like a doc page. Which
models to ask for comes from the current snapshot's index.json (the docs crawl discovers models).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

from modellix_typed.codegen.crawl import CrawlResult, IndexUnavailable, PageOutcome, fetch_page
from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.fetch import Fetcher, FetchPolicy, looks_like_html
from modellix_typed.codegen.normalize import PageContext, SourceInfo, normalize_operation
from modellix_typed.codegen.openapi_doc import prepare_openapi

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


def spec_from_api_schema(row: dict[str, Any], text: str, content_type: str) -> dict[str, Any]:
    if looks_like_html(content_type, text):
        raise PageError(Reason.HTML_NOT_MARKDOWN, f"got HTML (Content-Type {content_type or 'none'!r})")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PageError(Reason.NOT_JSON, f"invalid JSON: {exc}") from exc
    provider, model_id = str(row["provider"]), str(row["model_id"])
    doc, op_path = wrap_api_schema(data, str(row.get("title") or model_id))
    resolved = prepare_openapi(doc)
    context = PageContext(
        provider=provider,
        page=model_id,
        doc_url=str(row.get("doc_url") or ""),
        title=row.get("title"),
        summary=None,
        is_model=True,
        task_type=row.get("task_type"),
    )
    source = SourceInfo(kind="api-schema", url=schema_url(CANONICAL_SCHEMA_URL, provider, model_id), spec_file=None)
    return normalize_operation(resolved, "POST", op_path, context, source)


def models_from_index(out_dir: Path) -> list[dict[str, Any]]:
    index_path = out_dir / "index.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"{index_path}: cannot read the model list ({exc}); run a docs crawl first") from exc
    return [row for row in index.get("models", []) if isinstance(row, dict)]


async def _one(fetcher: Fetcher, base: str, row: dict[str, Any]) -> tuple[PageOutcome, bool]:
    provider, model_id = str(row["provider"]), str(row["model_id"])
    return await fetch_page(
        fetcher,
        schema_url(CANONICAL_SCHEMA_URL, provider, model_id),
        lambda: schema_url(base, provider, model_id),
        lambda fetched: spec_from_api_schema(row, fetched.text, fetched.content_type),
        slug=f"{provider}/{model_id}",
    )


async def crawl_api_schemas(
    base: str, out_dir: Path, policy: FetchPolicy | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> CrawlResult:
    """Fetch api_schema for every model in ``out_dir/index.json`` (redirects are errors, as upstream does)."""
    rows = models_from_index(out_dir)
    policy = attrs.evolve(policy or FetchPolicy(), max_bytes=SCHEMA_MAX_BYTES)
    async with Fetcher(policy, transport=transport, follow_redirects=False) as fetcher:
        pages = await asyncio.gather(*(_one(fetcher, base, row) for row in rows))
        # index_url: the model list came from the snapshot being refreshed
        return CrawlResult.from_pages("api-schema", "index.json", pages, fetcher.requests_sent)
