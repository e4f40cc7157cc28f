"""The README's multiprocessing example runs as written: six processes, one team of 3 slots, no 429."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from modellix_typed.emulator import EmulatorConfig, running_emulator

README = Path(__file__).resolve().parents[2] / "README.md"


def test_multiprocessing_example_shares_one_team_without_429(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    example = next(b for b in blocks if "multiprocessing.Pool" in b)
    assert "file:///tmp/modellix-team.slots" in example
    slots = f"file://{tmp_path}/team.slots"
    code = example.replace("file:///tmp/modellix-team.slots", slots) + "\n    print(len(urls))\n"
    key = "readme-scaleout-key"
    with running_emulator(EmulatorConfig(api_keys=(key,), time_scale=0.2, concurrency_limit=3)) as emu:
        env = {**os.environ, "MODELLIX_API_KEY": key, "MODELLIX_BASE_URL": emu.base_url}
        env.pop("MODELLIX_LIMITER_URL", None)
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        stats = emu.stats()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6"]
    assert stats["tasks_created"] == 6
    submits = [r["status"] for r in stats["requests"] if r["method"] == "POST"]
    assert len(submits) == 6 and 429 not in submits  # each paid POST accepted at the first try
