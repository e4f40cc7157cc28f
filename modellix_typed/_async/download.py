"""Where result files are fetched (async): redirects followed by hand, streamed into the core's :class:`Sink`.

Written once, in async (``_async/``); ``tools/unasync.py`` generates the sync twin (``_sync/``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from .._core.download_plan import (
    CHUNK,
    MAX_REDIRECTS,
    Sink,
    abandon,
    check_response,
    plan,
    redirect_target,
    result_request,
)
from ..results import TaskResult

logger = logging.getLogger("modellix_typed")


@contextlib.asynccontextmanager
async def open_result_async(
    http: httpx.AsyncClient, url: str, timeout: httpx.Timeout | None
) -> AsyncIterator[httpx.Response]:
    """The streamed final response after following redirects."""
    for hops in range(MAX_REDIRECTS + 1):
        response = await http.send(result_request(http, url, timeout), stream=True, follow_redirects=False)
        try:
            target = redirect_target(response, url, hops)
            if target is None:
                yield response
                return
        finally:
            await response.aclose()
        url = target


async def download_async(
    http: httpx.AsyncClient,
    result: TaskResult,
    folder: Path,
    *,
    max_bytes: int | None = None,
    overwrite: bool = False,
    timeout: httpx.Timeout | None = None,
) -> list[Path]:
    saved = []
    for resource, target in plan(result, folder, overwrite=overwrite):
        sink = None
        try:
            async with open_result_async(http, resource.url, timeout) as response:
                sink = Sink(target, resource.url, max_bytes, check_response(response, result, resource))
                async for chunk in response.aiter_bytes(CHUNK):
                    sink.write(chunk, response.num_bytes_downloaded)
            saved.append(sink.commit())
        except BaseException as exc:  # noqa: BLE001 - cleans up, then re-raises or wraps
            raise abandon(sink, resource.url, exc)
    return saved
