"""The README's Python examples run as written: against the emulator, with the environment a user sets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from modellix_typed.emulator import EmulatorConfig, running_emulator

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def run_snippet(code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_readme_has_the_examples_this_file_runs() -> None:
    assert len(python_blocks()) >= 2


def test_quick_start_runs_against_the_emulator(tmp_path: Path) -> None:
    quick_start = python_blocks()[0]
    key = "readme-test-key"
    with running_emulator(EmulatorConfig(api_keys=(key,), time_scale=0.01)) as emu:
        env = {**os.environ, "MODELLIX_API_KEY": key, "MODELLIX_BASE_URL": emu.base_url}
        done = run_snippet(quick_start + "\nprint('saved', *paths)\n", tmp_path, env)
        created = emu.stats()["tasks_created"]
    assert done.returncode == 0, done.stderr
    saved = [Path(tmp_path, p) for p in done.stdout.split()[1:]]
    assert saved and all(p.read_bytes().startswith(b"\x89PNG") for p in saved)
    assert created == 1
    assert key not in done.stdout + done.stderr


def test_offline_validation_example_reports_every_problem(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELLIX_")}
    [block] = [b for b in python_blocks() if '"sampleCount": 9' in b]  # the offline validation example
    done = run_snippet(block, tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["sampleCount maximum 9", "aspectRatio enum 2:1"]


def test_raw_call_and_account_example_runs_against_the_emulator(tmp_path: Path) -> None:
    [block] = [b for b in python_blocks() if "validate=False" in b]
    key = "readme-test-key"
    config = EmulatorConfig(api_keys=(key,), time_scale=0.01, accept_unknown_models=True, result_shape="urls")
    (tmp_path / "ref.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))  # the file the example uploads
    with running_emulator(config) as emu:
        env = {**os.environ, "MODELLIX_API_KEY": key, "MODELLIX_BASE_URL": emu.base_url}
        done = run_snippet(block, tmp_path, env)
        created = emu.stats()["tasks_by_slug"]
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("success ['http://127.0.0.1:") and lines[1] == "True 100.0" and lines[3] == "True"
    assert created == {"newco/model-2027": 1} and key not in done.stdout + done.stderr


def test_local_file_example_uploads_once_and_cleans_up(tmp_path: Path) -> None:
    [block] = [b for b in python_blocks() if "cleanup_uploads=True" in b]
    key = "readme-test-key"
    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(16))
    setup = (
        "from modellix_typed import Modellix\n"
        "client = Modellix()\n"
        "requests = [('google/nano-banana-edit', {'prompt': str(i), 'image': [Path('cat.png')]}) for i in range(2)]\n"
    )
    with running_emulator(EmulatorConfig(api_keys=(key,), time_scale=0.001)) as emu:
        env = {**os.environ, "MODELLIX_API_KEY": key, "MODELLIX_BASE_URL": emu.base_url}
        done = run_snippet("from pathlib import Path\n" + setup + block + "print([o.kind for o in outcomes])\n",
                           tmp_path, env)
        uploads = [r for r in emu.stats()["requests"] if r["method"] == "POST" and r["path"] == "/api/v1/media/files"]
        left = emu.stats()["media_files"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "['success', 'success']"
    assert len(uploads) == 2 and left == 0  # one for run, one for the batch's shared file; none left
