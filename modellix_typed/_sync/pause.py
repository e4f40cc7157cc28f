"""Where a sync wait pauses: a sleep that a stop signal cuts short. Hand-written twin of
:mod:`.._async.pause` (the generated wait loops call these two functions)."""

from __future__ import annotations

import threading
import time

from .._core.wait import WaitState


def pause(delay: float, stop: threading.Event | None) -> bool:
    """Sleep ``delay`` seconds; True as soon as ``stop`` is set (then the wait gives up)."""
    if stop is not None:
        return stop.wait(delay)
    if delay > 0:
        time.sleep(delay)
    return False


def settle(state: WaitState) -> None:
    """A sync wait awaits nothing: ``on_update`` is a plain function, its return value is dropped."""
    state.take_update()
