"""Importing one model class costs little on top of attrs: only our six small runtime modules, its provider
package, its own body TypedDict module and its own module load (no json, difflib,
regex engine or HTTP stack), checked by what is loaded, not
by timing (the timing is `make bench`'s `imports` topic)."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO

EXPECTED = {
    "modellix_typed",
    "modellix_typed.errors",
    "modellix_typed.patterns",
    "modellix_typed.validation",
    "modellix_typed.local_file",
    "modellix_typed.request",
    "modellix_typed.constructor",
    "modellix_typed.models",
    "modellix_typed.models.google",
    "modellix_typed.models._bodies",
    "modellix_typed.models._bodies.google",
    "modellix_typed.models._bodies.google.nano_banana",  # its Literal aliases, beside its body TypedDict
    "modellix_typed.models.google.nano_banana",
}


def test_one_model_class_loads_only_its_own_modules_on_top_of_attrs() -> None:
    probe = """
import sys, attrs
before = set(sys.modules)
from modellix_typed.models.google import NanoBanana
NanoBanana(prompt="a cat")
loaded = sorted(set(sys.modules) - before)
import json
print(json.dumps(loaded))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert loaded == EXPECTED


def test_registry_get_finds_a_class_without_reading_the_catalog() -> None:
    """The registry locates a class by the generator's naming rules; the catalog (which grows with every model)
    is read only for listings and unknown slugs."""
    probe = """
import sys, json
from modellix_typed import registry
cls = registry.get("google/nano-banana")
found = [cls.__name__, "modellix_typed.models._catalog" in sys.modules]
try:
    registry.get("google/nano-banan")
except registry.UnknownModel as exc:
    found += [exc.suggestions, "modellix_typed.models._catalog" in sys.modules]
print(json.dumps(found))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    name, catalog_read, suggestions, catalog_read_after_miss = json.loads(done.stdout)
    assert (name, catalog_read, catalog_read_after_miss) == ("NanoBanana", False, True)
    assert suggestions[0] == "google/nano-banana"


def test_a_model_with_prose_rules_loads_their_wording_only_when_one_is_broken() -> None:
    probe = """
import sys, json
from modellix_typed.models.alibaba import Wan26T2I
Wan26T2I(prompt="a cat", size="1024*1024")
found = ["modellix_typed.rules" in sys.modules, "modellix_typed.wording" in sys.modules]
try:
    Wan26T2I(prompt="a cat", size="9000*9000")
except Exception as exc:
    found.append(type(exc).__name__)
print(json.dumps(found + ["modellix_typed.wording" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, False, "ValidationError", True]
