"""Run the installed ``modellix-typed`` console script as a subprocess; a real emulator for the API commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from modellix_typed.emulator.config import EmulatorConfig
from modellix_typed.emulator.server import RunningEmulator, running_emulator

REPO = Path(__file__).resolve().parents[2]
MIRROR = REPO.parent / "shared" / "modellix-docs"
KEY = "test-key-cli-5f3a9"  # fake; every CLI call asserts it never appears in any output
BIN = shutil.which("modellix-typed", path=str(Path(sys.executable).parent))


@attrs.frozen
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


# The CLI reads saved profiles and writes a task history: never the developer's own ~/.config/modellix.
CONFIG_DIR = tempfile.mkdtemp(prefix="modellix-cli-tests-")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELLIX_") and k != "CI"}
    env["MODELLIX_POLL_STATS"] = "off"  # never learn test timings into the user's cache
    env["MODELLIX_CONFIG_DIR"] = CONFIG_DIR
    env.update(extra or {})
    return env


def read_terminal(primary: int) -> str:
    """Everything the child wrote to a pseudo-terminal, until it closed it; closes our end."""
    chunks: list[bytes] = []
    try:
        while chunk := os.read(primary, 4096):
            chunks.append(chunk)
    except OSError:  # EIO: the child closed the terminal
        pass
    finally:
        os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


def cli(*args: str, env: Mapping[str, str] | None = None, input: str | None = None, cwd: Path = REPO) -> Result:
    """One run of the console script; fails the test if the key shows up anywhere in its output."""
    assert BIN is not None, f"modellix-typed console script not installed next to {sys.executable}"
    proc = subprocess.run(
        [BIN, *args], check=False, env=clean_env(env), input=input, capture_output=True, text=True, timeout=60, cwd=cwd
    )
    assert KEY not in proc.stdout + proc.stderr
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=0.001)) as running:
        yield running


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    """A team of 3 slots for the batch tests (one per module: each test resets its stats and faults)."""
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=0.002, concurrency_limit=3)) as running:
        yield running


@pytest.fixture(scope="module")
def slow() -> Iterator[RunningEmulator]:
    """Image tasks of about 3 s (time scale 0.6), a team of 3 slots: for the signal and progress tests
    (one per module; :func:`.children.child_env` resets it for each test)."""
    with running_emulator(EmulatorConfig(api_keys=(KEY,), time_scale=0.6, concurrency_limit=3)) as running:
        yield running


@pytest.fixture()
def api_env(emulator: RunningEmulator) -> dict[str, str]:
    return {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emulator.base_url}
