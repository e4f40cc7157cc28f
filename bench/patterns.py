"""The ReDoS case: a spec pattern ``^(a+)+$`` rejecting ``"a" * n + "!"``, our RE2-backed check vs Python ``re``.

Python's backtracking ``re`` doubles its time with every character, so the baseline is measured at small n
only (it would take hours at 40); ours is measured at the same n and far beyond.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from modellix_typed.patterns import Pattern
from modellix_typed.validation import Issue, check_pattern

PATTERN = "^(a+)+$"
BASELINE_SIZES = (18, 20, 22, 24)
OURS_SIZES = (18, 20, 22, 24, 29, 40, 100_000)


def _seconds(func: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best


def run() -> dict[str, Any]:
    ours = Pattern(PATTERN, backtracking_safe=False)
    python = re.compile(PATTERN)
    ours_s: dict[str, float] = {}
    baseline_s: dict[str, float] = {}
    for n in OURS_SIZES:
        value = "a" * n + "!"
        issues: list[Issue] = []
        ours_s[str(n)] = _seconds(lambda: check_pattern(value, "code", ours, issues))
        assert issues and issues[0].rule == "pattern"
    for n in BASELINE_SIZES:
        value = "a" * n + "!"
        baseline_s[str(n)] = _seconds(lambda: python.search(value), repeat=1)
    largest = str(BASELINE_SIZES[-1])
    growth = baseline_s[largest] / baseline_s[str(BASELINE_SIZES[-2])]
    per_char = growth ** (1 / (BASELINE_SIZES[-1] - BASELINE_SIZES[-2]))
    return {
        "pattern": PATTERN,
        "engine": ours.engine,
        "ours_seconds_by_length": {n: round(s, 6) for n, s in ours_s.items()},
        "baseline_python_re_seconds_by_length": {n: round(s, 4) for n, s in baseline_s.items()},
        f"ratio_python_re_vs_ours_at_{largest}": round(baseline_s[largest] / ours_s[largest]),
        "baseline_python_re_growth_per_char": round(per_char, 2),
        "baseline_python_re_extrapolated_seconds_at_29": round(
            baseline_s[largest] * per_char ** (29 - int(largest)), 1
        ),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
