"""Scale: a synthetic docs site built from the mirror's model pages (providers copied under new names, so the
slugs are new) crawls and generates at a flat cost per model, and importing one class or looking one up by
slug loads the same modules, of the same size, whatever the catalog's size.

The suite compares the mirror's 76 models with 4 times as many (CPU time of this process, a ratio measured in
the same run); ``make bench`` (topic ``scale``) does 76 vs 2,000.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.scale import build_site, crawl_and_generate, model_pages

from .conftest import REPO

FACTOR = 4
PACKAGE = "scale_gen"
PROBE = """
import sys, json, attrs
from modellix_typed.registry import find_class
before = set(sys.modules)
from scale_gen.models.google import NanoBanana
NanoBanana(prompt="a cat")
by_import = sorted(set(sys.modules) - before)
before = set(sys.modules)
cls = find_class("scale_gen.models", "minimax/minimax-t2v-01")
by_slug = sorted(set(sys.modules) - before)
def size(name):
    file = getattr(sys.modules[name], "__file__", None) if name.startswith("scale_gen") else None
    return len(open(file, "rb").read()) if file else 0
print(json.dumps({
    "import": by_import, "import_bytes": sum(map(size, by_import)),
    "slug": [cls.__name__, cls.ENDPOINT.slug], "by_slug": by_slug, "slug_bytes": sum(map(size, by_slug)),
}))
"""


def build(root: Path, models: int) -> tuple[float, int, Path]:
    """Site of ``models`` pages -> specs -> ROOT/gen-N/scale_gen/models; (CPU seconds per model, models, gen)."""
    assert build_site(root / f"site-{models}", models) == models
    started = time.process_time()
    site, specs, gen = root / f"site-{models}", root / f"specs-{models}", root / f"gen-{models}"
    _, generated = crawl_and_generate(site, specs, gen / PACKAGE)
    return (time.process_time() - started) / generated, generated, gen


def probe(gen_root: Path) -> dict[str, object]:
    code = f"import sys; sys.path[:0] = [{str(gen_root)!r}]\n" + PROBE
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.timeout(300)
def test_cost_per_model_is_flat_and_one_class_costs_the_same_in_a_bigger_catalog(tmp_path: Path) -> None:
    small_size = len(model_pages())
    assert small_size >= 20, "the docs mirror lost its model pages"
    small_cost, small_models, small_gen = build(tmp_path, small_size)
    large_cost, large_models, large_gen = build(tmp_path, small_size * FACTOR)
    assert (small_models, large_models) == (small_size, small_size * FACTOR)
    assert large_cost / small_cost < 2.0, (small_cost, large_cost)
    catalogs = [gen / PACKAGE / "models" / "_catalog.py" for gen in (small_gen, large_gen)]
    small_catalog, large_catalog = (len(path.read_bytes()) for path in catalogs)
    assert large_catalog > 3 * small_catalog  # the catalog grew; what one lookup loads must not
    small, large = probe(small_gen), probe(large_gen)
    assert small["import"] == large["import"]
    assert [name for name in large["import"] if not name.startswith("modellix_typed.")] == [  # type: ignore[attr-defined]
        PACKAGE,
        f"{PACKAGE}.models",
        f"{PACKAGE}.models._bodies",  # the model's own body TypedDict and Literal aliases (one small module)
        f"{PACKAGE}.models._bodies.google",
        f"{PACKAGE}.models._bodies.google.nano_banana",
        f"{PACKAGE}.models.google",
        f"{PACKAGE}.models.google.nano_banana",
    ]
    assert small["import_bytes"] == large["import_bytes"]
    assert small["slug"] == large["slug"] == ["MinimaxT2V01", "minimax/minimax-t2v-01"]
    by_slug = [
        f"{PACKAGE}.models._bodies.minimax",
        f"{PACKAGE}.models._bodies.minimax.minimax_t2v_01",
        f"{PACKAGE}.models.minimax",
        f"{PACKAGE}.models.minimax.minimax_t2v_01",
    ]
    assert small["by_slug"] == large["by_slug"] == by_slug
    assert small["slug_bytes"] == large["slug_bytes"]
