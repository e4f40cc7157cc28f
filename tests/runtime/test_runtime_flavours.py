"""One behaviour per feature in both flavours: the same scenario runs with ``Modellix`` and ``AsyncModellix``
(a sync call's value is used as is, an async one's awaited). Covers what used to differ between the two:
results bound to their client's download, a wait that a stop signal ends, an awaited ``on_update``, and a batch
that saves files outside its gate."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from modellix_typed import AsyncModellix, Modellix, ModellixError, TaskTimeout
from modellix_typed.emulator import Fault, RunningEmulator

from .conftest import API_KEY, FAST_POLL, FAST_RETRY

T = TypeVar("T")
FLAVOURS = ["sync", "async"]


async def value(call: T | Awaitable[T]) -> T:
    """A sync call's value, or an async call's awaited one."""
    if inspect.isawaitable(call):
        return await call  # type: ignore[no-any-return]
    return call


def scenario(flavour: str, emu: RunningEmulator, body: Callable[[Any], Awaitable[T]], **settings: Any) -> T:
    """Run ``body(client)`` with a client of ``flavour`` (closed after)."""

    async def main() -> T:
        kind = Modellix if flavour == "sync" else AsyncModellix
        client = kind(API_KEY, base_url=emu.base_url, poll_policy=FAST_POLL, retry_policy=FAST_RETRY, **settings)
        try:
            return await body(client)
        finally:
            await value(client.close() if isinstance(client, Modellix) else client.aclose())

    return asyncio.run(main())


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_results_are_bound_to_the_download_of_the_client_that_read_them(
    flavour: str, emu: RunningEmulator, Image: Any, tmp_path: Path
) -> None:
    async def body(client: Any) -> None:
        result = await value(client.run(Image("bound")))
        again = await value(client.tasks.get(result.task_id))
        if flavour == "sync":
            assert len(result.download(tmp_path / "run")) == 1
            assert len(again.download(tmp_path / "get")) == 1
            with pytest.raises(ModellixError, match="not bound to an async client"):
                await result.adownload(tmp_path / "wrong")
        else:
            assert len(await result.adownload(tmp_path / "run")) == 1
            assert len(await again.adownload(tmp_path / "get")) == 1
            with pytest.raises(ModellixError, match="not bound to a sync client"):
                result.download(tmp_path / "wrong")

    scenario(flavour, emu, body)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["get", "run"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_set_stop_ends_either_wait_with_a_resumable_timeout(flavour: str, emu: RunningEmulator, Image: Any) -> None:
    async def body(client: Any) -> tuple[str, TaskTimeout, int, str]:
        task = await value(client.submit(Image("stopped")))
        stop = threading.Event()
        stop.set()
        with pytest.raises(TaskTimeout) as caught:
            await value(client.tasks.wait(task.task_id, stop=stop))
        polls = len(_polls(emu))
        result = await value(client.tasks.wait(task.task_id))  # resumed: the task was never forgotten
        return task.task_id, caught.value, polls, result.task_id

    task_id, timeout, polls_while_stopped, resumed = scenario(flavour, emu, body)
    assert timeout.task_id == task_id == resumed
    assert polls_while_stopped == 0  # a stop already set: the wait gives up before its first poll
    assert len(_polls(emu)) >= 1


def _polls(emu: RunningEmulator) -> list[dict[str, Any]]:
    return [r for r in emu.stats()["requests"] if r["route"] == "poll"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_stop_set_during_a_wait_ends_it_with_a_resumable_timeout(flavour: str, emu: RunningEmulator, Video: Any) -> None:
    """The stop is set once the wait has seen the task running: the wait ends with a TaskTimeout, not with the
    task's success (it would get one if it went on polling)."""

    async def body(client: Any) -> TaskTimeout:
        task = await value(client.submit(Video("long")))
        stop = threading.Event()
        with pytest.raises(TaskTimeout) as caught:
            await value(client.tasks.wait(task.task_id, timeout=30, stop=stop, on_update=lambda _: stop.set()))
        return caught.value

    timeout = scenario(flavour, emu, body)
    assert timeout.last_status is not None and timeout.last_status != "success"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_on_update_sees_every_status_change_and_an_async_one_is_awaited(
    flavour: str, emu: RunningEmulator, Image: Any
) -> None:
    seen: list[str] = []

    def plain(result: Any) -> None:
        seen.append(result.raw_status)

    async def awaited(result: Any) -> None:
        await asyncio.sleep(0)  # only an awaited callback gets past this line
        seen.append(result.raw_status)

    async def body(client: Any) -> None:
        await value(client.run(Image("updates"), on_update=plain if flavour == "sync" else awaited))

    scenario(flavour, emu, body)
    assert seen and seen[-1] == "success"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_batch_narrower_than_its_client_saves_files_outside_its_gate(
    flavour: str, emu: RunningEmulator, Image: Any, tmp_path: Path
) -> None:
    """``batch(max_concurrency=1)`` on a client allowing 3: while the first two files still download, the third
    input is already submitted (the batch's one place was freed when its task ended, not when its files were
    saved)."""
    emu.inject(Fault(kind="slow", route="download", delay=1.5, count=2))

    async def body(client: Any) -> list[str]:
        inputs = [Image(f"gate {i}") for i in range(3)]
        outcomes = await value(client.batch(inputs, max_concurrency=1, download=tmp_path))
        return [o.kind for o in outcomes]

    assert scenario(flavour, emu, body, max_concurrency=3) == ["success"] * 3
    log = [r["route"] for r in emu.stats()["requests"] if r["route"] in ("submit", "download")]
    assert [i for i, route in enumerate(log) if route == "submit"][2] < log.index("download")
    assert len(list(tmp_path.iterdir())) == 3
