"""HTTP fetching for the crawl: bounded concurrency, timeouts, size cap, retries with backoff.

Where a retry is decided: :func:`should_retry` and :func:`retry_delay`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import attrs
import httpx

from modellix_typed.codegen.failures import PageError, Reason

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "modellix-typed-codegen/0.1"


@attrs.frozen
class FetchPolicy:
    concurrency: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    timeout: float = attrs.field(default=15.0, validator=attrs.validators.gt(0))
    retries: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    backoff_base: float = 0.5  # seconds; doubled per attempt
    backoff_max: float = 30.0  # cap for backoff and for Retry-After
    max_bytes: int = 2_000_000


@attrs.frozen
class Fetched:
    url: str
    status: int
    content_type: str
    text: str
    attempts: int


def should_retry(status: int) -> bool:
    return status in RETRY_STATUSES


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_delay(
    attempt: int, policy: FetchPolicy, retry_after: float | None, rand: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with full jitter; a server's Retry-After wins when it is longer."""
    backoff = min(policy.backoff_max, policy.backoff_base * (2**attempt)) * rand()
    if retry_after is not None:
        return float(min(policy.backoff_max, max(backoff, retry_after)))
    return float(backoff)


def looks_like_html(content_type: str, text: str) -> bool:
    if "html" in content_type.lower():
        return True
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


class Fetcher:
    """One shared httpx.AsyncClient; at most ``policy.concurrency`` requests in flight."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        follow_redirects: bool = True,
    ) -> None:
        self.policy: FetchPolicy = policy or FetchPolicy()
        self._semaphore = asyncio.Semaphore(self.policy.concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=follow_redirects,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/markdown, text/plain, application/json;q=0.9, */*;q=0.1",
            },
            transport=transport,
            limits=httpx.Limits(max_connections=self.policy.concurrency),
        )
        self.requests_sent: int = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.aclose()

    async def _once(self, url: str) -> tuple[int, str, str, httpx.Headers]:
        """One GET, reading at most max_bytes (a bigger body raises TOO_LARGE without reading it all)."""
        self.requests_sent += 1
        async with self._client.stream("GET", url) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                raise PageError(Reason.TOO_LARGE, f"Content-Length {declared} > {self.policy.max_bytes} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self.policy.max_bytes:
                    raise PageError(Reason.TOO_LARGE, f"body exceeds {self.policy.max_bytes} bytes")
            text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
            return response.status_code, response.headers.get("Content-Type", ""), text, response.headers

    async def get(self, url: str) -> Fetched:
        """GET a URL with retries; raises PageError with a stable reason when it finally fails."""
        async with self._semaphore:
            attempt = 0
            while True:
                try:
                    status, content_type, text, headers = await self._once(url)
                except httpx.TransportError as exc:
                    if attempt >= self.policy.retries:
                        raise PageError(
                            Reason.NETWORK_ERROR, f"{type(exc).__name__} after {attempt + 1} attempts"
                        ) from exc
                    await asyncio.sleep(retry_delay(attempt, self.policy, None))
                    attempt += 1
                    continue
                if should_retry(status) and attempt < self.policy.retries:
                    await asyncio.sleep(
                        retry_delay(attempt, self.policy, parse_retry_after(headers.get("Retry-After")))
                    )
                    attempt += 1
                    continue
                if status in (404, 410):
                    raise PageError(Reason.NOT_FOUND, f"HTTP {status}")
                if 300 <= status < 400:
                    raise PageError(Reason.HTTP_STATUS, f"HTTP {status} redirect (redirects are not followed here)")
                if not 200 <= status < 300:
                    raise PageError(Reason.HTTP_STATUS, f"HTTP {status} after {attempt + 1} attempts")
                return Fetched(url=url, status=status, content_type=content_type, text=text, attempts=attempt + 1)
