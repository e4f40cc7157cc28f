"""Batch makespan vs the ideal for the slot limit, and 429s provoked, vs a naive unlimited batch.

60 image tasks (5 s simulated each) against an emulator enforcing the team limit of 3 running tasks.
Ideal makespan = ceil(60 / 3) * 5 s. The naive baseline is the same client with its limiter opened to
60 (what code without a limiter does): it meets the server's 429s instead.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from bench.polling import KEY, scratch_specs
from bench.prompt import request_class
from modellix_typed import Modellix
from modellix_typed.emulator import EmulatorConfig, running_emulator
from modellix_typed.polling import IMAGE_POLICY

TIME_SCALE = 0.02
TASKS = 60
SLOTS = 3
DURATION = 5.0


def _one_run(max_concurrency: int) -> dict[str, Any]:
    config = EmulatorConfig(
        specs_dir=scratch_specs({"image": "t2i"}), api_keys=(KEY,), time_scale=TIME_SCALE,
        concurrency_limit=SLOTS, rpm_limit=None, durations={"t2i": DURATION},
    )
    cls = request_class("t2i", "image")
    with running_emulator(config) as emu:
        with Modellix(
            KEY, base_url=emu.base_url, poll_policy=IMAGE_POLICY.scaled(TIME_SCALE), max_concurrency=max_concurrency
        ) as client:
            started = time.monotonic()
            outcomes = client.batch([cls(f"p{i}") for i in range(TASKS)], max_concurrency=max_concurrency)
            makespan = time.monotonic() - started
        statuses = [r["status"] for r in emu.stats()["requests"]]
    ideal = math.ceil(TASKS / SLOTS) * DURATION * TIME_SCALE
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
    return {
        "makespan_simulated_s": round(makespan / TIME_SCALE, 1),
        "ideal_simulated_s": round(ideal / TIME_SCALE, 1),
        "makespan_vs_ideal": round(makespan / ideal, 3),
        "http_429": statuses.count(429),
        "outcomes": kinds,
    }


def run() -> dict[str, Any]:
    return {
        "tasks": TASKS,
        "slots": SLOTS,
        "time_scale": TIME_SCALE,
        "limited": _one_run(SLOTS),
        "naive_unlimited": _one_run(TASKS),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
