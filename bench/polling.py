"""Polling cost and latency: learned and blind schedules vs a fixed 0.5 s poller, same simulated durations.

Every poller watches tasks of the same (scaled) durations on one emulator at the same time. Figures are
per completed task: GETs used, and detection latency (seen-done time minus the real finish time) in
simulated seconds. Everything is scaled by TIME_SCALES[kind] so a 120 s video takes 120 * 0.05 s; images
run at a gentler 0.2 (a 3 s image takes 0.6 s): the emulator shares this process, and at 0.05 the fixed
poller's 40 GETs/s per task would starve every poller's event loop (all of them see late wake-ups).

Pollers: ``fixed`` (every 0.5 s, the baseline), ``tuned`` (the per-type backoff: no history), ``learned``
(history learned for real: WARMUP tasks of the same model run first on the same emulator) and
``learned_spread`` (a history of the model seeded with completions spread +/-20% around the true
duration, as a model with variable run times would leave: the emulator's own durations are exact).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.prompt import BenchPrompt, request_class
from modellix_typed import AsyncModellix, PollPolicy
from modellix_typed.emulator import EmulatorConfig, running_emulator
from modellix_typed.polling import IMAGE_POLICY, VIDEO_POLICY
from modellix_typed.pollstats import PollStats

TIME_SCALES = {"image": 0.2, "video": 0.05}
KEY = "bench-key-123"
DURATIONS = {"image": (3.0, 5.0, 10.0), "video": (30.0, 60.0, 120.0)}
TASKS_PER_DURATION = 3
WARMUP = 2
SPREAD = (0.8, 0.9, 1.0, 1.1, 1.2)


def scratch_specs(models: Mapping[str, str]) -> Path:
    """A specs/ folder with one model per ``model_id -> task_type`` (the emulator's catalog)."""
    root = Path(tempfile.mkdtemp(prefix="bench-specs-"))
    (root / "bench").mkdir()
    for model_id, task_type in models.items():
        spec = {
            "format_version": 1, "slug": f"bench/{model_id}", "provider": "bench", "model_id": model_id,
            "title": model_id, "summary": "", "doc_url": "https://docs.modellix.ai/bench",
            "task_type": task_type, "method": "POST", "path": f"/api/v1/bench/{model_id}",
            "request_schema": BenchPrompt.json_schema(), "request_required": True, "examples": {}, "stale": False,
        }
        (root / "bench" / f"{model_id}.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


async def _watch(client: AsyncModellix, request: BenchPrompt, duration: float, scale: float) -> tuple[str, float]:
    task = await client.submit(request)
    submitted = time.monotonic()
    await task.wait(timeout=duration * 10 + 5)
    return task.task_id, (time.monotonic() - submitted - duration) / scale


Poller = tuple[PollPolicy, Path | bool]  # the policy, and poll_stats: a history file, or False for none


async def _measure(
    kind: str, seconds: float, base_url: str, pollers: Mapping[str, Poller]
) -> dict[str, list[tuple[str, float]]]:
    """Every poller on TASKS_PER_DURATION tasks each of one simulated duration, all at once (after the
    ``learned`` poller's WARMUP tasks, whose polls are not counted)."""
    cls = request_class("t2i" if kind == "image" else "t2v", kind)
    scale = TIME_SCALES[kind]
    clients = {
        name: AsyncModellix(KEY, base_url=base_url, poll_policy=policy, max_concurrency=1000, poll_stats=stats)
        for name, (policy, stats) in pollers.items()
    }
    names = [name for name in clients for _ in range(TASKS_PER_DURATION)]
    try:
        if "learned" in clients:
            await asyncio.gather(
                *(_watch(clients["learned"], cls(f"warm-up {i}"), seconds * scale, scale) for i in range(WARMUP))
            )
        done = await asyncio.gather(
            *(_watch(clients[name], cls(f"{name} {i}"), seconds * scale, scale) for i, name in enumerate(names))
        )
    finally:
        for client in clients.values():
            await client.aclose()
    results: dict[str, list[tuple[str, float]]] = {name: [] for name in clients}
    for name, outcome in zip(names, done):
        results[name].append(outcome)
    return results


def _spread_history(key: str, seconds: float, scale: float) -> Path:
    """A history of completions spread +/-20% around ``seconds`` (scaled), two of each."""
    path = Path(tempfile.mkdtemp(prefix="bench-pollstats-")) / "stats.json"
    stats = PollStats(path)
    for factor in SPREAD * 2:
        stats.record(key, seconds * factor * scale)
    return path


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {"time_scale": TIME_SCALES, "tasks_per_duration": TASKS_PER_DURATION, "warmup": WARMUP}
    for kind, tuned in (("image", IMAGE_POLICY), ("video", VIDEO_POLICY)):
        scale = TIME_SCALES[kind]
        fixed = PollPolicy(first_delay=0.5, max_delay=0.5, multiplier=1.0, jitter=0.0).scaled(scale)
        task_type = "t2i" if kind == "image" else "t2v"
        specs = scratch_specs({kind: task_type})
        gets: dict[str, list[int]] = {}
        latency: dict[str, list[float]] = {}
        worst: dict[str, float] = {}
        # One emulator per duration: the emulator times tasks by task type, not per task.
        for seconds in DURATIONS[kind]:
            config = EmulatorConfig(
                specs_dir=specs, api_keys=(KEY,), time_scale=scale, concurrency_limit=None,
                rpm_limit=None, durations={task_type: seconds},
            )
            with running_emulator(config) as emu:
                history = _spread_history(f"bench/{kind} {emu.base_url}", seconds, scale)  # the client's key for it
                pollers: dict[str, Poller] = {
                    "fixed": (fixed, False),
                    "tuned": (tuned.scaled(scale), False),
                    "learned": (tuned.scaled(scale), Path(tempfile.mkdtemp(prefix="bench-pollstats-")) / "s.json"),
                    "learned_spread": (tuned.scaled(scale), history),
                }
                outcome = asyncio.run(_measure(kind, seconds, emu.base_url, pollers))
                polls = Counter(
                    r["path"].rsplit("/", 1)[1]
                    for r in emu.stats()["requests"]
                    if r["method"] == "GET" and r["path"].startswith("/api/v1/tasks/")
                )
            for name, values in outcome.items():
                gets.setdefault(name, []).extend(polls[task_id] for task_id, _ in values)
                latency.setdefault(name, []).extend(lat for _, lat in values)
                # The goal: latency within max(0.5 s, 10% of the task's duration); worst task, as a fraction.
                allowed = max(0.5, 0.1 * seconds)
                worst[name] = max(worst.get(name, 0.0), *(lat / allowed for _, lat in values))
        per_kind: dict[str, Any] = {"simulated_durations_s": list(DURATIONS[kind])}
        for name in gets:
            per_kind[f"gets_per_task_{name}"] = round(statistics.mean(gets[name]), 2)
            per_kind[f"latency_s_{name}"] = round(statistics.mean(latency[name]), 2)
            per_kind[f"worst_latency_vs_allowed_{name}"] = round(worst[name], 2)
        for name in ("tuned", "learned", "learned_spread"):
            per_kind[f"gets_ratio_{name}_vs_fixed"] = round(
                per_kind[f"gets_per_task_{name}"] / per_kind["gets_per_task_fixed"], 3
            )
            per_kind[f"latency_penalty_s_{name}"] = round(per_kind[f"latency_s_{name}"] - per_kind["latency_s_fixed"], 2)
        figures[kind] = per_kind
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
