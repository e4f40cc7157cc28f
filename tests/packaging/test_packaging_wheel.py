"""The built wheel, installed into a fresh virtualenv outside the repo: emulator, pytest fixture, a generated
class; and, without the 'emulator' extra, one line naming it (exit 2), never a traceback.

Slow by nature (a wheel build and an install, about 30-45 s); pip reuses its cache and the machine's package
index, and falls back to the registry (CI reaches PyPI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("modellix_typed", "generated", "specs")
PYTEST_PIN = "pytest==9.2.0"  # as in the dev extra

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


def run(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELLIX_", "PYTHON"))}
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


def test_wheel_in_a_fresh_venv_outside_the_repo(tmp_path: Path) -> None:
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
    run(*pip, "--python", python, "install", "-q", f"{wheel}[emulator]", PYTEST_PIN, cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()

    # The console script's emulator serves the packaged specs; a generated class runs and downloads against it.
    emulator, base_url = start_emulator(python.parent, work)
    try:
        out = run(python, "-c", CLIENT_SCRIPT, base_url, cwd=work).stdout.split()
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    assert out == ["success", "1"] and len(list((work / "out").iterdir())) == 1

    # The pytest plugin registered by the install provides the fixture.
    (work / "test_user.py").write_text(USER_TEST, encoding="utf-8")
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py", cwd=work)
    assert "1 passed" in tests.stdout
    assert not (work / "modellix_typed").exists() and str(REPO) not in run(
        python, "-c", "import modellix_typed; print(modellix_typed.__file__)", cwd=work
    ).stdout

    # Without the extra: one line naming it, exit 2, no traceback.
    run(*pip, "--python", python, "uninstall", "-q", "-y", "starlette", "uvicorn", cwd=tmp_path)
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
