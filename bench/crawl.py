"""Benchmark: crawl the full docs mirror over loopback HTTP (fetch + parse + validate + normalize + write).

Baseline, measured in the same run: the same crawl with concurrency 1 (sequential fetching). On loopback the
crawl is CPU-bound (OpenAPI validation), so the fetch-only figures show what bounded concurrency buys on I/O.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codegen.crawl import crawl_docs, fetch_index
from codegen.docs_index import crawl_url, parse_llms_txt
from codegen.failures import PageError
from codegen.fetch import Fetcher, FetchPolicy
from codegen.snapshot import write_snapshot

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "modellix-docs"
ROUNDS = 3


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
def _mirror_server() -> Iterator[str]:
    """The mirror served by a separate process (like a real docs host), so it does not share our GIL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "codegen", "serve-docs", str(MIRROR), "--port", "0"],
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


def run() -> dict[str, Any]:
    with _mirror_server() as url:
        _crawl_seconds(url, 8)  # warm-up: imports, validator schema caches
        fast, listed, written = _crawl_seconds(url, 8)
        baseline, _, _ = _crawl_seconds(url, 1)
        fetch_fast = _fetch_seconds(url, 8)
        fetch_baseline = _fetch_seconds(url, 1)
    return {
        "pages_listed": listed,
        "specs_written": written,
        "crawl_seconds_concurrency_8": round(fast, 4),
        "baseline_seconds_concurrency_1": round(baseline, 4),
        "speedup_vs_sequential": round(baseline / fast, 2),
        "fetch_only_seconds_concurrency_8": round(fetch_fast, 4),
        "fetch_only_seconds_concurrency_1": round(fetch_baseline, 4),
        "fetch_only_speedup": round(fetch_baseline / fetch_fast, 2),
    }


if __name__ == "__main__":
    results = run()
    print(json.dumps(results, indent=2))
    print(
        f"full mirror crawl: {results['crawl_seconds_concurrency_8']:.3f}s "
        f"({results['speedup_vs_sequential']:.2f}x vs concurrency-1 baseline "
        f"{results['baseline_seconds_concurrency_1']:.3f}s); fetch only: {results['fetch_only_speedup']:.2f}x"
    )
