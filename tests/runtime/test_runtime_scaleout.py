"""One team limit across processes: the file and Redis slot stores, with real processes on the emulator."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import scaleout
from bench.redis_server import running_redis
from bench.scaleout_workers import hold_slots
from modellix_typed import ConfigurationError, LimiterUnavailable, Modellix, RateLimited, RetryPolicy
from modellix_typed.emulator import RunningEmulator, running_emulator
from modellix_typed.limiter import AsyncLimiter, Limiter
from modellix_typed.slots import (
    ENV_LIMITER_URL,
    FileSlots,
    LeaseKeeper,
    RedisSlots,
    SlotStore,
    store_from_url,
    team_for_key,
)

TIME_SCALE = 0.05  # a 5 s image task lasts 0.25 s


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as url:
        yield url


@pytest.fixture(scope="module")
def team_emulator() -> Iterator[RunningEmulator]:
    """An emulator enforcing a team limit of 3 running tasks, on a fast clock."""
    with running_emulator(scaleout.emulator_config(TIME_SCALE)) as emu:
        yield emu


@pytest.fixture(scope="module")
def crew() -> Iterator[scaleout.Crew]:
    """Six spawned worker processes, kept for every multi-process test of this module."""
    with scaleout.Crew(6) as workers:
        yield workers


@pytest.fixture(params=["file", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``store_url(query)``: a fresh shared store's URL of each kind (Redis: a team of its own)."""
    if request.param == "file":
        return lambda query: f"file://{tmp_path / 'slots.json'}?{query}"
    base = request.getfixturevalue("redis_url")
    team = f"t{time.monotonic_ns()}"
    return lambda query: f"{base}?team={team}&{query}"


# --- settings ----------------------------------------------------------------------------------------------


def test_limiter_urls_choose_the_store(tmp_path: Path) -> None:
    assert store_from_url("local") is None
    store = store_from_url(f"file://{tmp_path}/s.json?limit=5&lease=2.5&team=render-farm")
    assert isinstance(store, FileSlots) and store.path == tmp_path / "s.json"
    assert (store.limit, store.lease, store.team) == (5, 2.5, "render-farm")
    remote = store_from_url("redis://:hunter2@127.0.0.1:1/0?team=a")  # connects lazily: nothing listens there
    assert isinstance(remote, RedisSlots) and (remote.limit, remote.lease, remote.team) == (3, 30.0, "a")
    assert "hunter2" not in repr(remote)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("ftp://host/x", "expected 'local', file:///path or redis://host:port/db, got ftp:"),
        ("file:///x?limit=0", "limit must be an integer >= 1, got 0"),
        ("file:///x?limit=three", "limit must be an integer >= 1, got 'three'"),
        ("file:///x?lease=-1", "lease must be a number of seconds > 0, got -1.0"),
        ("file:///x?team=a b", "team must be 1-64 characters"),
        ("file:///x?colour=red", r"unknown setting\(s\) \['colour'\]"),
        ("file://otherhost/x", "file URL must be file:///absolute/path"),
        ("redis://:hunter2@h:1/0?limit=x", "limit must be an integer >= 1, got 'x' in redis://h"),
    ],
)
def test_bad_limiter_settings_name_the_rule_and_value(value: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as info:
        Modellix("k", limiter=value)
    assert "hunter2" not in str(info.value)


def test_limiter_of_a_wrong_type_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="limiter: expected a URL string or a SlotStore"):
        Modellix("k", limiter=3)  # type: ignore[arg-type]


def test_the_environment_chooses_the_store_unless_the_client_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_LIMITER_URL, f"file://{tmp_path}/env.json")
    keeper = Modellix("key-one")._limiter._book.keeper
    assert keeper is not None and isinstance(keeper.store, FileSlots) and keeper.store.path == tmp_path / "env.json"
    assert keeper.team == team_for_key("key-one") != team_for_key("key-two")  # one team per key by default
    assert "key-one" not in keeper.team
    assert Modellix("key-one", limiter="local")._limiter._book.keeper is None
    monkeypatch.delenv(ENV_LIMITER_URL)
    assert Modellix("key-one")._limiter._book.keeper is None  # today's in-process limiter by default


