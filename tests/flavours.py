"""One scenario, both clients: where a test written once drives the sync or the async client.

``Blocking(async_object, runner)`` answers the sync client's calls with the async client's: every awaitable the
async object returns is run to completion on the runner's one event loop, and objects of the async shells that
come back (``client.tasks``, ``client.media``, an ``AsyncTask``, the limiter) are wrapped the same way. So
``client.submit(...).wait()`` or ``client.tasks.wait(id)`` in a test body runs ``await`` under the hood, and a
test parametrized over :data:`FLAVOURS` checks that both clients behave alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import pytest

from modellix_typed import AsyncModellix, Modellix

FLAVOURS = ("sync", "async")
flavours = pytest.mark.parametrize("flavour", FLAVOURS)

T = TypeVar("T")
_SYNC_NAMES = {"close": "aclose"}  # the sync spelling a test uses -> the async client's


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


class Blocking:
    """A sync face over an object of the async shells (see the module's docstring)."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target = target
        self._runner = runner

    def _settle(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            value = self._runner.run(_awaited(value))
        if type(value).__module__.startswith("modellix_typed._async."):
            return Blocking(value, self._runner)
        return value

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, _SYNC_NAMES.get(name, name))
        if inspect.ismethod(value) or inspect.iscoroutinefunction(value):
            return lambda *args, **kwargs: self._settle(value(*args, **kwargs))
        return self._settle(value)

    def __enter__(self) -> Blocking:
        self._runner.run(self._target.__aenter__())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._runner.run(self._target.__aexit__(exc_type, exc, tb))

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"


@contextlib.contextmanager
def either_client(flavour: str, api_key: str, **options: Any) -> Iterator[Any]:
    """A client of ``flavour``, open for the block: ``Modellix``, or ``AsyncModellix`` behind :class:`Blocking`."""
    if flavour == "sync":
        with Modellix(api_key, **options) as client:
            yield client
        return
    with asyncio.Runner() as runner, Blocking(AsyncModellix(api_key, **options), runner) as blocking:
        yield blocking
