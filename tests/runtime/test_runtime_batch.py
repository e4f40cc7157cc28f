"""client.batch: validation before any POST, full slots without 429s, input-ordered outcomes."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
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


def _one_second_tasks(fresh_emulator: Any) -> Any:
    """Tasks of ~1 s under the key's 3 slots: an uninterrupted batch of 9 takes ~3 s."""
    return fresh_emulator(durations={"t2i": 1.0})


def test_ctrl_c_in_a_sync_batch_stops_submitting_and_returns_promptly(
    fresh_emulator: Any, make_client: Callable[..., Modellix], Image: Any
) -> None:
    calls: list[BatchProgress] = []

    def interrupt_once(progress: BatchProgress) -> None:
        calls.append(progress)
        if len(calls) == 1:
            raise KeyboardInterrupt  # what Ctrl+C does when it lands in the callback

    with _one_second_tasks(fresh_emulator) as emu:
        client = make_client(emu)
        with pytest.raises(KeyboardInterrupt) as info:
            client.batch([Image(f"p{i}") for i in range(9)], on_progress=interrupt_once)
        created = emu.stats()["tasks_created"]
        assert 3 <= created <= 5  # the first 3, plus at most the 2 other workers' POSTs already in flight
        assert len(calls) == 1  # the callback is not called again after the caller asked to stop
        outcomes = info.value.outcomes  # type: ignore[attr-defined]
        assert calls[0].last.kind == "success" and calls[0].last in outcomes  # the one that was reported
        # every task created is accounted for (finished, or "timeout": still running, resumable by id)
        assert len({o.task_id for o in outcomes if o.task_id}) == created
        assert {o.kind for o in outcomes} <= {"success", "timeout"}
        assert [o.index for o in outcomes] == sorted(o.index for o in outcomes)
        assert client._limiter.in_use == 0 and client._limiter.waiting == 0
        time.sleep(1.2)  # nothing keeps submitting in the background
        assert emu.stats()["tasks_created"] == created


@pytest.mark.usefixtures("ctrl_c_works")
def test_interrupt_main_during_a_sync_batch(
    fresh_emulator: Any, make_client: Callable[..., Modellix], Image: Any
) -> None:
    """A real Ctrl+C lands in the calling thread (blocked in the batch), not in a worker."""
    once = threading.Lock()

    def ctrl_c_once(progress: BatchProgress) -> None:
        if once.acquire(blocking=False):  # one Ctrl+C (a second one would hit pytest itself)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)  # as from a terminal

    with _one_second_tasks(fresh_emulator) as emu:
        client = make_client(emu)
        with pytest.raises(KeyboardInterrupt) as info:
            client.batch([Image(f"p{i}") for i in range(9)], on_progress=ctrl_c_once)
            time.sleep(5)  # (only before the fix: the pending Ctrl+C must land inside this block)
        created = emu.stats()["tasks_created"]
        # Unlike a KeyboardInterrupt raised in the callback, a signal reaches the main thread a moment later
        # (it checks every 0.1 s), and the three ~1 s tasks finish almost together: each slot may be refilled
        # once before the stop flag is set, never twice (a refill takes 1 s). Without the fix: all 9.
        assert 3 <= created <= 6
        assert len({o.task_id for o in info.value.outcomes if o.task_id}) == created  # type: ignore[attr-defined]
        assert client._limiter.in_use == 0 and client._limiter.waiting == 0
        time.sleep(1.2)
        assert emu.stats()["tasks_created"] == created