# --- the stores ----------------------------------------------------------------------------------------------


def test_a_store_hands_out_the_team_limit_and_takes_slots_back(store_url: Callable[[str], str]) -> None:
    store = store_from_url(store_url("limit=2"))
    assert store is not None
    team = store.team or "team-a"
    first, second = store.acquire(team), store.acquire(team)
    assert first and second and first != second
    assert store.acquire(team) is None and store.contended(team)
    assert store.acquire(team + "-other") is not None  # another team's slots are its own
    store.release(team, first)
    assert store.count(team) == 1
    assert store.acquire(team) is not None


def test_an_expired_lease_is_reclaimed_and_cannot_be_renewed(store_url: Callable[[str], str]) -> None:
    store = store_from_url(store_url("limit=1&lease=0.2"))
    assert store is not None
    team = store.team or "team-a"
    lease = store.acquire(team)
    assert lease is not None and store.acquire(team) is None
    time.sleep(0.3)
    assert store.renew(team, [lease]) == [lease]  # too late: gone
    assert store.acquire(team) is not None


def test_sync_limiter_over_a_store_never_exceeds_the_team_limit_across_clients(tmp_path: Path) -> None:
    store = FileSlots(tmp_path / "slots.json", limit=3, team="t")
    first, second = Limiter(3, LeaseKeeper(store, "t")), Limiter(3, LeaseKeeper(store, "t"))
    held = [first.acquire(timeout=0), first.acquire(timeout=0), second.acquire(timeout=0)]
    assert all(held) and second.acquire(timeout=0.1) is None  # the team is full, though `second` holds 1 of 3
    assert first.team_in_use == 3 and first.in_use == 2
    first.release(held[0])
    assert second.acquire(timeout=1.0) is not None


def test_a_slot_held_by_a_process_killed_with_sigkill_comes_back_within_the_lease(
    store_url: Callable[[str], str], team_emulator: RunningEmulator
) -> None:
    """A worker submits 3 tasks and never waits: while it lives its leases are renewed; SIGKILL frees them."""
    lease = 1.0
    url = store_url(f"lease={lease}&team=crash-test")
    store = store_from_url(url)
    assert store is not None and store.team is not None
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=hold_slots, args=(team_emulator.base_url, url, 3, ready))
    holder.start()
    try:
        assert ready.wait(30), "the slot holder did not start"
        time.sleep(2 * lease)  # past the lease time: still held, because the living holder renews them
        assert store.count(store.team) == 3 and store.acquire(store.team) is None
    finally:
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    killed = time.monotonic()
    while store.count(store.team) and time.monotonic() - killed < 10 * lease:
        time.sleep(0.05)
    freed_after = time.monotonic() - killed
    assert store.count(store.team) == 0
    assert freed_after <= lease + 1.0, f"slots came back {freed_after:.2f} s after the kill (lease {lease} s)"


# --- many processes, one team, the emulator ---------------------------------------------------------------------


def test_six_processes_share_one_team_without_a_single_429(
    store_url: Callable[[str], str], team_emulator: RunningEmulator, crew: scaleout.Crew
) -> None:
    figures = scaleout.run_workload(team_emulator, store_url("limit=3"), crew=crew, time_scale=TIME_SCALE, mixed=True)
    assert figures["outcomes"] == {"success": 24}
    assert figures["http_429"] == 0


def test_six_processes_with_in_process_limiters_meet_429s(
    team_emulator: RunningEmulator, crew: scaleout.Crew
) -> None:
    """The same workload without a shared store: each process counts 3 slots of its own (the bug this fixes)."""
    figures = scaleout.run_workload(team_emulator, "local", crew=crew, time_scale=TIME_SCALE)
    assert figures["http_429"] > 0
    assert team_emulator.stats()["tasks_created"] == figures["outcomes"].get("success", 0)


# --- a 429 anyway: send less ------------------------------------------------------------------------------------


def test_limiter_cap_after_a_429_holds_until_a_task_ends() -> None:
    limiter = Limiter(3)
    running = limiter.acquire(timeout=0)
    assert running is not None
    running.task_id = "t-1"
    submitting = limiter.acquire(timeout=0)  # a POST that meets the 429
    limiter.rate_limited(30.0)
    limiter.release(submitting)
    assert limiter.acquire(timeout=0) is None  # 1 running task: no room for a second one until it ends
    limiter.release(task_id="t-1")
    assert limiter.acquire(timeout=0) is not None


