"""Start-up cost of the ``modellix-typed`` command: ``--help``, ``--version``, ``models list`` and
``validate SLUG --body JSON``, each in fresh interpreters, against ``python -c pass`` on the same machine.

Goal (issue 20): every one of these starts and finishes within 0.2 s on the 2-core machine. Each command
runs the installed console script's own code path (``from modellix_typed.cli import main; main()``).
Figures are medians of REPEAT runs, the commands taking turns within each round; both the CPU time (user +
system: not inflated while waiting for a core on a shared machine, the figure the goal is checked on)
and the wall time are given. Bytecode caches are on (one warm-up run each), as for an installed package.

``before`` holds the same figures measured once with this module on the code before issue 20 (commit
5b69c72: ``--help`` imported every subcommand to list them), on this machine: they are not re-measured.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
REPEAT = 15
GOAL_SECONDS = 0.2
ENTRY = "import sys; from modellix_typed.cli import main; sys.argv[0] = 'modellix-typed'; main()"
COMMANDS: dict[str, list[str]] = {
    "help": ["--help"],
    "version": ["--version"],
    "models_list": ["models", "list"],
    "validate": ["validate", "google/nano-banana", "BODY_FILE"],  # a FILE: the form both old and new code take
}
# Measured with this module (REPEAT 15) on the pre-issue-20 code (`python -m bench.startup ROOT` on a
# `git archive 5b69c72` copy), this machine, 2026-12-02, in the same minute as the after figures.
BEFORE: dict[str, Any] = {
    "commit": "5b69c72",
    "note": "measured under load (other jobs on both cores): compare the CPU figures",
    "pass_cpu_ms": 13.9,
    "pass_wall_ms": 43.9,
    "help_cpu_ms": 613.6,
    "help_wall_ms": 2179.8,
    "version_cpu_ms": 132.2,
    "version_wall_ms": 451.9,
    "models_list_cpu_ms": 116.8,
    "models_list_wall_ms": 379.9,
    "validate_cpu_ms": 110.5,
    "validate_wall_ms": 392.3,
    "help_ratio_vs_pass_cpu": 44.2,
    "version_ratio_vs_pass_cpu": 9.5,
    "models_list_ratio_vs_pass_cpu": 8.4,
    "validate_ratio_vs_pass_cpu": 8.0,
}


def _argv(args: list[str], body: Path) -> list[str]:
    return [sys.executable, "-c", ENTRY, *(str(body) if a == "BODY_FILE" else a for a in args)]


def _one(argv: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process; its output is discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{argv} exited {code}")
    return usage.ru_utime + usage.ru_stime, wall


def measure(root: Path = REPO) -> dict[str, Any]:
    """The figures of the code in ``root`` (``python -c`` puts the working folder first on ``sys.path``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("MODELLIX_")}
    env["PYTHONPATH"] = str(root)
    import tempfile

    body = Path(tempfile.mkdtemp(prefix="modellix-bench-")) / "body.json"
    body.write_text('{"prompt": "a lighthouse"}', encoding="utf-8")
    runs = {"pass": [sys.executable, "-c", "pass"], **{name: _argv(args, body) for name, args in COMMANDS.items()}}
    for argv in runs.values():  # warm-up: bytecode caches
        _one(argv, env, root)
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    wall: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEAT):
        for name, argv in runs.items():
            c, w = _one(argv, env, root)
            cpu[name].append(c)
            wall[name].append(w)
    figures: dict[str, Any] = {}
    for name in runs:
        figures[f"{name}_cpu_ms"] = round(statistics.median(cpu[name]) * 1000, 1)
        figures[f"{name}_wall_ms"] = round(statistics.median(wall[name]) * 1000, 1)
    base = statistics.median(cpu["pass"])
    for name in COMMANDS:
        figures[f"{name}_ratio_vs_pass_cpu"] = round(statistics.median(cpu[name]) / base, 1) if base else None
    return figures


def run() -> dict[str, Any]:
    figures = measure()
    worst = max(figures[f"{name}_cpu_ms"] for name in COMMANDS)
    figures["worst_cpu_ms"] = worst
    figures["goal_ms"] = GOAL_SECONDS * 1000
    figures["within_goal"] = worst <= GOAL_SECONDS * 1000
    figures["before"] = BEFORE
    return figures


if __name__ == "__main__":
    import json

    # python -m bench.startup [ROOT]: another checkout's root (e.g. `git archive 5b69c72`): measure that code
    print(json.dumps(measure(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO), indent=2))