def test_cancelling_an_async_batch_cancels_pending_work(
    fresh_emulator: Any, api_key: str, fast_poll: Any, Image: Any
) -> None:
    async def main(emu: RunningEmulator) -> tuple[int, int]:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            first = asyncio.Event()
            batch = asyncio.create_task(c.batch([Image(f"p{i}") for i in range(9)], on_progress=lambda _: first.set()))
            await first.wait()
            batch.cancel()
            with pytest.raises(asyncio.CancelledError) as info:
                await batch
            created = emu.stats()["tasks_created"]
            known = {o.task_id for o in info.value.outcomes if o.task_id}  # type: ignore[attr-defined]
            assert len(known) == created  # every task created is accounted for, even those cut short
            await asyncio.sleep(1.2)  # nothing left running submits later
            return created, c._limiter.in_use + c._limiter.waiting

    with _one_second_tasks(fresh_emulator) as emu:
        created, left = asyncio.run(main(emu))
        assert 3 <= created <= 5 and left == 0
        assert emu.stats()["tasks_created"] == created


def test_keyboard_interrupt_from_on_progress_stops_an_async_batch(
    fresh_emulator: Any, api_key: str, fast_poll: Any, Image: Any
) -> None:
    reported: list[BatchProgress] = []

    def interrupt(progress: BatchProgress) -> None:
        reported.append(progress)
        raise KeyboardInterrupt

    async def main(emu: RunningEmulator) -> Any:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            with pytest.raises(KeyboardInterrupt) as info:
                await c.batch([Image(f"p{i}") for i in range(9)], on_progress=interrupt)
            assert c._limiter.in_use == 0 and c._limiter.waiting == 0
            return info.value

    with _one_second_tasks(fresh_emulator) as emu:
        error = asyncio.run(main(emu))
        created = emu.stats()["tasks_created"]
        assert 3 <= created <= 5
        assert len(reported) == 1 and reported[0].last.kind == "success" and reported[0].last in error.outcomes
        assert len({o.task_id for o in error.outcomes if o.task_id}) == created  # every task accounted for
        assert {o.kind for o in error.outcomes} <= {"success", "timeout"}


