"""Batch makespan vs the ideal for the slot limit, and 429s provoked, vs a naive unlimited batch.

60 image tasks (5 s simulated each) against an emulator enforcing the team limit of 3 running tasks.
Ideal makespan = ceil(60 / 3) * 5 s. The naive baseline is the same client with its limiter opened to
60 (what code without a limiter does): it meets the server's 429s instead. Each run starts with no poll
history (a fresh stats file): the client learns the model's completion time from its first tasks, as a
first batch on a new machine would; ``limited_no_history`` turns learning off.

Where the time goes: every round of 3 tasks costs, beyond the task itself, the time from the task's end
to the poll that sees it (``finish_to_seen_ms``), from there to the next POST (``seen_to_next_post_ms``)
and that POST's trip to the server (``post_to_created_ms``): medians over the tasks, measured from the
client's HTTP hooks and the emulator's task creation times (same process, same clock). These are fixed
costs per round, so the same batch at a gentler compression (``limited_time_scale_0_1``, 0.5 s tasks)
shows how close to the ideal the scheduling itself is.
"""

from __future__ import annotations

import bisect
import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.polling import KEY, scratch_specs
from bench.prompt import request_class
from modellix_typed import Modellix
from modellix_typed.emulator import EmulatorConfig, running_emulator
from modellix_typed.polling import IMAGE_POLICY

TIME_SCALE = 0.02
TASKS = 60
SLOTS = 3
DURATION = 5.0


class _Timeline:
    """Start/end times of every request the client sends (httpx event hooks)."""

    def __init__(self) -> None:
        self.posts: list[float] = []
        self.gets: dict[str, list[tuple[float, float]]] = {}

    def on_request(self, request: httpx.Request) -> None:
        request.extensions["bench_started"] = time.monotonic()
        if request.method == "POST":
            self.posts.append(request.extensions["bench_started"])

    def on_response(self, response: httpx.Response) -> None:
        request = response.request
        if request.method == "GET" and "/api/v1/tasks/" in request.url.path:
            task_id = request.url.path.rsplit("/", 1)[1]
            self.gets.setdefault(task_id, []).append((request.extensions["bench_started"], time.monotonic()))

    def breakdown(self, created: dict[str, float], duration: float) -> dict[str, float]:
        posts = sorted(self.posts)
        seen, refill, trip = [], [], []
        for task_id, at in created.items():
            polls = self.gets.get(task_id)
            if not polls:
                continue
            seen.append(polls[-1][1] - (at + duration))
            i = bisect.bisect_left(posts, polls[-1][1])
            if i < len(posts):
                refill.append(posts[i] - polls[-1][1])
            j = bisect.bisect_right(posts, at) - 1
            if j >= 0:
                trip.append(at - posts[j])

        def ms(values: list[float]) -> float:
            return round(statistics.median(values) * 1000, 1) if values else 0.0

        return {"finish_to_seen_ms": ms(seen), "seen_to_next_post_ms": ms(refill), "post_to_created_ms": ms(trip)}


def _one_run(max_concurrency: int, *, learn: bool = True, time_scale: float = TIME_SCALE) -> dict[str, Any]:
    config = EmulatorConfig(
        specs_dir=scratch_specs({"image": "t2i"}), api_keys=(KEY,), time_scale=time_scale,
        concurrency_limit=SLOTS, rpm_limit=None, durations={"t2i": DURATION},
    )
    cls = request_class("t2i", "image")
    timeline = _Timeline()
    http = httpx.Client(event_hooks={"request": [timeline.on_request], "response": [timeline.on_response]})
    stats: Path | bool = Path(tempfile.mkdtemp(prefix="bench-pollstats-")) / "stats.json" if learn else False
    with running_emulator(config) as emu:
        with Modellix(
            KEY, base_url=emu.base_url, poll_policy=IMAGE_POLICY.scaled(time_scale), max_concurrency=max_concurrency,
            poll_stats=stats, http_client=http,
        ) as client:
            started = time.monotonic()
            outcomes = client.batch([cls(f"p{i}") for i in range(TASKS)], max_concurrency=max_concurrency)
            makespan = time.monotonic() - started
        statuses = [r["status"] for r in emu.stats()["requests"]]
        created = {task.task_id: task.created for task in emu.state.tasks.all()}
    http.close()
    ideal = math.ceil(TASKS / SLOTS) * DURATION * time_scale
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
    return {
        "makespan_simulated_s": round(makespan / time_scale, 1),
        "ideal_simulated_s": round(ideal / time_scale, 1),
        "makespan_vs_ideal": round(makespan / ideal, 3),
        "http_429": statuses.count(429),
        "gets_per_task": round(sum(len(v) for v in timeline.gets.values()) / TASKS, 2),
        "per_round": timeline.breakdown(created, DURATION * time_scale),
        "outcomes": kinds,
    }


def run() -> dict[str, Any]:
    return {
        "tasks": TASKS,
        "slots": SLOTS,
        "time_scale": TIME_SCALE,
        "limited": _one_run(SLOTS),
        "limited_no_history": _one_run(SLOTS, learn=False),
        "limited_time_scale_0_1": _one_run(SLOTS, time_scale=0.1),
        "naive_unlimited": _one_run(TASKS),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
