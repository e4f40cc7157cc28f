"""The worker processes of ``bench/scaleout.py`` (and its tests): light imports, since each one is spawned."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from multiprocessing.synchronize import Event
from typing import Any

from bench.prompt import request_class
from modellix_typed import AsyncModellix, Modellix, PollPolicy, RetryPolicy
from modellix_typed.polling import IMAGE_POLICY

KEY = "bench-key-123"  # the bench emulators' key (bench.polling.KEY)
DURATION = 5.0  # simulated seconds per image task


def policies(time_scale: float) -> tuple[PollPolicy, RetryPolicy]:
    """The client's real policies on the emulator's clock (its Retry-After is at least 1 real second)."""
    # The 429s of the in-process limiters are the measured figure: the opt-in re-send keeps the workload going.
    retry = RetryPolicy(
        base_delay=1.0 * time_scale, max_delay=10.0 * time_scale, max_retry_after=DURATION * time_scale,
        retry_submissions=True,
    )
    return IMAGE_POLICY.scaled(time_scale), retry


def worker(
    number: int, base_url: str, limiter: str, tasks: int, time_scale: float, start: Event, results: Any, sync: bool
) -> None:
    """One process: build a client on ``limiter``, wait for the start signal, run a batch, report outcomes."""
    poll, retry = policies(time_scale)
    requests = [request_class("t2i", "image")(f"worker {number} task {i}") for i in range(tasks)]
    if sync:
        with Modellix(KEY, base_url=base_url, poll_policy=poll, retry_policy=retry, limiter=limiter) as client:
            results.put(("ready", number, None))
            start.wait()
            outcomes = client.batch(requests)
    else:
        async def run_async() -> list[Any]:
            async with AsyncModellix(
                KEY, base_url=base_url, poll_policy=poll, retry_policy=retry, limiter=limiter
            ) as client:
                results.put(("ready", number, None))
                await asyncio.to_thread(start.wait)
                return await client.batch(requests)

        outcomes = asyncio.run(run_async())
    results.put(("done", number, dict(Counter(o.kind for o in outcomes))))


def serve(number: int, jobs: Any, start: Event, results: Any) -> None:
    """A reusable worker process: run :func:`worker` for each job until a None arrives."""
    while (job := jobs.get()) is not None:
        base_url, limiter, tasks, time_scale, sync = job
        worker(number, base_url, limiter, tasks, time_scale, start, results, sync)


def hold_slots(base_url: str, limiter: str, count: int, ready: Event) -> None:
    """Submit ``count`` tasks and never wait for them: the slots stay held (renewed) until this process dies."""
    poll, retry = policies(1.0)
    client = Modellix(KEY, base_url=base_url, poll_policy=poll, retry_policy=retry, limiter=limiter)
    cls = request_class("t2i", "image")
    for i in range(count):
        client.submit(cls(f"held {i}"))
    ready.set()
    time.sleep(3600)
