"""register_package in-process: a generated package of the user's (built here from a copied spec) makes its
slugs reachable, its class for a shipped slug wins, a bad package name fails naming it and changes nothing,
and MODELLIX_MODELS_PACKAGES is read at the first lookup."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modellix_typed import ConfigurationError, model_packages, registry
from modellix_typed.codegen.generate import generate

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    specs = tmp_path / "specs"
    (specs / "acme").mkdir(parents=True)
    spec = json.loads((REPO / "specs/google/nano-banana.json").read_text())
    spec.update(slug="acme/toon-2", provider="acme", model_id="toon-2", path="/api/v1/acme/toon-2", rules=[])
    (specs / "acme/toon-2.json").write_text(json.dumps(spec))
    entry = {k: spec[k] for k in ("slug", "provider", "model_id", "method", "path", "task_type", "title", "doc_url")}
    (specs / "index.json").write_text(json.dumps({"models": [{**entry, "file": "acme/toon-2.json"}]}))
    (tmp_path / "userpkg").mkdir()
    (tmp_path / "userpkg/__init__.py").write_text("")
    generate(specs, tmp_path / "userpkg")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    model_packages.forget()
    registry._CLASSES.clear()
    yield "userpkg.models"
    model_packages.forget()
    registry._CLASSES.clear()
    for name in [m for m in sys.modules if m.startswith("userpkg")]:
        del sys.modules[name]


def test_register_package_makes_slugs_reachable(user_package: str) -> None:
    with pytest.raises(registry.UnknownModel):
        registry.get("acme/toon-2")
    registry.register_package(user_package)
    assert registry.get("acme/toon-2").__module__ == "userpkg.models.acme.toon_2"
    assert registry.info("acme/toon-2").package == user_package
    assert registry.validate("acme/toon-2", {"prompt": "x"}).to_dict() == {"prompt": "x"}
    assert registry.json_schema("acme/toon-2")["required"] == ["prompt"]
    assert registry.get("google/nano-banana").__module__ == "modellix_typed.models.google.nano_banana"


def test_a_bad_package_fails_naming_it_and_is_not_kept(user_package: str) -> None:
    with pytest.raises(ConfigurationError, match="no_such_pkg.models"):
        registry.register_package("no_such_pkg.models")
    assert model_packages.search_order() == [model_packages.SHIPPED]
    with pytest.raises(ValueError, match="dotted module name"):
        registry.register_package("not a module")


def test_environment_variable_registers(user_package: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELLIX_MODELS_PACKAGES", user_package)
    model_packages.forget()
    assert [m.slug for m in registry.list_models(provider="acme")] == ["acme/toon-2"]
