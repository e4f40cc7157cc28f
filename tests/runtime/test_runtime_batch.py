"""client.batch: validation before any POST, full slots without 429s, input-ordered outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from modellix_typed import AsyncModellix, BatchProgress, ConfigurationError, Modellix, TaskTimeout, ValidationError
from modellix_typed.emulator import Fault, RunningEmulator


def _statuses(emu: RunningEmulator, method: str) -> list[int | None]:
    return [r["status"] for r in emu.stats()["requests"] if r["method"] == method]


def test_batch_of_20_under_limit_3_without_429_in_input_order(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any
) -> None:
    progress: list[BatchProgress] = []
    client = make_client(emu)
    requests = [Image(f"prompt {i}", n=1 + i % 2) for i in range(20)]
    outcomes = client.batch(requests, on_progress=progress.append)
    assert [o.index for o in outcomes] == list(range(20))
    assert all(o.kind == "success" and o.result is not None for o in outcomes)
    assert [len(o.result.resources) for o in outcomes if o.result] == [1 + i % 2 for i in range(20)]
    assert len({o.task_id for o in outcomes}) == 20
    stats = emu.stats()
    assert stats["tasks_created"] == 20
    assert 429 not in [r["status"] for r in stats["requests"]]
    assert [p.done for p in progress] == list(range(1, 21)) and progress[-1].counts == {"success": 20}
    assert client._limiter.in_use == 0


def test_batch_validates_everything_before_the_first_post(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any
) -> None:
    client = make_client(emu)
    with pytest.raises(ValidationError) as info:
        client.batch([Image("ok"), ("no-such/model", {"prompt": "x"}), 42])  # type: ignore[list-item]
    paths = [issue.path for issue in info.value.issues]
    assert paths == ["[1]", "[2]"]  # both problems reported at once
    assert emu.stats()["requests"] == []


@pytest.mark.parametrize("width", [0, -1, 1.5])
def test_batch_rejects_a_bad_max_concurrency_before_the_first_post(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, width: Any
) -> None:
    client = make_client(emu)
    with pytest.raises(ConfigurationError, match=r"max_concurrency: must be an integer >= 1, got"):
        client.batch([Image("ok")], max_concurrency=width)
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        asyncio.run(AsyncModellix("k", base_url=emu.base_url).batch([Image("ok")], max_concurrency=width))
    assert emu.stats()["requests"] == []
    assert client._limiter.waiting == 0  # no demand left behind


def test_batch_reports_each_kind_without_raising(
    fresh_emulator: Any, make_client: Callable[..., Modellix], Image: Any, Video: Any
) -> None:
    with fresh_emulator(durations={"t2i": 0.1, "t2v": 30.0}) as emu:
        emu.inject(Fault(kind="status", route="submit", status=400, message="Invalid parameters: nope"))
        client = make_client(emu, max_concurrency=1)  # one at a time: the fault hits the first input
        outcomes = client.batch([Image("a"), Video("slow"), Image("b")], timeout=1.0)
        assert [o.kind for o in outcomes] == ["rejected", "timeout", "success"]  # no deadlock on the timeout
        assert outcomes[0].task_id is None and outcomes[1].task_id is not None
        assert isinstance(outcomes[1].error, TaskTimeout) and outcomes[1].error.task_id == outcomes[1].task_id


def test_batch_stops_sending_after_402(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any
) -> None:
    emu.inject(Fault(kind="status", route="submit", status=402, message="Insufficient balance: top up"))
    client = make_client(emu, max_concurrency=1)
    outcomes = client.batch([Image(str(i)) for i in range(4)])
    assert [o.kind for o in outcomes] == ["rejected"] * 4
    assert _statuses(emu, "POST") == [402]


def test_async_batch_keeps_order_and_limit(
    emu: RunningEmulator, api_key: str, fast_poll: Any, Image: Any
) -> None:
    async def main() -> list[Any]:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            return await c.batch([Image(f"p{i}") for i in range(8)])

    outcomes = asyncio.run(main())
    assert [o.index for o in outcomes] == list(range(8)) and {o.kind for o in outcomes} == {"success"}
    assert 429 not in _statuses(emu, "POST")
