"""Suite-wide settings: every test runs without the developer's saved Modellix profiles (``~/.config/modellix``)
and no test learns poll timings into the user's cache (tests that learn pass a path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["MODELLIX_POLL_STATS"] = "off"


@pytest.fixture(autouse=True)
def _no_saved_profiles(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("MODELLIX_CONFIG_DIR", str(_empty_dir(tmp_path_factory)))
    monkeypatch.delenv("MODELLIX_PROFILE", raising=False)


_EMPTY: list[Path] = []


def _empty_dir(factory: pytest.TempPathFactory) -> Path:
    if not _EMPTY:
        _EMPTY.append(factory.mktemp("modellix-config"))
    return _EMPTY[0] / "unused"
