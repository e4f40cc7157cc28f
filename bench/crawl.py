"""Benchmark: crawl the full docs mirror over loopback HTTP (fetch + parse + validate + normalize + write).

Baseline, measured in the same run: the same crawl with concurrency 1 (sequential fetching). On loopback the
crawl is CPU-bound (OpenAPI validation), so the fetch-only figures show what bounded concurrency buys on I/O.

Then the docs-to-code loop: crawl + generate of a copy of the mirror into fresh dirs, one model page edited
(a parameter's maximum raised), and crawl + generate again into the same dirs. The regeneration is checked,
not just timed: exactly that model's spec and generated module change, and the snapshot diff names the edit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modellix_typed.codegen.crawl import crawl_docs, fetch_index
from modellix_typed.codegen.diff import diff_snapshots
from modellix_typed.codegen.docs_index import crawl_url, parse_llms_txt
from modellix_typed.codegen.failures import PageError
from modellix_typed.codegen.fetch import Fetcher, FetchPolicy
from modellix_typed.codegen.generate import SPECS_LABEL, generate
from modellix_typed.codegen.snapshot import write_snapshot

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "modellix-docs"
ROUNDS = 3
# The page edited for the regeneration run: sampleCount's maximum 4 -> 8 on Imagen 4.0.
EDITED_PAGE = "google/imagen-4-0-generate-001.md"
EDITED_SLUG = "google/imagen-4.0-generate-001"
EDITED_PARAM, OLD_MAXIMUM, NEW_MAXIMUM = "sampleCount", 4, 8


def _crawl_seconds(url: str, concurrency: int) -> tuple[float, int, int]:
    """Best of ROUNDS; returns (seconds, pages listed, specs written)."""
    best = float("inf")
    listed = written = 0
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="bench-specs-") as out:
            started = time.perf_counter()
            result = asyncio.run(crawl_docs(url, FetchPolicy(concurrency=concurrency)))
            summary = write_snapshot(Path(out), result)
            best = min(best, time.perf_counter() - started)
            listed, written = result.pages_listed, len(summary.written)
    return best, listed, written


async def _fetch_all(url: str, concurrency: int) -> None:
    async with Fetcher(FetchPolicy(concurrency=concurrency)) as fetcher:
        entries = parse_llms_txt(await fetch_index(fetcher, url)).entries

        async def one(canonical: str) -> None:
            try:
                await fetcher.get(crawl_url(canonical, url))
            except PageError:
                pass  # the mirror lacks most listed pages: a 404 is still a round trip

        await asyncio.gather(*(one(e.url) for e in entries))


def _fetch_seconds(url: str, concurrency: int) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        asyncio.run(_fetch_all(url, concurrency))
        best = min(best, time.perf_counter() - started)
    return best


@contextmanager
def _mirror_server(directory: Path = MIRROR) -> Iterator[str]:
    """The mirror served by a separate process (like a real docs host), so it does not share our GIL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "modellix_typed.codegen", "serve-docs", str(directory), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _crawl_and_generate(url: str, specs: Path, generated: Path) -> float:
    """What `python -m modellix_typed.codegen crawl` then `generate` do, via the same library functions; returns seconds."""
    started = time.perf_counter()
    write_snapshot(specs, asyncio.run(crawl_docs(url, FetchPolicy(concurrency=8))))
    generate(specs, generated)
    return time.perf_counter() - started


