"""Run every bench/<topic>.py `run()` and write bench/results.json (`python -m bench [topic ...]`)."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

TOPICS = (
    "crawl", "generate", "imports", "startup", "validate", "patterns", "scale", "polling", "batch", "scaleout", "faults"
)
RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str]) -> int:
    topics = argv or list(TOPICS)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "date": time.strftime("%Y-%m-%d"),
    }
    failed = []
    for topic in topics:
        print(f"== {topic}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{topic}")
            figures = module.run()
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            figures = {"error": f"{type(exc).__name__}: {exc}"}
            failed.append(topic)
        figures["bench_seconds"] = round(time.perf_counter() - started, 2)
        results[topic] = figures
        print(json.dumps(figures, indent=2), flush=True)
    if not argv:
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 1 if failed else 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
