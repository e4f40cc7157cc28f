"""Generation time for every model in specs/ (render + write into a temp dir), vs parsing the specs alone."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from modellix_typed.codegen.generate import generate, load_specs

SPECS = Path(__file__).resolve().parents[1] / "specs"
ROUNDS = 5


def run() -> dict[str, Any]:
    load_times, gen_times = [], []
    models = files = 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        specs = load_specs(SPECS)
        json.dumps([spec for _, spec in specs])
        load_times.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
            result, _, elapsed = generate(SPECS, Path(tmp))
        gen_times.append(elapsed)
        models, files = result.models, len(result.files)
    gen = statistics.median(gen_times)
    load = statistics.median(load_times)
    return {
        "models": models,
        "files": files,
        "generate_all_ms": round(gen * 1000, 1),
        "per_model_ms": round(gen * 1000 / max(models, 1), 2),
        "baseline_load_specs_ms": round(load * 1000, 1),
        "ratio_generate_vs_load_specs": round(gen / load, 1) if load else None,
        "rounds": ROUNDS,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