def _digests(roots: dict[str, Path]) -> dict[str, str]:
    """{"<label>/<relative path>": sha256} of every file under each root."""
    return {
        f"{label}/{path.relative_to(root).as_posix()}": hashlib.sha256(path.read_bytes()).hexdigest()
        for label, root in roots.items()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _raise_maximum(page: Path) -> None:
    """Edit the page's OpenAPI fence: the first `maximum:` after the parameter's key."""
    text = page.read_text(encoding="utf-8")
    pattern = re.compile(rf"(\n(\s+){EDITED_PARAM}:\n(?:\2\s+.*\n)*?\2\s+maximum: ){OLD_MAXIMUM}\n")
    edited, count = pattern.subn(rf"\g<1>{NEW_MAXIMUM}\n", text, count=1)
    if count != 1:
        raise RuntimeError(f"{page}: no '{EDITED_PARAM}' with 'maximum: {OLD_MAXIMUM}' to edit")
    page.write_text(edited, encoding="utf-8")


def _module_of(generated: Path, spec_file: str) -> str:
    """The generated module whose header names the spec it was generated from."""
    marker = f"{SPECS_LABEL}/{spec_file}"
    found = [
        f"generated/{path.relative_to(generated).as_posix()}"
        for path in sorted(generated.rglob("*.py"))
        if marker in path.read_text(encoding="utf-8").split("\n", 1)[0]
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one module generated from {marker}, found {found}")
    return found[0]


def _regeneration() -> dict[str, Any]:
    """Full crawl + generate of a mirror copy, then one page edited and the same run repeated in place."""
    with tempfile.TemporaryDirectory(prefix="bench-regen-") as tmp:
        root = Path(tmp)
        mirror, specs, generated = root / "mirror", root / "specs", root / "generated"
        shutil.copytree(MIRROR, mirror)
        with _mirror_server(mirror) as url:
            full = float("inf")
            for _ in range(ROUNDS - 1):  # best of fresh runs, the last one's output kept
                shutil.rmtree(specs, ignore_errors=True)
                shutil.rmtree(generated, ignore_errors=True)
                full = min(full, _crawl_and_generate(url, specs, generated))
            shutil.copytree(specs, root / "specs-before")
            before = _digests({"specs": specs, "generated": generated})
            _raise_maximum(mirror / EDITED_PAGE)
            regen = _crawl_and_generate(url, specs, generated)
        after = _digests({"specs": specs, "generated": generated})
        changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        index = json.loads((specs / "index.json").read_text(encoding="utf-8"))
        spec_file = next(entry["file"] for entry in index["models"] if entry["slug"] == EDITED_SLUG)
        expected = sorted([f"specs/{spec_file}", _module_of(generated, spec_file)])
        changelog = diff_snapshots(root / "specs-before", specs)
    reported = [
        {"slug": c.slug, "kind": c.kind, "param": c.param, "field": c.field, "old": c.old, "new": c.new}
        for c in changelog.changes
    ]
    wanted = {
        "slug": EDITED_SLUG, "kind": "constraint_changed", "param": EDITED_PARAM, "field": "maximum",
        "old": OLD_MAXIMUM, "new": NEW_MAXIMUM,
    }
    return {
        "full_crawl_generate_seconds": round(full, 4),
        "regenerate_after_one_page_change_seconds": round(regen, 4),
        "regenerate_vs_full_ratio": round(regen / full, 3),
        "regenerate_files_changed": changed,
        "regenerate_only_expected_files_changed": changed == expected,
        "regenerate_diff_changes": reported,
        "regenerate_diff_reports_the_edit": reported == [wanted] and not (changelog.added or changelog.removed),
    }


def run() -> dict[str, Any]:
    with _mirror_server() as url:
        _crawl_seconds(url, 8)  # warm-up: imports, validator schema caches
        fast, listed, written = _crawl_seconds(url, 8)
        baseline, _, _ = _crawl_seconds(url, 1)
        fetch_fast = _fetch_seconds(url, 8)
        fetch_baseline = _fetch_seconds(url, 1)
    regeneration = _regeneration()
    return {
        "pages_listed": listed,
        "specs_written": written,
        "crawl_seconds_concurrency_8": round(fast, 4),
        "baseline_seconds_concurrency_1": round(baseline, 4),
        "speedup_vs_sequential": round(baseline / fast, 2),
        "fetch_only_seconds_concurrency_8": round(fetch_fast, 4),
        "fetch_only_seconds_concurrency_1": round(fetch_baseline, 4),
        "fetch_only_speedup": round(fetch_baseline / fetch_fast, 2),
        **regeneration,
    }


if __name__ == "__main__":
    results = run()
    print(json.dumps(results, indent=2))
    print(
        f"full mirror crawl: {results['crawl_seconds_concurrency_8']:.3f}s "
        f"({results['speedup_vs_sequential']:.2f}x vs concurrency-1 baseline "
        f"{results['baseline_seconds_concurrency_1']:.3f}s); fetch only: {results['fetch_only_speedup']:.2f}x"
    )
    print(
        f"crawl + generate: {results['full_crawl_generate_seconds']:.3f}s full, "
        f"{results['regenerate_after_one_page_change_seconds']:.3f}s after one page changed "
        f"({results['regenerate_vs_full_ratio']:.2f}x of full); changed: {results['regenerate_files_changed']}"
    )
