"""The public API is fully typed for a user's type checker: pyright's ``--verifytypes`` (basedpyright, a dev
dependency) scores it 100 %, with no symbol whose type is unknown or left to inference; and no public signature
shows a private (``_``) parameter.

``--ignoreexternal``: a type that comes from another package (httpx, click...) is that package's business.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import modellix_typed

REPO = Path(__file__).resolve().parents[2]


def verifytypes() -> dict[str, Any]:
    bin_dir = Path(sys.executable).parent
    # basedpyright finds the environment (and so our installed package) through the python on PATH.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "VIRTUAL_ENV": sys.prefix}
    proc = subprocess.run(
        [str(bin_dir / "basedpyright"), "--verifytypes", "modellix_typed", "--ignoreexternal", "--outputjson"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.stdout.startswith("{"), proc.stderr[-2000:]
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def test_public_api_type_completeness_is_100_percent() -> None:
    report = verifytypes()
    assert [d["message"] for d in report["generalDiagnostics"] if d["severity"] == "error"] == []
    completeness = report["typeCompleteness"]
    counts = completeness["exportedSymbolCounts"]
    # The package was really found and read (a missing py.typed or import gives 0 symbols and score 0).
    assert completeness["packageRootDirectory"].endswith("modellix_typed") and counts["withKnownType"] > 1000
    gaps = [
        f"{symbol['name']}: {diagnostic['message']}"
        for symbol in completeness["symbols"]
        if not symbol["isTypeKnown"] or symbol["isTypeAmbiguous"]
        for diagnostic in symbol["diagnostics"]
        if "docstring" not in diagnostic["message"]
    ]
    assert gaps == [] and counts["withAmbiguousType"] == 0 and counts["withUnknownType"] == 0
    assert completeness["completenessScore"] == 1


def public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public function, class and method defined in a public module (the generated models' classes,
    whose constructors the template writes, are covered by tests/generated)."""
    for info in pkgutil.walk_packages(modellix_typed.__path__, "modellix_typed."):
        parts = info.name.split(".")
        if parts[1] == "models" or any(part.startswith("_") for part in parts[1:]):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not getattr(obj, "__module__", "").startswith("modellix_typed"):
                continue
            if inspect.isfunction(obj):
                yield f"{obj.__module__}.{obj.__qualname__}", obj
            elif inspect.isclass(obj):
                yield f"{obj.__module__}.{obj.__qualname__}", obj
                for attr, member in vars(obj).items():
                    if attr in ("__init__", "__call__") or (not attr.startswith("_") and callable(member)):
                        yield f"{obj.__module__}.{obj.__qualname__}.{attr}", getattr(obj, attr)


def test_no_private_parameter_in_a_public_signature() -> None:
    private: dict[str, list[str]] = {}
    checked = 0
    for name, obj in public_callables():
        try:
            signature = inspect.signature(obj)
        except (TypeError, ValueError):  # some builtins have none
            continue
        checked += 1
        if names := [p for p in signature.parameters if p.startswith("_")]:
            private[name] = names
    assert checked > 300 and private == {}