def test_a_429_from_another_tool_on_the_team_stops_further_submissions_until_a_task_ends(
    fresh_emulator: Any, make_client: Callable[..., Modellix], Image: Any, Video: Any
) -> None:
    with fresh_emulator(api_keys=("test-key-123", "other-tool"), durations={"t2i": 1.0, "t2v": 30.0}) as emu:
        other = make_client(emu, api_key="other-tool")
        for i in range(2):
            other.submit(Video(f"other {i}"))  # same team (the emulator's default): 2 of its 3 slots taken
        ours = make_client(emu, retry_policy=RetryPolicy(max_retries=0))
        task = ours.submit(Image("ours"))
        with pytest.raises(RateLimited):
            ours.submit(Image("one too many"))
        assert ours._limiter.acquire(timeout=0) is None  # without the 429 this client would see 2 free slots
        task.wait(timeout=10)
        assert ours._limiter.acquire(timeout=0) is not None


def test_async_limiter_cap_after_a_429_lifts_after_retry_after_when_nothing_of_ours_runs() -> None:
    async def scenario() -> float:
        limiter = AsyncLimiter(3)
        slot = await limiter.acquire()
        limiter.rate_limited(0.3)  # nothing of ours runs: the cap is 0 until the Retry-After passes
        limiter.release(slot)
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(limiter.acquire(), 5)
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(scenario()) >= 0.25


def test_closing_the_client_stops_renewing_so_its_leases_expire(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/slots.json?lease=0.5&team=t"
    store = store_from_url(url)
    assert store is not None
    kept, closed = Modellix("k", limiter=url), Modellix("k", limiter=url)
    assert kept._limiter.acquire(timeout=0) is not None and closed._limiter.acquire(timeout=0) is not None
    closed.close()
    time.sleep(1.5)  # three lease times: the open client's lease was renewed, the closed one's lapsed
    assert store.count("t") == 1
    kept.close()


def test_the_shared_store_classes_are_exported() -> None:
    import modellix_typed

    assert modellix_typed.FileSlots is FileSlots and modellix_typed.RedisSlots is RedisSlots
    assert issubclass(modellix_typed.LimiterUnavailable, modellix_typed.ModellixError)
    assert modellix_typed.SlotStore is SlotStore and issubclass(FileSlots, SlotStore)


def test_an_unreachable_store_stops_the_submission_before_anything_is_sent(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any
) -> None:
    client = make_client(emu, limiter="redis://:hunter2@127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(LimiterUnavailable, match="redis redis://127.0.0.1:1 failed to take a slot") as info:
        client.submit(Image("x"))
    assert "hunter2" not in str(info.value)
    assert emu.stats()["requests"] == []


def test_a_store_outage_after_a_task_ended_costs_no_result(caplog: pytest.LogCaptureFixture) -> None:
    """Giving a slot back never raises: the store going away must not turn a finished task into an error."""
    with running_redis() as url:  # a private server, stopped before the slot is given back
        limiter = Modellix("k", limiter=url)._limiter
        slot = limiter.acquire(timeout=5)
        assert slot is not None and limiter.team_in_use == 1
    with caplog.at_level("WARNING", logger="modellix_typed"):
        limiter.release(slot)  # the server is gone
    assert limiter.in_use == 0
    assert "the slot comes back when its lease expires" in caplog.text


def test_redis_without_its_package_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # `import redis` now fails as if it were not installed
    with pytest.raises(ConfigurationError, match=r"pip install 'modellix-typed\[redis\]'"):
        Modellix("k", limiter="redis://127.0.0.1:6379/0")


def test_a_client_dropped_without_close_stops_renewing(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/slots.json?lease=0.3&team=t"
    client = Modellix("k", limiter=url)
    assert client._limiter.acquire(timeout=0) is not None
    del client
    gc.collect()
    time.sleep(0.9)
    store = store_from_url(url)
    assert store is not None and store.count("t") == 0