def test_a_failing_on_progress_is_logged_and_loses_nothing(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []

    def broken(progress: BatchProgress) -> None:
        seen.append(progress.last.index)
        raise ValueError("bug in the caller's callback")

    caplog.set_level(logging.ERROR, logger="modellix_typed")
    outcomes = make_client(emu).batch([Image(f"p{i}") for i in range(6)], on_progress=broken)
    assert [o.kind for o in outcomes] == ["success"] * 6 and sorted(seen) == list(range(6))
    records = [r for r in caplog.records if r.name == "modellix_typed" and "on_progress" in r.getMessage()]
    assert len(records) == 6
    assert all(r.exc_info is not None and "bug in the caller's callback" in str(r.exc_info[1]) for r in records)

    async def run_async() -> list[Any]:
        async with AsyncModellix("test-key-123", base_url=emu.base_url) as c:
            return await c.batch([Image("a"), Image("b")], on_progress=broken)

    assert [o.kind for o in asyncio.run(run_async())] == ["success"] * 2


def test_an_async_on_progress_is_awaited_one_at_a_time_and_its_errors_are_logged(
    emu: RunningEmulator, api_key: str, fast_poll: Any, Image: Any, caplog: pytest.LogCaptureFixture
) -> None:
    finished: list[int] = []  # appended only after the callback's await: proof the coroutine ran to the end
    active = 0
    overlaps = 0

    async def report(progress: BatchProgress) -> None:
        nonlocal active, overlaps
        active += 1
        overlaps += active > 1
        await asyncio.sleep(0.02)  # other inputs finish meanwhile: their reports must wait for this one
        active -= 1
        finished.append(progress.done)
        if progress.last.index % 2:
            raise ValueError("bug in the caller's async callback")

    async def main() -> list[Any]:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            return await c.batch([Image(f"p{i}") for i in range(6)], on_progress=report)

    caplog.set_level(logging.ERROR, logger="modellix_typed")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine ... was never awaited"
        outcomes = asyncio.run(main())
        gc.collect()
    assert [o.kind for o in outcomes] == ["success"] * 6
    assert finished == [1, 2, 3, 4, 5, 6] and overlaps == 0
    records = [r for r in caplog.records if r.name == "modellix_typed" and "on_progress" in r.getMessage()]
    assert len(records) == 3 and all("async callback" in str(r.exc_info[1]) for r in records if r.exc_info)


def test_a_freed_slot_is_refilled_before_the_finished_input_is_even_reported(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any
) -> None:
    """A spare worker waits on the limiter: the next POST does not wait for the previous input's bookkeeping
    (here an on_progress that blocks until it sees that POST), and inputs still go out in input order."""
    client = make_client(emu, max_concurrency=1)
    seen_during_first_report: list[int] = []

    def on_progress(progress: BatchProgress) -> None:
        if progress.done == 1:
            deadline = time.monotonic() + 10
            while len(_statuses(emu, "POST")) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            seen_during_first_report.append(len(_statuses(emu, "POST")))

    outcomes = client.batch([Image(f"refill {i}") for i in range(3)], on_progress=on_progress)
    assert [o.kind for o in outcomes] == ["success"] * 3
    assert seen_during_first_report == [2]
    created = [t.task_id for t in sorted(emu.state.tasks.all(), key=lambda t: t.created)]
    assert created == [o.task_id for o in outcomes]  # submitted in input order


def test_stop_on_unknown_sends_nothing_after_an_unknown_outcome_sync_and_async(
    emu: RunningEmulator, api_key: str, fast_poll: Any, Image: Any
) -> None:
    emu.inject(Fault(kind="status", route="submit", status=500))  # the first POST: outcome unknown
    with Modellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as client:
        outcomes = client.batch([Image(f"s{i}") for i in range(3)], max_concurrency=1, stop_on_unknown=True)
    assert [o.kind for o in outcomes] == ["outcome_unknown", "skipped", "skipped"]
    assert "input 0" in str(outcomes[1].error) and _statuses(emu, "POST") == [500]

    emu.reset()
    emu.inject(Fault(kind="status", route="submit", status=500))

    async def main() -> list[Any]:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            return await c.batch([Image(f"a{i}") for i in range(3)], max_concurrency=1, stop_on_unknown=True)

    assert [o.kind for o in asyncio.run(main())] == ["outcome_unknown", "skipped", "skipped"]
    assert _statuses(emu, "POST") == [500]


def test_a_slow_download_does_not_hold_up_the_next_input(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, tmp_path: Path
) -> None:
    """batch(download=) saves files after the task's slot is freed, on a thread of its own."""
    emu.inject(Fault(kind="slow", route="download", delay=1.5, count=2))  # two files take 1.5 s each
    client = make_client(emu, max_concurrency=1)
    outcomes = client.batch([Image(f"slow {i}") for i in range(3)], download=tmp_path)
    assert [o.kind for o in outcomes] == ["success"] * 3
    log = [r["route"] for r in emu.stats()["requests"] if r["route"] in ("submit", "download")]
    # The emulator logs a request when it answers: while the first two files still download, the third
    # input is already submitted (tasks take 0.3 s here).
    assert [i for i, route in enumerate(log) if route == "submit"][2] < log.index("download")
    assert len(list(tmp_path.iterdir())) == 3


def test_async_batch_downloads_outside_its_slots(emu: RunningEmulator, Image: Any, tmp_path: Path) -> None:
    from .conftest import API_KEY, FAST_POLL, FAST_RETRY

    emu.inject(Fault(kind="slow", route="download", delay=1.5, count=2))

    async def scenario() -> list[str]:
        async with AsyncModellix(
            API_KEY, base_url=emu.base_url, poll_policy=FAST_POLL, retry_policy=FAST_RETRY, max_concurrency=1
        ) as client:
            outcomes = await client.batch([Image(f"slow {i}") for i in range(3)], download=tmp_path)
            return [o.kind for o in outcomes]

    assert asyncio.run(scenario()) == ["success"] * 3
    log = [r["route"] for r in emu.stats()["requests"] if r["route"] in ("submit", "download")]
    assert [i for i, route in enumerate(log) if route == "submit"][2] < log.index("download")
    assert len(list(tmp_path.iterdir())) == 3
