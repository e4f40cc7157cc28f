"""N worker processes on one team of 3 slots: makespan and HTTP 429s, in-process limiter vs file vs Redis.

Each worker is a separate process (spawned, like a multiprocessing pool or a Celery worker) with its own
client, running a batch of image tasks (5 s simulated each). All start together on one emulator that
enforces the team limit. Ideal makespan = ceil(N * tasks / 3) * 5 s. With the in-process limiter every
worker believes it has 3 slots and meets the server's 429s; the shared stores count the team's slots once.
The workers' retry delays are scaled with the emulator's clock (its Retry-After is at least 1 real second).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import queue
import tempfile
import time
from collections import Counter
from typing import Any

from bench.polling import scratch_specs
from bench.redis_server import redis_server_path, running_redis
from bench.scaleout_workers import DURATION, KEY, worker
from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator

TIME_SCALE = 0.2  # a task lasts 1 s: the shared stores poll every ~50 ms, small against real tasks
SLOTS = 3
PROCESSES = 6
TASKS_PER_PROCESS = 4


def emulator_config(time_scale: float = TIME_SCALE) -> EmulatorConfig:
    return EmulatorConfig(
        specs_dir=scratch_specs({"image": "t2i"}), api_keys=(KEY,), time_scale=time_scale,
        concurrency_limit=SLOTS, rpm_limit=None, durations={"t2i": DURATION},
    )


def run_workload(
    emu: RunningEmulator,
    limiter: str,
    *,
    processes: int = PROCESSES,
    tasks: int = TASKS_PER_PROCESS,
    time_scale: float = TIME_SCALE,
    timeout: float = 120.0,
    mixed: bool = False,
) -> dict[str, Any]:
    """Run ``processes`` spawned workers at once; their outcomes, the makespan and the server's 429 count.

    ``mixed``: every other worker uses the async client.
    """
    emu.reset()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(
            target=worker, args=(n, emu.base_url, limiter, tasks, time_scale, start, results, not (mixed and n % 2))
        )
        for n in range(processes)
    ]
    for process in workers:
        process.start()
    try:
        outcomes: Counter[str] = Counter()
        ready = done = 0
        started = 0.0
        deadline = time.monotonic() + timeout
        while done < processes:
            try:
                what, _, kinds = results.get(timeout=0.2)
            except queue.Empty:
                crashed = [p.exitcode for p in workers if p.exitcode not in (None, 0)]
                if crashed:
                    raise RuntimeError(f"scale-out workload: worker(s) exited with {crashed}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"scale-out workload: {done} of {processes} workers finished in {timeout} s")
                continue
            if what == "ready":
                ready += 1
                if ready == processes:  # every client built (spawn start-up excluded from the makespan)
                    started = time.monotonic()
                    start.set()
            else:
                done += 1
                outcomes.update(kinds)
        makespan = time.monotonic() - started
    finally:
        for process in workers:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
    submits = [r["status"] for r in emu.stats()["requests"] if r["method"] == "POST"]
    ideal = math.ceil(processes * tasks / SLOTS) * DURATION * time_scale
    return {
        "makespan_simulated_s": round(makespan / time_scale, 1),
        "makespan_vs_ideal": round(makespan / ideal, 3),
        "http_429": submits.count(429),
        "outcomes": dict(outcomes),
    }


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {
        "processes": PROCESSES, "tasks_per_process": TASKS_PER_PROCESS, "slots": SLOTS, "time_scale": TIME_SCALE,
        "ideal_simulated_s": math.ceil(PROCESSES * TASKS_PER_PROCESS / SLOTS) * DURATION,
    }
    with running_emulator(emulator_config()) as emu, tempfile.TemporaryDirectory() as folder:
        figures["in_process"] = run_workload(emu, "local")
        figures["file"] = run_workload(emu, "file://" + os.path.join(folder, "slots.json"))
        if redis_server_path() is None:
            figures["redis"] = {"skipped": "redis-server is not installed (apt-get install redis-server)"}
        else:
            with running_redis() as url:
                figures["redis"] = run_workload(emu, url)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
