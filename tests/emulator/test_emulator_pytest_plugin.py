"""The `modellix_emulator` fixture users get from the pytest plugin (config overridable per module)."""

from __future__ import annotations

import httpx
import pytest

from modellix_typed.emulator import EmulatorConfig, RunningEmulator

from .conftest import FIXTURE_SPECS, IMAGEN, wait_for_status


@pytest.fixture
def modellix_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(specs_dir=FIXTURE_SPECS, api_keys=("test-key-plugin",), time_scale=0.001)


def test_plugin_fixture_runs_a_fast_emulator(modellix_emulator: RunningEmulator) -> None:
    assert modellix_emulator.api_key == "test-key-plugin"
    headers = {"Authorization": f"Bearer {modellix_emulator.api_key}"}
    with httpx.Client(base_url=modellix_emulator.base_url, headers=headers) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        wait_for_status(http, task_id, "success")
    assert modellix_emulator.stats()["tasks_by_slug"] == {"google/imagen-4.0-generate-001": 1}
