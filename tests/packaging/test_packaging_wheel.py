"""The built wheel (``python -m build --wheel``), installed into a fresh virtualenv outside the repo that already
holds the OLDEST dependency versions pyproject.toml allows (constraints-lowest.txt), which the install must keep:
the wheel holds nothing but ``modellix_typed``; a generated class runs against the emulator started from that
venv; the CLI (models, validate, run, codegen) and ``python -m modellix_typed.codegen`` work there; the pytest
fixture is registered; and, without the 'emulator' extra, one line names it (exit 2), never a traceback.

Slow by nature (a wheel build and two installs, about 40-60 s); pip reuses its cache and the machine's package
index, and falls back to the registry (CI reaches PyPI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("modellix_typed", "generated", "specs")
LOWEST = REPO / "constraints-lowest.txt"
# pytest for the fixture check, at our locked version
PYTEST_PIN = next(line for line in (REPO / "constraints.txt").read_text().splitlines() if line.startswith("pytest=="))
# What a user's code does with an installed wheel: a class, the client, a download.
USER_TEST = '''
from modellix_typed import Modellix
from modellix_typed.models.google import NanoBanana


def test_generated_class_against_the_fixture(modellix_emulator):
    with Modellix(modellix_emulator.api_key, base_url=modellix_emulator.base_url) as client:
        result = client.run(NanoBanana(prompt="a lighthouse"), timeout=30)
    assert result.status.value == "success" and result.resources
'''

CLIENT_SCRIPT = '''
import sys
from modellix_typed import Modellix
from modellix_typed.models.google import NanoBanana

with Modellix("test-key", base_url=sys.argv[1]) as client:
    result = client.run(NanoBanana(prompt="a lighthouse"), timeout=30)
    print(result.status.value, len(client.download(result, "out")))
'''

# Prints the installed version of every dependency named in constraints-lowest.txt.
VERSIONS_SCRIPT = '''
import importlib.metadata, json, sys
names = [line.split("==")[0] for line in open(sys.argv[1]) if "==" in line and not line.startswith("#")]
print(json.dumps({name: importlib.metadata.version(name) for name in names}))
'''


def run(*args: str | Path, cwd: Path, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELLIX_", "PYTHON"))} | extra_env
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, f"{args}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def start_emulator(venv_bin: Path, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [str(venv_bin / "modellix-typed"), "emulator", "--time-scale", "0.001"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("MODELLIX_")},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("Modellix emulator listening on "), (line, proc.stderr.read() if proc.poll() else "")
    return proc, line.rsplit(" ", 1)[1].strip()


def build_wheel(tmp_path: Path) -> Path:
    """``python -m build --wheel`` on a copy of the sources (the checkout gets no build/ or egg-info)."""
    src = tmp_path / "src"
    for name in SOURCES:
        shutil.copytree(REPO / name, src / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "wheels", src, cwd=tmp_path)
    [wheel] = (tmp_path / "wheels").glob("modellix_typed-*.whl")
    return wheel


def top_level_names(wheel: Path) -> tuple[set[str], set[str], list[str]]:
    """The wheel's top-level entries: in the archive, in its RECORD, and its top_level.txt lines."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [record] = [n for n in names if n.endswith(".dist-info/RECORD")]
        recorded = [line.split(",")[0] for line in archive.read(record).decode().splitlines() if line]
        [top_level] = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        declared = archive.read(top_level).decode().split()
    return {n.split("/")[0] for n in names}, {n.split("/")[0] for n in recorded}, declared


