"""Suite-wide settings: every test runs without the developer's saved Modellix profiles (``~/.config/modellix``)
and no test learns poll timings into the user's cache (tests that learn pass a path)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
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


@pytest.fixture()
def ctrl_c_works() -> Iterator[None]:
    """For a test that sends SIGINT (to itself or to a child): Ctrl+C raises KeyboardInterrupt here, as in a terminal.

    A job that a non-interactive shell starts in the background (``nohup make ci &``, CI scripts) begins with
    SIGINT ignored, and an ignored signal stays ignored in every child: the test's SIGINT would then never arrive.
    A handled signal is reset to its default in a child at exec, so the CLI children start as from a terminal too.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
