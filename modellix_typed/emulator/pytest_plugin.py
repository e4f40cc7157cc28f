"""pytest plugin: fixtures that run a live local emulator per test (tasks finish in milliseconds) and point
everything the test creates at it.

- ``modellix_emulator``: the running emulator. While it runs, the environment says where the API is
  (``MODELLIX_BASE_URL``, the emulator's own fake ``MODELLIX_API_KEY``) and where local files go
  (``MODELLIX_CONFIG_DIR``, poll statistics in a temporary folder; ``MODELLIX_PROFILE`` and
  ``MODELLIX_LIMITER_URL`` unset), so every ``Modellix()``, ``AsyncModellix()`` and ``modellix-typed`` command
  created in the test talks to the emulator: a real key in the shell or a saved profile is never read, and no
  task is ever paid for. The environment is restored afterwards.
- ``modellix_client`` / ``modellix_async_client``: a ready client on the emulator, closed after the test.

Tune the emulator per test module by overriding the ``modellix_emulator_config`` fixture. Importing this module
needs only pytest and attrs; the server dependencies load when a fixture is first used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .config import EmulatorConfig

if TYPE_CHECKING:
    from .._async.client import AsyncModellix
    from .._sync.client import Modellix
    from .server import RunningEmulator

FAST_TIME_SCALE = 0.001  # a 60 s video finishes in 60 ms
CLEARED = ("MODELLIX_PROFILE", "MODELLIX_LIMITER_URL", "MODELLIX_TIMEOUT_EXIT_CODE")
"""Variables a developer's shell may hold that would send a test's client elsewhere or change its behaviour."""


@pytest.fixture
def modellix_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=FAST_TIME_SCALE)


def emulator_environment(emulator: RunningEmulator, home: Path) -> dict[str, str]:
    """What the environment says inside a test that uses the emulator (files under ``home``)."""
    return {
        "MODELLIX_BASE_URL": emulator.base_url,
        "MODELLIX_API_KEY": emulator.api_key,
        "MODELLIX_CONFIG_DIR": str(home / "config"),
        "MODELLIX_POLL_STATS": str(home / "poll-stats.json"),
    }


@pytest.fixture
def modellix_emulator(
    modellix_emulator_config: EmulatorConfig, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningEmulator]:
    try:
        from .server import running_emulator
    except ImportError as exc:
        from .extra import missing_extra

        pytest.fail(missing_extra(exc), pytrace=False)
    with running_emulator(modellix_emulator_config) as emulator:
        for name in CLEARED:
            monkeypatch.delenv(name, raising=False)
        home = tmp_path_factory.mktemp("modellix-home")
        for name, value in emulator_environment(emulator, home).items():
            monkeypatch.setenv(name, value)
        try:
            yield emulator
        finally:
            monkeypatch.undo()  # the shell's own values come back before the next test


@pytest.fixture
def modellix_client(modellix_emulator: RunningEmulator) -> Iterator[Modellix]:
    """A :class:`~modellix_typed.Modellix` on the emulator (from the environment the emulator fixture set)."""
    from .._sync.client import Modellix

    with Modellix() as client:
        yield client


@pytest.fixture
async def modellix_async_client(modellix_emulator: RunningEmulator) -> AsyncIterator[AsyncModellix]:
    """An :class:`~modellix_typed.AsyncModellix` on the emulator (needs an async test runner such as anyio's
    or pytest-asyncio's plugin)."""
    from .._async.client import AsyncModellix

    async with AsyncModellix() as client:
        yield client
