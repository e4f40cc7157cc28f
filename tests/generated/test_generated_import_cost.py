"""Importing one model class costs little on top of attrs: only our five small runtime modules, its provider
package and its own module load (no json, difflib, regex engine or HTTP stack), checked by what is loaded, not
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
    "modellix_typed.request",
    "modellix_typed.models",
    "modellix_typed.models.google",
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
