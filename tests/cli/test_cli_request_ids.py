"""Request ids in ``-v`` and ``doctor``; rate-limited batch lines and ``batch resume --retry-rate-limited``
(issue 21), through the console script against the emulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modellix_typed.emulator import Fault, RunningEmulator

from .conftest import KEY, cli

SLUG = "google/nano-banana"


@pytest.fixture()
def env(emu: RunningEmulator) -> dict[str, str]:
    emu.reset()
    return {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emu.base_url, "MODELLIX_POLL_STATS": "off"}


def test_verbose_shows_the_sent_and_the_servers_request_ids(emu: RunningEmulator, env: dict[str, str]) -> None:
    result = cli("run", SLUG, "--body", json.dumps({"prompt": "x"}), "-v", env=env)
    assert result.code == 0, result.out + result.err
    [line] = [line for line in result.err.splitlines() if line.startswith(f"[http] POST /api/v1/{SLUG}")]
    ids = r"\(attempt 1\) in \d+ ms \[x-request-id sent (mxt-[0-9a-f]{32}), server (emu-[0-9a-f]{16})\]"
    match = re.search(ids, line)
    assert match is not None, line
    [post] = [r for r in emu.stats()["requests"] if r["method"] == "POST"]
    assert post["sent_id"] == match[1]  # what the server received
    assert re.search(r"\[x-request-id server emu-[0-9a-f]{16}\]", result.err)  # polls: the server's id only


def test_doctor_shows_the_servers_request_id(env: dict[str, str]) -> None:
    result = cli("doctor", "--json", env=env)
    checks = {c["name"]: c for c in result.json()["checks"]}
    assert re.search(r"x-request-id emu-[0-9a-f]{16}", checks["submit_path"]["detail"]), checks["submit_path"]


def test_a_rate_limited_line_is_resent_only_with_retry_rate_limited(
    emu: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    emu.inject(Fault(kind="status", route="submit", status=429, count=1, retry_after=0))
    source, journal = tmp_path / "in.jsonl", tmp_path / "j.jsonl"
    source.write_text("\n".join(json.dumps({"model": SLUG, "body": {"prompt": f"p{n}"}}) for n in range(2)) + "\n")
    first = cli("batch", str(source), "--journal", str(journal), "--max-concurrency", "1", "--json", env=env)
    assert first.code == 1, first.out + first.err
    doc = first.json()
    assert [r["outcome"] for r in doc["results"]] == ["rate_limited", "success"]
    assert doc["summary"]["rate_limited"] == 1 and doc["results"][0]["error"]["type"] == "RateLimited"
    posts = [r for r in emu.stats()["requests"] if r["method"] == "POST"]
    assert [p["status"] for p in posts] == [429, 200]  # sent once each

    again = cli("batch", "resume", str(journal), "--json", env=env)
    assert [r["outcome"] for r in again.json()["results"]] == ["rate_limited", "success"]
    assert sum(1 for r in emu.stats()["requests"] if r["method"] == "POST") == 2  # nothing sent

    resent = cli("batch", "resume", str(journal), "--retry-rate-limited", "--json", env=env)
    assert resent.code == 0, resent.out + resent.err
    assert [r["outcome"] for r in resent.json()["results"]] == ["success", "success"]
    later = [r for r in emu.stats()["requests"] if r["method"] == "POST"]
    assert len(later) == 3 and later[2]["sent_id"] == posts[0]["sent_id"]  # the same intent, the same id
