"""Import cost in fresh interpreters: ``import modellix_typed``, one model class and a registry lookup, each vs
the floors ``python -c pass`` and ``import attrs`` (the one runtime dependency a model class needs).

Each figure is the median CPU time (user + system) of REPEAT fresh interpreters. Runs with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed, one warm-up run per command), as an
installed package would: otherwise every import recompiles its source and the figure measures the compiler.
The commands take turns within each round, so load from other processes hits them alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REPEAT = 21
GOAL_MODEL_NET_OF_ATTRS_MS = 10.0
GOAL_RATIO_VS_ATTRS = 0.4
"""The same goal without the machine's speed: 10 ms where ``import attrs`` itself costs about 25 ms."""


def _model_import() -> str:
    from modellix_typed import registry

    info = registry.list_models()[0]
    package, _, _ = info.module.partition(".")
    return f"from modellix_typed.models.{package} import {info.class_name}"


def _medians_ms(commands: dict[str, str]) -> dict[str, float]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for code in commands.values():  # warm-up: writes the bytecode caches
        subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env=env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(REPEAT):
        for name, code in commands.items():
            samples[name].append(_cpu_seconds([sys.executable, "-c", code], env))
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def _cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU time of one child process: unlike wall time, not inflated while it waits for a core
    on a shared machine."""
    proc = subprocess.Popen(argv, cwd=REPO, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime


def run() -> dict[str, Any]:
    model_import = _model_import()
    ms = _medians_ms(
        {
            "pass": "pass",
            "attrs": "import attrs",
            "package": "import modellix_typed",
            "model": f"import attrs; {model_import}",
            "registry_get": "import modellix_typed.registry as r; r.get(r.list_models()[0].slug)",
        }
    )
    baseline, attrs_ms = ms["pass"], ms["attrs"]
    return {
        "repeat": REPEAT,
        "baseline_python_pass_ms": round(baseline, 1),
        "baseline_import_attrs_ms": round(attrs_ms, 1),
        "import_modellix_typed_ms": round(ms["package"], 1),
        "import_modellix_typed_net_ms": round(ms["package"] - baseline, 1),
        "model_import": model_import,
        "import_one_model_ms": round(ms["model"], 1),
        "import_one_model_net_ms": round(ms["model"] - baseline, 1),
        "import_one_model_net_of_attrs_ms": round(ms["model"] - attrs_ms, 1),
        "goal_one_model_net_of_attrs_ms": GOAL_MODEL_NET_OF_ATTRS_MS,
        "ratio_one_model_net_of_attrs_vs_attrs_net": round((ms["model"] - attrs_ms) / (attrs_ms - baseline), 2),
        "goal_ratio_vs_attrs_at_most": GOAL_RATIO_VS_ATTRS,
        "registry_get_one_model_net_ms": round(ms["registry_get"] - baseline, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
