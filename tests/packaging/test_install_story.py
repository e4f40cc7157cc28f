"""The README's install story for users: from a git URL (here a ``git+file://`` URL of this repository's HEAD,
the same path pip takes for ``git+https://``) the package builds and installs under the one name
``modellix_typed``, generated models included (they live behind a symlink in the checkout)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_tells_users_how_to_install_apart_from_the_contributor_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", readme, flags=re.S)
    assert first_block and [line.split("#")[0].strip() for line in first_block[1].splitlines()] == ["make demo", "make ci"]
    install = readme[readme.index("## Install"):readme.index("## What is where")]
    for form in ("pip install ./modellix-typed", "python -m build --wheel", ".whl", "@ git+https://"):
        assert form in install, form


def test_install_from_a_git_url(tmp_path: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    url = f"modellix-typed @ git+file://{REPO}@{head.stdout.strip()}"
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), url],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    top = {p.name for p in target.iterdir() if p.name != "bin"}
    assert top == {"modellix_typed", "modellix_typed-0.1.0.dist-info"}
    package = target / "modellix_typed"
    assert (package / "models" / "google" / "nano_banana.py").is_file() and not (package / "models").is_symlink()
    assert (package / "codegen" / "__main__.py").is_file() and (package / "emulator" / "specs" / "index.json").is_file()
