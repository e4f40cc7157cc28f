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

import attrs
import httpx

from modellix_typed.codegen.crawl import CrawlResult, IndexUnavailable, PageOutcome, fetch_page
from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.fetch import Fetcher, FetchPolicy, looks_like_html
from modellix_typed.codegen.openapi_doc import validate_openapi
from modellix_typed.spec_source import (
    CANONICAL_SCHEMA_URL,
    SCHEMA_MAX_BYTES,
    schema_url,
    spec_from_api_schema_data,
    wrap_api_schema,
)

__all__ = ["crawl_api_schemas", "models_from_index", "spec_from_api_schema", "wrap_api_schema"]

def spec_from_api_schema(row: dict[str, Any], text: str, content_type: str) -> dict[str, Any]:
    if looks_like_html(content_type, text):
        raise PageError(Reason.HTML_NOT_MARKDOWN, f"got HTML (Content-Type {content_type or 'none'!r})")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PageError(Reason.NOT_JSON, f"invalid JSON: {exc}") from exc
    return spec_from_api_schema_data(
        data,
        str(row["provider"]),
        str(row["model_id"]),
        title=row.get("title"),
        doc_url=str(row.get("doc_url") or ""),
        task_type=row.get("task_type"),
        check=validate_openapi,
    )


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
