"""Regenerate in your own codebase, from the installed wheel (no repository): a spec for a model the shipped
catalog lacks (``acme/toon-1``) and a regenerated ``google/nano-banana`` (one more documented field) are
generated into the user's package ``mypkg.models``; registered (one call in Python, ``MODELLIX_MODELS_PACKAGES``
or an entry point for the CLI), both are reachable by slug in the registry, ``run(slug, body)``, the JSON
Schema and the CLI (``models list``, ``validate``, ``run``), and the regenerated class wins over the shipped one.

Slow by nature (a wheel build and an install with the codegen and emulator extras).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .test_packaging_wheel import PYTEST_PIN, REPO, SOURCES, run

SDK_SCRIPT = '''
import sys
from modellix_typed import Modellix, ValidationError, registry

registry.register_package("mypkg.models")
assert registry.get("acme/toon-1").__module__ == "mypkg.models.acme.toon_1"
assert registry.get("google/nano-banana").__module__ == "mypkg.models.google.nano_banana"  # the regenerated one wins
assert registry.get("google/veo-3.1-t2v").__module__.startswith("modellix_typed.models.")  # shipped ones stay
assert registry.info("acme/toon-1").import_path == "mypkg.models.acme.toon_1:Toon1"
assert "acme/toon-1" in [m.slug for m in registry.list_models()]
assert "seed" in registry.json_schema("google/nano-banana")["properties"]
registry.validate("google/nano-banana", {"prompt": "x", "seed": 7})
try:
    registry.validate("acme/toon-1", {"prompt": "", "style": "oil"})
except ValidationError as exc:
    print("issues", sorted(issue.path for issue in exc.issues))
with Modellix("test-key", base_url=sys.argv[1]) as client:
    print("status", client.run("acme/toon-1", {"prompt": "a cat", "style": "flat"}, timeout=30).status.value)
'''


def _spec(shipped: dict[str, object], slug: str, extra: dict[str, object]) -> dict[str, object]:
    spec = copy.deepcopy(shipped)
    provider, model_id = slug.split("/")
    spec.update(slug=slug, provider=provider, model_id=model_id, title=model_id, path=f"/api/v1/{slug}",
                doc_url=f"https://docs.example.test/{slug}", rules=[], examples=[])
    schema = spec["request_schema"]
    assert isinstance(schema, dict)
    schema["properties"].update(extra)
    schema["x-order"] = [*schema.get("x-order", []), *extra]
    return spec


def write_specs(folder: Path) -> None:
    shipped = json.loads((REPO / "specs" / "google" / "nano-banana.json").read_text())
    specs = {
        "acme/toon-1": _spec(shipped, "acme/toon-1", {"style": {"type": "string", "enum": ["flat", "cel"]}}),
        "google/nano-banana": _spec(shipped, "google/nano-banana", {"seed": {"type": "integer", "minimum": 0}}),
    }
    entries = []
    for slug, spec in specs.items():
        (folder / slug).parent.mkdir(parents=True, exist_ok=True)
        (folder / f"{slug}.json").write_text(json.dumps(spec, indent=2))
        entries.append({"slug": slug, "file": f"{slug}.json", "provider": spec["provider"], "model_id": spec["model_id"],
                        "method": "POST", "path": spec["path"], "task_type": spec["task_type"], "title": spec["title"],
                        "doc_url": spec["doc_url"], "stale": False})
    (folder / "index.json").write_text(json.dumps({"format_version": 1, "models": entries, "common": []}, indent=2))


def test_models_generated_into_the_users_package_are_reachable_by_slug(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in SOURCES:
        shutil.copytree(REPO / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    pip = (sys.executable, "-m", "pip")
    run(*pip, "wheel", "-q", "--no-deps", "-w", tmp_path / "wheels", src, cwd=tmp_path)
    [wheel] = (tmp_path / "wheels").glob("modellix_typed-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv", cwd=tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    run(*pip, "--python", python, "install", "-q", f"{wheel}[codegen,emulator]", PYTEST_PIN, cwd=tmp_path)
    cli = str(python.parent / "modellix-typed")
    work = tmp_path / "app"
    (work / "mypkg").mkdir(parents=True)
    (work / "mypkg" / "__init__.py").write_text("")
    write_specs(work / "myspecs")
    # the user's commands (README "Regenerate in your own codebase")
    run(cli, "codegen", "generate", "--specs", "myspecs", "--out", "mypkg", cwd=work)
    assert (work / "mypkg" / "models" / "acme" / "toon_1.py").is_file()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELLIX_", "PYTHON"))}
    env["PYTHONPATH"] = str(work)
    emulator = subprocess.Popen(
        [cli, "emulator", "--time-scale", "0.001", "--specs", str(work / "myspecs")],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert emulator.stdout is not None
        line = emulator.stdout.readline()
        assert line.startswith("Modellix emulator listening on "), line
        base_url = line.rsplit(" ", 1)[1].strip()

        sdk = subprocess.run([str(python), "-c", SDK_SCRIPT, base_url], cwd=work, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        assert sdk.returncode == 0, sdk.stderr
        assert "issues ['prompt', 'style']" in sdk.stdout and "status success" in sdk.stdout

        def cli_run(*args: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
            return subprocess.run([cli, *args], cwd=work, env={**env, **extra}, capture_output=True, text=True,
                                  timeout=300, check=False)

        by_env = {"MODELLIX_MODELS_PACKAGES": "mypkg.models", "MODELLIX_API_KEY": "test-key",
                  "MODELLIX_BASE_URL": base_url}
        listed = cli_run("models", "list", "--provider", "acme", "--output", "slugs", extra=by_env)
        assert listed.stdout.split() == ["acme/toon-1"], listed.stderr
        (work / "bad.json").write_text('{"prompt": "x", "style": "oil"}')
        bad = cli_run("validate", "acme/toon-1", "bad.json", extra=by_env)
        assert bad.returncode == 3 and "style" in bad.stdout + bad.stderr
        ran = cli_run("run", "acme/toon-1", "--body", '{"prompt": "a cat"}', "--json", extra=by_env)
        assert ran.returncode == 0 and json.loads(ran.stdout)["ok"] is True, ran.stderr
        schema = cli_run("models", "schema", "acme/toon-1", extra=by_env)
        assert json.loads(schema.stdout)["properties"]["style"]["enum"] == ["flat", "cel"]

        # without registration the CLI does not know the slug; an entry point registers it like the variable
        unknown = cli_run("validate", "acme/toon-1", "bad.json", extra={})
        assert unknown.returncode == 2
        dist = work / "mypkg-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mypkg\nVersion: 0.1\n")
        (dist / "entry_points.txt").write_text("[modellix_typed.models]\nmypkg = mypkg.models\n")
        by_entry_point = cli_run("validate", "acme/toon-1", "bad.json", extra={})
        assert by_entry_point.returncode == 3, by_entry_point.stderr
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
