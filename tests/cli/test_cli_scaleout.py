"""The command line shares the team's slots through MODELLIX_LIMITER_URL like any other client."""

from __future__ import annotations

import json
from pathlib import Path

from modellix_typed.slots import team_for_key

from .conftest import KEY, cli

SLUG = "google/nano-banana"
BODY = json.dumps({"prompt": "a lake at dawn"})


def test_run_takes_its_slot_from_the_shared_store_and_gives_it_back(
    api_env: dict[str, str], tmp_path: Path
) -> None:
    slots = tmp_path / "team.slots"
    result = cli("run", SLUG, "--body", BODY, "--json", env={**api_env, "MODELLIX_LIMITER_URL": f"file://{slots}"})
    assert result.code == 0, result.out + result.err
    book = json.loads(slots.read_text(encoding="utf-8"))
    assert book["teams"][team_for_key(KEY)]["leases"] == {}  # taken through the file, and given back
    assert KEY not in slots.read_text(encoding="utf-8")


def test_a_bad_limiter_url_is_a_usage_error_naming_the_setting(api_env: dict[str, str]) -> None:
    result = cli("run", SLUG, "--body", BODY, "--json", env={**api_env, "MODELLIX_LIMITER_URL": "file:///x?limit=0"})
    assert result.code == 2, result.out + result.err
    assert "limiter: limit must be an integer >= 1, got 0" in result.out + result.err