def test_wheel_in_a_fresh_venv_with_the_oldest_dependencies(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    in_archive, in_record, declared = top_level_names(wheel)
    assert in_archive == in_record == {"modellix_typed", "modellix_typed-0.1.0.dist-info"}
    assert declared == ["modellix_typed"]

    run(sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv", cwd=tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    # The application's venv already holds the oldest versions we allow; installing us must keep every one.
    run(*pip, "install", "-q", "-r", LOWEST, PYTEST_PIN, cwd=tmp_path)
    run(*pip, "install", "-q", f"{wheel}[emulator,codegen]", cwd=tmp_path)
    versions = json.loads(run(python, "-c", VERSIONS_SCRIPT, LOWEST, cwd=tmp_path).stdout)
    lowest = dict(line.split("==") for line in LOWEST.read_text().splitlines() if "==" in line)
    assert versions == lowest and versions["attrs"] == "24.2.0" and versions["httpx"] == "0.27.0"
    work = tmp_path / "work"
    work.mkdir()
    cli = python.parent / "modellix-typed"

    # The console script's emulator serves the packaged specs; a generated class runs and downloads against it,
    # and so does the CLI.
    emulator, base_url = start_emulator(python.parent, work)
    try:
        out = run(python, "-c", CLIENT_SCRIPT, base_url, cwd=work).stdout.split()
        ran = run(cli, "run", "google/nano-banana", "--body", '{"prompt": "a lighthouse"}', "--json",
                  "--base-url", base_url, cwd=work, MODELLIX_API_KEY="test-key")
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    assert out == ["success", "1"] and len(list((work / "out").iterdir())) == 1
    done = json.loads(ran.stdout)
    assert done["ok"] is True and done["task"]["status"] == "success" and done["task"]["resources"], done
    listed = run(cli, "models", "list", "--output", "slugs", cwd=work).stdout.split()
    assert "google/nano-banana" in listed and len(listed) > 50
    (work / "bad.json").write_text('{"prompt": "x", "aspect_ratio": "16:10"}', encoding="utf-8")
    invalid = run(cli, "validate", "google/nano-banana", "bad.json", cwd=work, check=False)
    assert invalid.returncode == 3 and "aspect_ratio" in invalid.stdout + invalid.stderr

    # The generator from the installed package (the codegen extra, at its floors): both entry points, and the
    # classes it writes from the packaged specs are the ones the wheel ships.
    specs = Path(run(python, "-c", "import modellix_typed.emulator as e, pathlib; "
                     "print(pathlib.Path(e.__file__).parent / 'specs')", cwd=work).stdout.strip())
    run(cli, "codegen", "generate", "--specs", specs, "--out", work / "gen", cwd=work)
    assert "Usage:" in run(python, "-m", "modellix_typed.codegen", "--help", cwd=work).stdout
    shipped = specs.parent.parent / "models" / "google" / "nano_banana.py"
    assert (work / "gen" / "models" / "google" / "nano_banana.py").read_text() == shipped.read_text()

    # The pytest plugin registered by the install provides the fixture.
    (work / "test_user.py").write_text(USER_TEST, encoding="utf-8")
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py", cwd=work)
    assert "1 passed" in tests.stdout
    assert not (work / "modellix_typed").exists() and str(REPO) not in run(
        python, "-c", "import modellix_typed; print(modellix_typed.__file__)", cwd=work
    ).stdout

    # Without the extra: one line naming it, exit 2, no traceback.
    run(*pip, "uninstall", "-q", "-y", "starlette", "uvicorn", cwd=tmp_path)
    for command in ((python.parent / "modellix-typed", "emulator"), (python, "-m", "modellix_typed.emulator")):
        proc = run(*command, cwd=work, check=False)
        assert proc.returncode == 2, (command, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "modellix-typed[emulator]" in lines[0] and "Traceback" not in proc.stderr
    fixture = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py", cwd=work, check=False)
    assert fixture.returncode == 1 and "modellix-typed[emulator]" in fixture.stdout
    assert "Traceback" not in fixture.stdout and "ModuleNotFoundError" not in fixture.stdout


def test_type_checkers_outside_the_repo_see_the_installed_package(tmp_path: Path) -> None:
    """`make setup` installs in editable compat mode (a path entry, not an import hook mypy cannot follow)."""
    (tmp_path / "use.py").write_text(
        "from modellix_typed.models.google import NanoBanana\n"
        "request = NanoBanana(prompt='x')\n"
        "prompt: str = request.prompt\n"
        "wrong: int = request.prompt\n",
        encoding="utf-8",
    )
    # The repo's cache (warm after `make mypy`, as in CI) keeps this fast; results do not depend on it.
    proc = run(sys.executable, "-m", "mypy", "--strict", "--cache-dir", REPO / ".mypy_cache", "use.py",
               cwd=tmp_path, check=False)
    # Exactly the one deliberate error: the class and its field types were found from outside the repo.
    assert "use.py:4: error: Incompatible types in assignment" in proc.stdout, proc.stdout
    assert "Found 1 error" in proc.stdout and "import-not-found" not in proc.stdout
