"""We live inside other people's code: pyproject.toml declares ranges (floor to next major), the exact versions
live in constraints.txt (our venv and CI), and constraints-lowest.txt pins every floor (`make ci-lowest` runs
the suite on them). These three files must agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
USER_EXTRAS = ("codegen", "emulator", "redis", "brotli")  # what users install; `dev` is for this repository


def pins(name: str) -> dict[str, Version]:
    lines = (REPO / name).read_text(encoding="utf-8").splitlines()
    pairs = [line.split("==") for line in lines if line.strip() and not line.startswith("#")]
    return {canonicalize_name(pkg): Version(version) for pkg, version in pairs}


def requirements(*groups: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for group in groups:
        found += [Requirement(r) for r in project["optional-dependencies"][group]]
    return [r for r in found if canonicalize_name(r.name) != "modellix-typed"]


def floor_of(requirement: Requirement) -> Version:
    [floor] = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return floor


def test_runtime_and_extra_dependencies_are_ranges_whose_floors_are_pinned_in_the_lowest_file() -> None:
    lowest = pins("constraints-lowest.txt")
    declared = requirements(*USER_EXTRAS)
    assert len(declared) == 15
    for requirement in declared:
        operators = sorted(s.operator for s in requirement.specifier)
        assert operators == ["<", ">="], f"{requirement}: a range from a floor to below the next major"
        assert lowest[canonicalize_name(requirement.name)] == floor_of(requirement), requirement
    assert set(lowest) == {canonicalize_name(r.name) for r in declared}
    # The floors asked for (raised only where a feature needs newer: none does).
    floors = {canonicalize_name(r.name): floor_of(r) for r in declared}
    for name, oldest in {"attrs": "24.2", "httpx": "0.27", "click": "8.1", "rich": "13.9"}.items():
        assert floors[name] <= Version(oldest), name


def test_no_exact_pin_for_users_and_the_lock_fits_every_range() -> None:
    build_requires = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert all(any(s.operator == ">=" for s in r.specifier) for r in build_requires)
    locked = pins("constraints.txt")
    for requirement in [*requirements(*USER_EXTRAS, "dev", "distributed-tests"), *build_requires]:
        assert not any(s.operator == "==" for s in requirement.specifier), requirement
        name = canonicalize_name(requirement.name)
        if name in locked:
            assert locked[name] in requirement.specifier, (requirement, locked[name])
        else:
            assert name == "setuptools", f"{name} is not locked in constraints.txt"
