"""Where result files are fetched (sync): redirects followed by hand, streamed into the core's :class:`Sink`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
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


@contextlib.contextmanager
def open_result(http: httpx.Client, url: str, timeout: httpx.Timeout | None) -> Iterator[httpx.Response]:
    """The streamed final response after following redirects."""
    for hops in range(MAX_REDIRECTS + 1):
        response = http.send(result_request(http, url, timeout), stream=True, follow_redirects=False)
        try:
            target = redirect_target(response, url, hops)
            if target is None:
                yield response
                return
        finally:
            response.close()
        url = target


def download_sync(
    http: httpx.Client,
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
            with open_result(http, resource.url, timeout) as response:
                sink = Sink(target, resource.url, max_bytes, check_response(response, result, resource))
                for chunk in response.iter_bytes(CHUNK):
                    sink.write(chunk, response.num_bytes_downloaded)
            saved.append(sink.commit())
        except BaseException as exc:  # noqa: BLE001 - cleans up, then re-raises or wraps
            raise abandon(sink, resource.url, exc)
    return saved
