"""Import cost in fresh interpreters: ``import modellix_typed`` and one model class, vs ``python -c pass``."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REPEAT = 15


def _model_import() -> str:
    from modellix_typed import registry

    info = registry.list_models()[0]
    package, _, _ = info.module.partition(".")
    return f"from modellix_typed.models.{package} import {info.class_name}"


def _median_ms(code: str) -> float:
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def run() -> dict[str, Any]:
    model_import = _model_import()
    baseline = _median_ms("pass")
    package = _median_ms("import modellix_typed")
    model = _median_ms(model_import)
    registry_get = _median_ms("import modellix_typed.registry as r; r.get(r.list_models()[0].slug)")
    return {
        "repeat": REPEAT,
        "baseline_python_pass_ms": round(baseline, 1),
        "import_modellix_typed_ms": round(package, 1),
        "import_modellix_typed_net_ms": round(package - baseline, 1),
        "model_import": model_import,
        "import_one_model_ms": round(model, 1),
        "import_one_model_net_ms": round(model - baseline, 1),
        "registry_get_one_model_net_ms": round(registry_get - baseline, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
