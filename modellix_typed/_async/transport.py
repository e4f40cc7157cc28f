"""Where a request is sent (async): the send-and-read loop around the core's :class:`Exchange`.

Written once, in async (``_async/``); ``tools/unasync.py`` generates the sync twin (``_sync/``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from .._core import exchange
from .._core.deadline import DeadlinePassed
from .._core.deadline import check as check_deadline
from .._core.exchange import (
    Call,
    Exchange,
    Reply,
    TooLarge,
    add_capped,
    check_open,
    declared_too_large,
)
from ..config import ClientConfig
from ..retry import RetryPolicy
from .deadline import AsyncDeadline

logger = logging.getLogger("modellix_typed")


class AsyncTransport:
    """Sends :class:`Call` objects with an ``httpx.AsyncClient`` (owned unless injected)."""

    def __init__(
        self, config: ClientConfig, policy: RetryPolicy, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self.config = config
        self.policy = policy
        self._owned = http_client is None
        self._closed = False
        self.http: httpx.AsyncClient = http_client or AsyncDeadline.client()

    def open_http(self) -> httpx.AsyncClient:
        """The httpx client, or ClientClosed (a typed error, not httpx's bare RuntimeError)."""
        check_open(self._closed or self.http.is_closed)
        return self.http

    async def send(self, call: Call) -> dict[str, Any]:
        return (await self.send_reply(call)).payload

    async def send_reply(self, call: Call) -> Reply:
        self.open_http()
        exchange = Exchange(self.config, self.policy, call)
        while True:
            request = self.http.build_request(**exchange.request_kwargs())
            try:
                async with AsyncDeadline(exchange.deadline):
                    response = await self.http.send(request, stream=True, follow_redirects=False)
                    try:
                        content = await self._read(response, exchange.deadline)
                    finally:
                        await response.aclose()
            except httpx.RequestError as exc:  # transport errors, and a body its Content-Encoding cannot decode
                step = exchange.on_exception(exc)
            except DeadlinePassed:
                step = exchange.on_deadline()
            except TooLarge:
                step = exchange.on_too_large(response.status_code)
            else:
                step = exchange.on_response(response.status_code, response.headers, content)
            if step.retry is not None:
                await asyncio.sleep(step.retry.delay)
                continue
            if step.error is not None:
                raise step.error
            return Reply(response.status_code, step.value)

    @staticmethod
    async def _read(response: httpx.Response, deadline: float | None) -> bytes:
        """The body, or TooLarge once it passes the cap (a hostile or broken server cannot fill memory)."""
        declared_too_large(response, exchange.MAX_API_RESPONSE_BYTES)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size = add_capped(chunks, size, chunk, exchange.MAX_API_RESPONSE_BYTES)
            check_deadline(deadline)
        return b"".join(chunks)

    async def aclose(self) -> None:
        self._closed = True
        if self._owned:
            await self.http.aclose()
