"""Shared fixtures: a live emulator on 127.0.0.1:0 over the tiny fixture specs, and plain httpx clients."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator
from modellix_typed.emulator.pytest_plugin import modellix_emulator, modellix_emulator_config  # noqa: F401

FIXTURE_SPECS = Path(__file__).parent / "fixtures" / "specs"
REPO_SPECS = Path(__file__).resolve().parents[2] / "specs"
IMAGEN = "/api/v1/google/imagen-4.0-generate-001"  # the canonical path (the live API's)
I2V = "/api/v1/minimax/minimax-i2v-01"
I2V_OLD = "/api/v1/image-to-video/minimax/minimax-i2v-01/async"  # served only with legacy_paths
T2V = "/api/v1/google/veo-3-fast-t2v"
KEY = "test-key-123"

StartEmulator = Callable[..., RunningEmulator]


@pytest.fixture
def start_emulator() -> Iterator[StartEmulator]:
    """Start emulators with config overrides; all are stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(**overrides: Any) -> RunningEmulator:
            overrides.setdefault("specs_dir", FIXTURE_SPECS)
            overrides.setdefault("api_keys", (KEY,))
            overrides.setdefault("time_scale", 0.001)
            return stack.enter_context(running_emulator(EmulatorConfig(**overrides)))

        yield start


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> RunningEmulator:
    return start_emulator()


def client_for(emu: RunningEmulator, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key or emu.api_key}"}
    return httpx.Client(base_url=emu.base_url, headers=headers, timeout=10)


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as http:
        yield http


def wait_for_status(http: httpx.Client, task_id: str, wanted: str, timeout: float = 5.0) -> dict[str, Any]:
    """Poll until the task reaches `wanted`; returns the task's `data`."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"/api/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if data["status"] == wanted or time.monotonic() > deadline:
            assert data["status"] == wanted, data
            return data
        time.sleep(0.01)
