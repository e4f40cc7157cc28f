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
from typing import Any, Self

from bench.polling import scratch_specs
from bench.redis_server import MISSING, redis_server_path, running_redis
from bench.scaleout_workers import DURATION, KEY, serve
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


class Crew:
    """Spawned worker processes kept for several runs (spawning them costs more than a short run)."""

    def __init__(self, processes: int = PROCESSES) -> None:
        context = multiprocessing.get_context("spawn")
        self.start = context.Event()
        self.results: multiprocessing.Queue[tuple[str, int, Any]] = context.Queue()
        self.jobs: list[multiprocessing.Queue[tuple[Any, ...] | None]] = [context.Queue() for _ in range(processes)]
        self.processes = [
            context.Process(target=serve, args=(n, jobs, self.start, self.results), daemon=True)
            for n, jobs in enumerate(self.jobs)
        ]
        for process in self.processes:
            process.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for jobs in self.jobs:
            jobs.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()

    def run(
        self, base_url: str, limiter: str, tasks: int, time_scale: float, mixed: bool, timeout: float
    ) -> tuple[Counter[str], float, float]:
        """One job per worker, started together once all are ready: (outcomes, makespan, wait for ready)."""
        self.start.clear()
        asked = time.monotonic()
        for n, jobs in enumerate(self.jobs):
            jobs.put((base_url, limiter, tasks, time_scale, not (mixed and n % 2)))
        outcomes: Counter[str] = Counter()
        ready = done = 0
        started = asked
        deadline = asked + timeout
        while done < len(self.jobs):
            try:
                what, _, kinds = self.results.get(timeout=0.2)
            except queue.Empty:
                crashed = [p.exitcode for p in self.processes if p.exitcode is not None]
                if crashed:
                    raise RuntimeError(f"scale-out workload: worker(s) exited with {crashed}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"scale-out workload: {done} of {len(self.jobs)} workers done in {timeout} s")
                continue
            if what == "ready":
                ready += 1
                if ready == len(self.jobs):  # every client built: start-up is not part of the makespan
                    started = time.monotonic()
                    self.start.set()
            else:
                done += 1
                outcomes.update(kinds)
        return outcomes, time.monotonic() - started, started - asked


def run_workload(
    emu: RunningEmulator,
    limiter: str,
    *,
    crew: Crew | None = None,
    tasks: int = TASKS_PER_PROCESS,
    time_scale: float = TIME_SCALE,
    timeout: float = 120.0,
    mixed: bool = False,
) -> dict[str, Any]:
    """Every worker of ``crew`` (or of a new crew of 6) runs ``tasks`` at once on ``limiter``; the figures.

    ``mixed``: every other worker uses the async client.
    """
    if crew is None:
        with Crew() as own:
            return run_workload(emu, limiter, crew=own, tasks=tasks, time_scale=time_scale, timeout=timeout, mixed=mixed)
    emu.reset()
    outcomes, makespan, startup = crew.run(emu.base_url, limiter, tasks, time_scale, mixed, timeout)
    submits = [r["status"] for r in emu.stats()["requests"] if r["method"] == "POST"]
    ideal = math.ceil(len(crew.jobs) * tasks / SLOTS) * DURATION * time_scale
    return {
        "makespan_simulated_s": round(makespan / time_scale, 1),
        "makespan_vs_ideal": round(makespan / ideal, 3),
        "http_429": submits.count(429),
        "outcomes": dict(outcomes),
        "startup_s": round(startup, 2),
    }


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {
        "processes": PROCESSES, "tasks_per_process": TASKS_PER_PROCESS, "slots": SLOTS, "time_scale": TIME_SCALE,
        "ideal_simulated_s": math.ceil(PROCESSES * TASKS_PER_PROCESS / SLOTS) * DURATION,
    }
    with running_emulator(emulator_config()) as emu, tempfile.TemporaryDirectory() as folder, Crew() as crew:
        figures["in_process"] = run_workload(emu, "local", crew=crew)
        figures["file"] = run_workload(emu, "file://" + os.path.join(folder, "slots.json"), crew=crew)
        if redis_server_path() is None:
            figures["redis"] = {"skipped": MISSING}
        else:
            with running_redis() as url:
                figures["redis"] = run_workload(emu, url, crew=crew)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
