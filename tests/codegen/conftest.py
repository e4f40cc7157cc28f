"""Shared fixtures for the codegen tests: real HTTP servers on 127.0.0.1:0 over the docs mirror and fixtures."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner

from modellix_typed.codegen.crawl import crawl_docs
from modellix_typed.codegen.fetch import FetchPolicy
from modellix_typed.codegen.mirror_server import serve_directory
from modellix_typed.codegen.snapshot import SnapshotSummary, write_snapshot

REPO = Path(__file__).resolve().parents[2]
MIRROR = REPO.parent / "shared" / "modellix-docs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BROKEN_DOCS = FIXTURES / "broken-docs"
FAST = FetchPolicy(concurrency=8, timeout=10.0, retries=1, backoff_base=0.01, backoff_max=0.05)

Crawl = Callable[[str, Path], SnapshotSummary]
Serve = Callable[[Path], str]


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    if not (MIRROR / "llms.txt").is_file():
        pytest.fail(f"docs mirror not found at {MIRROR} (expected ../shared/modellix-docs beside the repo)")
    return MIRROR


@pytest.fixture(scope="session")
def mirror_url(mirror_dir: Path) -> Iterator[str]:
    with serve_directory(mirror_dir) as url:
        yield url


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serve any directory over HTTP for the test's duration; returns its base URL."""
    with ExitStack() as stack:
        yield lambda directory: stack.enter_context(serve_directory(directory))


@pytest.fixture
def crawl() -> Crawl:
    def run(url: str, out: Path) -> SnapshotSummary:
        return write_snapshot(out, asyncio.run(crawl_docs(url, FAST)))

    return run


@pytest.fixture(scope="session")
def mirror_crawl(mirror_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SnapshotSummary]:
    """One crawl of the full mirror, shared by the read-only tests."""
    out = tmp_path_factory.mktemp("mirror-specs")
    return out, write_snapshot(out, asyncio.run(crawl_docs(mirror_url, FAST)))


@pytest.fixture
def broken_docs(tmp_path: Path) -> Path:
    """A writable copy of the malformed-page fixtures, plus an oversized page written here (not committed)."""
    root = tmp_path / "broken-docs"
    shutil.copytree(BROKEN_DOCS, root)
    (root / "acme" / "huge.md").write_text("# Huge\n\n" + "x" * (FAST.max_bytes + 10), encoding="utf-8")
    return root


def cli_runner() -> CliRunner:
    """A CliRunner whose ``stdout`` holds stdout only on every supported click (8.1 mixes stderr into it unless
    asked not to; 8.2 and newer keep them apart and no longer take the argument)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()
