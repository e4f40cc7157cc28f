"""pytest plugin: a `modellix_emulator` fixture (a live emulator per test, tasks finishing in milliseconds).

Tune it per test module by overriding the `modellix_emulator_config` fixture. Importing this module needs
only pytest and attrs; the server dependencies load when the fixture is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .config import EmulatorConfig

if TYPE_CHECKING:
    from .server import RunningEmulator

FAST_TIME_SCALE = 0.001  # a 60 s video finishes in 60 ms


@pytest.fixture
def modellix_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(time_scale=FAST_TIME_SCALE)


@pytest.fixture
def modellix_emulator(modellix_emulator_config: EmulatorConfig) -> Iterator[RunningEmulator]:
    try:
        from .server import running_emulator
    except ImportError as exc:
        from .extra import missing_extra

        pytest.fail(missing_extra(exc), pytrace=False)
    with running_emulator(modellix_emulator_config) as emulator:
        yield emulator
