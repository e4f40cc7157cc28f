"""Where an async request's total deadline is enforced: ``asyncio.timeout`` around connect, headers and body.

The deadline itself is decided in :mod:`.._core.deadline`; this scope turns its expiry into
:class:`~.._core.deadline.DeadlinePassed` (never a bare TimeoutError), which the Exchange maps to a typed error.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import httpx

from .._core.deadline import DeadlinePassed, time_left


class AsyncDeadline:
    """``async with AsyncDeadline(deadline):`` everything inside ends by ``deadline`` (monotonic) or raises
    DeadlinePassed. ``None``: no deadline."""

    def __init__(self, deadline: float | None) -> None:
        left = time_left(deadline)
        self._scope = asyncio.timeout(left)  # a deadline already passed fires at the first await

    async def __aenter__(self) -> None:
        await self._scope.__aenter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._scope.__aexit__(exc_type, exc, tb)
        except TimeoutError:
            if self._scope.expired():
                raise DeadlinePassed from None
            raise

    @staticmethod
    def client(**options: Any) -> httpx.AsyncClient:
        """The client a transport owns (the asyncio scope needs nothing from its sockets)."""
        return httpx.AsyncClient(follow_redirects=False, **options)
