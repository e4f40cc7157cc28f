"""``codegen generate``: specs/ -> generated/models/ (one validating attrs class per model, grouped by provider).

Output is a pure function of the specs: sorted inputs, no timestamps, templates that emit finished code (no
formatter pass), so regenerating gives identical bytes and CI can diff against the committed tree.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import jinja2

from modellix_typed.codegen.gen_bodies import bodies, provider_aliases, typed_slugs
from modellix_typed.codegen.gen_literal import pyrepr
from modellix_typed.codegen.gen_model import GenerateError, ModelView, build_model, doc_safe, parse_provider
from modellix_typed.codegen.gen_names import package_name
from modellix_typed.patterns import engine_for

TEMPLATES = Path(__file__).parent / "templates"
SPECS_LABEL = "specs"
"""How headers name the specs folder (fixed, so output doesn't depend on where specs/ was read from)."""


@attrs.frozen
class GenerateResult:
    files: dict[str, str]
    models: int
    providers: int
    pattern_engines: dict[str, dict[str, str]] = attrs.field(factory=dict)
    """slug -> {pattern: engine} ("re2", "re" fallback, "unchecked"), for the generate command's report."""

    def pattern_fallbacks(self) -> list[str]:
        """One line per pattern that does not run on RE2, naming the model, the engine and the pattern."""
        return [
            f"{slug}: {engine}: {pattern!r}"
            for slug, engines in sorted(self.pattern_engines.items())
            for pattern, engine in sorted(engines.items())
            if engine != "re2"
        ]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters["pyrepr"] = pyrepr
    env.filters["docsafe"] = doc_safe
    return env


def load_specs(specs_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file relative to specs/, spec) for every model listed in index.json, sorted by slug."""
    index = json.loads((specs_dir / "index.json").read_text(encoding="utf-8"))
    entries = sorted(index.get("models", []), key=lambda entry: entry["slug"])
    return [(entry["file"], json.loads((specs_dir / entry["file"]).read_text(encoding="utf-8"))) for entry in entries]


def render(specs_dir: Path) -> GenerateResult:
    """All files of generated/models/, as {relative path: content}."""
    env = _environment()
    by_provider: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for file, spec in load_specs(specs_dir):
        by_provider.setdefault(package_name(spec["provider"]), []).append((file, spec))
    files: dict[str, str] = {}
    all_models: list[ModelView] = []
    for package, items in sorted(by_provider.items()):
        parsed = parse_provider([spec for _, spec in items])
        views = [build_model(spec, parsed, f"{SPECS_LABEL}/{file}") for file, spec in items]
        _check_unique(package, views)
        for view in views:
            files[f"models/{package}/{view.module}.py"] = env.get_template("model_module.py.jinja").render(m=view)
        provider_bodies = [body for view in views for body in bodies(view)]
        files[f"models/_bodies/{package}.py"] = env.get_template("bodies.py.jinja").render(
            provider=views[0].provider,
            bodies=provider_bodies,
            aliases=provider_aliases(views),
            uses_any=any("Any" in field.type for body in provider_bodies for field in body.fields),
        )
        files[f"models/{package}/__init__.py"] = env.get_template("provider_init.py.jinja").render(
            provider=views[0].provider,
            package=package,
            models=sorted(views, key=lambda view: view.class_name),
            bodies=sorted(body.name for body in provider_bodies),
        )
        all_models += views
    all_models.sort(key=lambda view: view.slug)
    files["models/_catalog.py"] = env.get_template("catalog.py.jinja").render(models=all_models)
    if not all_models:
        raise GenerateError(f"{specs_dir}/index.json lists no models")
    # the docstring's example: the first model of the first package, so adding providers does not change it
    example = min(all_models, key=lambda view: (view.package, view.slug))
    files["models/__init__.py"] = env.get_template("models_init.py.jinja").render(
        example=example, packages=sorted(by_provider)
    )
    files["models/py.typed"] = ""
    files["models/_bodies/__init__.py"] = env.get_template("bodies_init.py.jinja").render()
    slugs = typed_slugs(all_models)
    imports: dict[str, list[str]] = {}
    for _, package, body in slugs:
        imports.setdefault(package, []).append(body)
    files["models/_typed_calls.py"] = env.get_template("typed_calls.py.jinja").render(
        slugs=slugs, imports=sorted((package, sorted(names)) for package, names in imports.items())
    )
    engines: dict[str, dict[str, str]] = {
        view.slug: {pattern: engine_for(pattern) for pattern in view.patterns} for view in all_models if view.patterns
    }
    return GenerateResult(
        files=files, models=len(all_models), providers=len(by_provider), pattern_engines=engines
    )


def _check_unique(package: str, views: list[ModelView]) -> None:
    seen: dict[str, str] = {}
    for view in views:
        for key in (view.class_name, view.module):
            if key in seen and seen[key] != view.slug:
                raise GenerateError(f"{package}: {view.slug} and {seen[key]} both map to {key!r}")
            seen[key] = view.slug


def _generated_files(out_dir: Path) -> set[str]:
    """Paths (relative to out_dir) of the files generation owns under out_dir/models."""
    models_dir = out_dir / "models"
    if not models_dir.exists():
        return set()
    return {
        path.relative_to(out_dir).as_posix()
        for path in models_dir.rglob("*")
        if path.is_file() and path.suffix in (".py", ".typed")
    }


def write(out_dir: Path, files: Mapping[str, str]) -> list[str]:
    """Write files under out_dir and delete generated modules no spec produces any more; returns removed paths."""
    removed = sorted(_generated_files(out_dir) - set(files))
    for relative in removed:
        (out_dir / relative).unlink()
    for relative, content in sorted(files.items()):
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    models_dir = out_dir / "models"
    if models_dir.exists():
        for directory in sorted(models_dir.iterdir()):
            if directory.is_dir() and not any(directory.glob("*.py")):
                shutil.rmtree(directory)
    return removed


def generate(specs_dir: Path, out_dir: Path) -> tuple[GenerateResult, list[str], float]:
    started = time.perf_counter()
    result = render(specs_dir)
    removed = write(out_dir, result.files)
    return result, removed, time.perf_counter() - started


def diff_tree(out_dir: Path, files: Mapping[str, str]) -> list[str]:
    """What differs between out_dir/models and the freshly rendered files (empty: identical bytes)."""
    problems: list[str] = []
    present = _generated_files(out_dir)
    for relative in sorted(present - set(files)):
        problems.append(f"stale: {relative} (no spec generates it)")
    for relative, content in sorted(files.items()):
        target = out_dir / relative
        if relative not in present:
            problems.append(f"missing: {relative}")
        elif target.read_bytes() != content.encode("utf-8"):
            problems.append(f"differs: {relative}")
    return problems
