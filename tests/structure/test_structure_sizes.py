"""No hand-written Python file over 500 lines outside ``generated/`` (the generated sync twins are small too,
but they are counted in their async sources)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIMIT = 500
FOLDERS = ("modellix_typed", "tests", "tools", "bench")


def oversized(root: Path, limit: int = LIMIT) -> dict[str, int]:
    """Relative path -> line count, for every ``.py`` under the checked folders longer than ``limit``.
    ``generated/`` (and the ``models`` link into it) is left out, like virtual environments and caches."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            if {"generated", "models", ".venv", "__pycache__"} & set(relative.parts):
                continue
            with path.open("rb") as handle:
                count = sum(1 for _ in handle)
            if count > limit:
                found[relative.as_posix()] = count
    return found


def test_no_hand_written_file_is_over_500_lines() -> None:
    assert oversized(REPO) == {}
    assert len(list((REPO / "modellix_typed").rglob("*.py"))) > 100  # the walk saw the package


def test_an_oversized_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "modellix_typed" / "sub").mkdir(parents=True)
    (tmp_path / "modellix_typed" / "sub" / "big.py").write_text("x = 1\n" * 501)
    (tmp_path / "modellix_typed" / "ok.py").write_text("x = 1\n" * 500)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "long_test.py").write_text("\n" * 600)
    assert oversized(tmp_path) == {"modellix_typed/sub/big.py": 501, "tests/long_test.py": 600}
