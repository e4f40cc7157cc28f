"""The plugin's fixtures point everything a test creates at the emulator: a real-looking key, base URL and
saved profile in the developer's shell are never used (a pytester run, as a user's own test suite would run),
and the environment is back as it was after the test."""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = '''
import json, os, subprocess, sys
import pytest
from modellix_typed import AsyncModellix, Modellix


def test_every_client_and_the_cli_use_the_emulator(modellix_emulator, modellix_client):
    assert os.environ["MODELLIX_BASE_URL"] == modellix_emulator.base_url
    assert os.environ["MODELLIX_API_KEY"] != "sk-real-key-from-the-shell"
    assert "MODELLIX_PROFILE" not in os.environ
    result = modellix_client.run("google/nano-banana", {"prompt": "a cat"}, timeout=30)
    assert result.status.value == "success"
    with Modellix() as other:                    # created inside the test, no arguments
        assert other.run("google/nano-banana", {"prompt": "a dog"}, timeout=30).status.value == "success"
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "modellix-typed"), "--json", "run", "google/nano-banana", "--body", '{"prompt": "x"}'],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    assert modellix_emulator.stats()["tasks_by_slug"] == {"google/nano-banana": 3}


@pytest.mark.anyio
async def test_async_client_fixture(modellix_emulator, modellix_async_client):
    task = await modellix_async_client.submit("google/nano-banana", {"prompt": "a cat"})
    assert (await task.wait(timeout=30)).status.value == "success"
    async with AsyncModellix() as other:
        assert (await other.run("google/nano-banana", {"prompt": "a dog"}, timeout=30)).status.value == "success"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def test_environment_is_restored_after_the_emulator_tests():
    assert os.environ["MODELLIX_BASE_URL"] == "https://api.real-modellix.invalid"
    assert os.environ["MODELLIX_API_KEY"] == "sk-real-key-from-the-shell"
    assert os.environ["MODELLIX_PROFILE"] == "work"
'''


def test_fixtures_never_use_the_shells_key_profile_or_base_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = pytester.path / "real-config"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(
        json.dumps({"currentProfile": "work", "profiles": {"work": {"apiKey": "sk-saved-real-key"}}})
    )
    monkeypatch.setenv("MODELLIX_API_KEY", "sk-real-key-from-the-shell")
    monkeypatch.setenv("MODELLIX_BASE_URL", "https://api.real-modellix.invalid")
    monkeypatch.setenv("MODELLIX_PROFILE", "work")
    monkeypatch.setenv("MODELLIX_CONFIG_DIR", str(config_dir))
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=3)
