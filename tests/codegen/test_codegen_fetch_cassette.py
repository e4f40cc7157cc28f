"""The fetch layer against a recorded cassette of the local mirror server (replayed, no server running).

Re-record: CODEGEN_RECORD_CASSETTES=1 .venv/bin/pytest tests/codegen/test_codegen_fetch_cassette.py
(it then serves ../shared/modellix-docs on 127.0.0.1 and records the exchanges). The port differs per run,
so requests are matched on method + path only.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr  # type: ignore[import-untyped]

from modellix_typed.codegen.docs_index import IndexEntry, parse_llms_txt
from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.fetch import Fetcher, FetchPolicy
from modellix_typed.codegen.mirror_server import serve_directory
from modellix_typed.codegen.page import spec_from_page

HERE = Path(__file__).resolve().parent
CASSETTE = HERE / "cassettes" / "fetch_mirror.yaml"
SPECS = HERE.parents[1] / "specs"
MIRROR = HERE.parents[1].parent / "shared" / "modellix-docs"
RECORD = os.environ.get("CODEGEN_RECORD_CASSETTES") == "1"
PAGE = "/google/imagen-4-0-generate-001.md"
MISSING = "/google/gemini-omni-flash-t2v.md"


def _scrub(response: dict[str, Any]) -> dict[str, Any]:
    headers = response["headers"]
    for name in [n for n in headers if n.lower() in ("date", "server", "last-modified")]:
        del headers[name]
    return response


def _cassette() -> Any:
    return vcr.VCR(
        record_mode="all" if RECORD else "none",
        match_on=["method", "path"],
        filter_headers=["authorization", "host", "user-agent"],
        before_record_response=_scrub,
        decode_compressed_response=True,
    ).use_cassette(str(CASSETTE))


@pytest.fixture
def origin() -> Iterator[str]:
    """While recording: the live mirror server. While replaying: an address where nothing listens."""
    if RECORD:
        with serve_directory(MIRROR) as url:
            yield url
    else:
        assert CASSETTE.is_file(), f"missing cassette {CASSETTE}; record it with CODEGEN_RECORD_CASSETTES=1"
        yield "http://127.0.0.1:9"


async def _exchange(origin: str) -> tuple[str, dict[str, Any], PageError]:
    async with Fetcher(FetchPolicy(retries=0)) as fetcher:
        index = await fetcher.get(origin + "/llms.txt")
        page = await fetcher.get(origin + PAGE)
        with pytest.raises(PageError) as missing:
            await fetcher.get(origin + MISSING)
    entry = next(e for e in parse_llms_txt(index.text).entries if e.url.endswith(PAGE))
    assert isinstance(entry, IndexEntry)
    return index.text, spec_from_page(entry, page), missing.value


def test_fetch_layer_replays_from_cassette(origin: str) -> None:
    with _cassette() as cassette:
        index_text, spec, missing = asyncio.run(_exchange(origin))
        assert cassette.play_count == (0 if RECORD else 3)
    assert index_text.startswith("# Modellix")
    assert len(parse_llms_txt(index_text).entries) > 200
    committed = json.loads((SPECS / "google" / "imagen-4.0-generate-001.json").read_text())
    assert spec == committed
    assert missing.reason is Reason.NOT_FOUND and missing.detail == "HTTP 404"
    recorded = CASSETTE.read_text()
    assert "127.0.0.1:" in recorded  # recorded against the local server ...
    assert not re.search(
        r"^\s+(host|user-agent|date):", recorded, re.MULTILINE | re.IGNORECASE
    )  # ... with those headers filtered
