"""Polling cost and latency: the tuned per-type backoff vs a fixed 0.5 s poller, same simulated durations.

Both pollers watch tasks of the same (scaled) durations on one emulator at the same time. Figures are
per completed task: GETs used, and detection latency (seen-done time minus the real finish time) in
simulated seconds. Everything is scaled by TIME_SCALE so a 120 s video takes 120 * TIME_SCALE s.
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

TIME_SCALE = 0.05
KEY = "bench-key-123"
DURATIONS = {"image": (3.0, 5.0, 10.0), "video": (30.0, 60.0, 120.0)}
TASKS_PER_DURATION = 3


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


async def _watch(client: AsyncModellix, request: BenchPrompt, duration: float) -> tuple[str, float]:
    task = await client.submit(request)
    submitted = time.monotonic()
    await task.wait(timeout=duration * 10 + 5)
    return task.task_id, (time.monotonic() - submitted - duration) / TIME_SCALE


async def _measure(
    kind: str, seconds: float, base_url: str, policies: Mapping[str, PollPolicy]
) -> dict[str, list[tuple[str, float]]]:
    """Both pollers on TASKS_PER_DURATION tasks each of one simulated duration, all at once."""
    cls = request_class("t2i" if kind == "image" else "t2v", kind)
    clients = {name: AsyncModellix(KEY, base_url=base_url, poll_policy=p, max_concurrency=1000) for name, p in policies.items()}
    names = [name for name in clients for _ in range(TASKS_PER_DURATION)]
    try:
        done = await asyncio.gather(
            *(_watch(clients[name], cls(f"{name} {i}"), seconds * TIME_SCALE) for i, name in enumerate(names))
        )
    finally:
        for client in clients.values():
            await client.aclose()
    results: dict[str, list[tuple[str, float]]] = {name: [] for name in clients}
    for name, outcome in zip(names, done):
        results[name].append(outcome)
    return results


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {"time_scale": TIME_SCALE, "tasks_per_duration": TASKS_PER_DURATION}
    fixed = PollPolicy(first_delay=0.5, max_delay=0.5, multiplier=1.0, jitter=0.0).scaled(TIME_SCALE)
    for kind, tuned in (("image", IMAGE_POLICY), ("video", VIDEO_POLICY)):
        task_type = "t2i" if kind == "image" else "t2v"
        specs = scratch_specs({kind: task_type})
        policies = {"tuned": tuned.scaled(TIME_SCALE), "fixed": fixed}
        gets: dict[str, list[int]] = {name: [] for name in policies}
        latency: dict[str, list[float]] = {name: [] for name in policies}
        # One emulator per duration: the emulator times tasks by task type, not per task.
        for seconds in DURATIONS[kind]:
            config = EmulatorConfig(
                specs_dir=specs, api_keys=(KEY,), time_scale=TIME_SCALE, concurrency_limit=None,
                rpm_limit=None, durations={task_type: seconds},
            )
            with running_emulator(config) as emu:
                outcome = asyncio.run(_measure(kind, seconds, emu.base_url, policies))
                polls = Counter(
                    r["path"].rsplit("/", 1)[1]
                    for r in emu.stats()["requests"]
                    if r["method"] == "GET" and r["path"].startswith("/api/v1/tasks/")
                )
            for name, values in outcome.items():
                gets[name] += [polls[task_id] for task_id, _ in values]
                latency[name] += [lat for _, lat in values]
        per_kind: dict[str, Any] = {"simulated_durations_s": list(DURATIONS[kind])}
        for name in policies:
            per_kind[f"gets_per_task_{name}"] = round(statistics.mean(gets[name]), 2)
            per_kind[f"latency_s_{name}"] = round(statistics.mean(latency[name]), 2)
        per_kind["gets_ratio_tuned_vs_fixed"] = round(per_kind["gets_per_task_tuned"] / per_kind["gets_per_task_fixed"], 3)
        per_kind["latency_penalty_s"] = round(per_kind["latency_s_tuned"] - per_kind["latency_s_fixed"], 2)
        figures[kind] = per_kind
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
