"""Where an async wait pauses: a sleep that a stop signal cuts short, and the awaiting of what an ``async def``
``on_update`` returned. Hand-written; :mod:`.._sync.pause` is the thread flavour (the generated wait loops call
these two functions, the only things the flavours do differently there)."""

from __future__ import annotations

import asyncio
import inspect
import threading

from .._core.batch_book import STOP_CHECK_INTERVAL
from .._core.wait import WaitState


async def pause(delay: float, stop: threading.Event | None) -> bool:
    """Sleep ``delay`` seconds; True (at once, or within ``STOP_CHECK_INTERVAL``) when ``stop`` is set.

    ``stop`` is a :class:`threading.Event` in both flavours (set from any thread or a signal handler); the event
    loop cannot block on it, so it is looked at in short slices.
    """
    if stop is None:
        if delay > 0:
            await asyncio.sleep(delay)
        return False
    loop = asyncio.get_running_loop()
    end = loop.time() + delay
    while not stop.is_set():
        left = end - loop.time()
        if left <= 0:
            return False
        await asyncio.sleep(min(left, STOP_CHECK_INTERVAL))
    return True


async def settle(state: WaitState) -> None:
    """Await what ``on_update`` returned, if awaitable (an ``async def``), before the wait goes on."""
    value = state.take_update()
    if inspect.isawaitable(value):
        await value
