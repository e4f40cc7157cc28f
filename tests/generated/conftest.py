"""Shared fixtures for the generated-model tests: the committed specs, and fixture specs generated to a tmp dir."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modellix_typed.codegen.generate import generate

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
FIXTURE_SPECS = Path(__file__).resolve().parent / "fixtures" / "specs"
FIXTURE_PACKAGE = "modellix_fixture_gen"


def load_index(specs: Path = SPECS) -> list[dict[str, Any]]:
    index = json.loads((specs / "index.json").read_text(encoding="utf-8"))
    models: list[dict[str, Any]] = index["models"]
    return models


def load_lint_report(specs: Path = SPECS) -> dict[str, Any]:
    """specs/lint-report.json: docs inconsistencies, e.g. page examples that are not valid requests."""
    report: dict[str, Any] = json.loads((specs / "lint-report.json").read_text(encoding="utf-8"))
    return report


def is_placeholder(value: Any) -> bool:
    """``"<string>"``-style docs templates are not real values."""
    return isinstance(value, str) and value.startswith("<") and value.endswith(">") and len(value) > 2


def load_spec(entry: dict[str, Any], specs: Path = SPECS) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((specs / entry["file"]).read_text(encoding="utf-8"))
    return spec


@pytest.fixture(scope="session")
def fixture_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """tests/generated/fixtures/specs generated into a tmp dir, importable as ``modellix_fixture_gen.models``."""
    root = tmp_path_factory.mktemp("fixture-gen")
    generate(FIXTURE_SPECS, root / FIXTURE_PACKAGE)
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(f"{FIXTURE_PACKAGE}.models")
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == FIXTURE_PACKAGE]:
            del sys.modules[name]
