"""Where a live api_schema is fetched (async): one GET with no credentials, no redirects, 8 MiB at most."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .._core.exchange import TooLarge, add_capped, declared_too_large

if TYPE_CHECKING:
    from ..live_schema import LiveModel, SchemaSource


async def load_live_model_async(
    http: httpx.AsyncClient, source: SchemaSource, slug: str, timeout: httpx.Timeout
) -> LiveModel:
    """The cached schema while it is fresh, else one GET; every failure is a SchemaUnavailable."""
    from ..live_schema import NO_CREDENTIALS, SCHEMA_HEADERS, SCHEMA_MAX_BYTES  # lazy: only newer models

    cached = source.cached(slug)
    if cached is not None:
        return cached
    request = http.build_request("GET", source.url(slug), headers=dict(SCHEMA_HEADERS), timeout=timeout)
    for name in NO_CREDENTIALS:
        request.headers.pop(name, None)
    chunks: list[bytes] = []
    size = 0
    try:
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            source.check_redirect_free(slug, response.status_code, response.headers.get("location"))
            declared_too_large(response, SCHEMA_MAX_BYTES)
            async for chunk in response.aiter_bytes():
                size = add_capped(chunks, size, chunk, SCHEMA_MAX_BYTES)
        finally:
            await response.aclose()
    except TooLarge:
        raise source.unavailable(slug, f"the reply is larger than {SCHEMA_MAX_BYTES} bytes") from None
    except httpx.HTTPError as exc:
        raise source.unavailable(slug, f"{type(exc).__name__}: {exc}") from None
    return source.accept(slug, response.status_code, response.headers.get("content-type", ""), b"".join(chunks))
