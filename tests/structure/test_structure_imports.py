"""The package's import graph has no circle (top-level, function-level and TYPE_CHECKING imports all count), and
the layers import downwards only: ``_core`` no shell and no event loop, ``_sync`` and ``_async`` never each
other nor the thin re-export modules above them."""

from __future__ import annotations

from pathlib import Path

import pytest

from .imports import PACKAGE, components, cycles, graph, modules

REPO = Path(__file__).resolve().parents[2]
COMPAT = {f"{PACKAGE}.{name}" for name in ("client", "task", "transport", "download", "batch", "limiter")}


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    return graph(REPO)


def test_the_package_has_no_import_cycle(edges: dict[str, set[str]]) -> None:
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)
    assert len(edges) > 150  # every module was read (~205 with the generated models)
    assert f"{PACKAGE}.models.google.nano_banana" in edges


def test_a_cycle_through_function_level_type_checking_and_relative_imports_is_found_and_named(
    tmp_path: Path,
) -> None:
    package = tmp_path / PACKAGE
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .inner import b\n")
    (package / "inner" / "b.py").write_text("def f():\n    from ..c import x\n")
    (package / "c.py").write_text(f"import {PACKAGE}.a as a\nx = 1\n")
    (package / "d.py").write_text(f"from {PACKAGE} import c\n")  # imports c, not the package: no edge back
    found = cycles(graph(tmp_path))
    assert found == [[f"{PACKAGE}.a", f"{PACKAGE}.inner.b", f"{PACKAGE}.c", f"{PACKAGE}.a"]]
    assert components(graph(tmp_path)) == [sorted([f"{PACKAGE}.a", f"{PACKAGE}.c", f"{PACKAGE}.inner.b"])]


def _under(name: str, folder: str) -> bool:
    return name.startswith(f"{PACKAGE}.{folder}.") or name == f"{PACKAGE}.{folder}"


def test_the_shells_never_import_each_other_nor_back_up(edges: dict[str, set[str]]) -> None:
    wrong = []
    for name, targets in sorted(edges.items()):
        for flavour, other in (("_sync", "_async"), ("_async", "_sync")):
            if _under(name, flavour):
                wrong += [f"{name} -> {t}" for t in sorted(targets) if _under(t, other) or t in COMPAT]
    assert wrong == []


def test_the_core_imports_no_shell_and_no_event_loop(edges: dict[str, set[str]]) -> None:
    core = [name for name in modules(REPO) if _under(name, "_core")]
    assert len(core) >= 8
    wrong = []
    for name in core:
        wrong += [f"{name} -> {t}" for t in sorted(edges[name]) if _under(t, "_sync") or _under(t, "_async")]
        wrong += [f"{name} -> {t}" for t in sorted(edges[name]) if t in COMPAT or t == f"{PACKAGE}.cli"]
        source = modules(REPO)[name].read_text(encoding="utf-8")
        if "import asyncio" in source:
            wrong.append(f"{name} imports asyncio")
    assert wrong == []


def test_the_compat_modules_only_re_export(edges: dict[str, set[str]]) -> None:
    """Internal code never imports the thin modules kept for users' import paths."""
    users = sorted(f"{name} -> {t}" for name, targets in edges.items() for t in targets & COMPAT if name != PACKAGE)
    assert users == []
