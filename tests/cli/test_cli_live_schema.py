"""CLI ``validate`` and ``run`` on a model the shipped catalog lacks: its live api_schema, served by an emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modellix_typed.emulator.config import EmulatorConfig
from modellix_typed.emulator.server import RunningEmulator, running_emulator
from modellix_typed.spec_source import spec_from_api_schema_data

from .conftest import KEY, MIRROR, cli

STORED = MIRROR.parent / "modellix-api-schema" / "models" / "vidu" / "motion-sync" / "api_schema"
GOOD = {"image_url": "https://example.com/character.jpg", "video_url": "https://example.com/dance.mp4"}


@pytest.fixture(scope="module")
def live_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    root = tmp_path_factory.mktemp("live-specs")
    (root / "vidu").mkdir()
    spec = spec_from_api_schema_data(json.loads(STORED.read_text()), "vidu", "motion-sync")
    (root / "vidu" / "motion-sync.json").write_text(json.dumps(spec))
    config = EmulatorConfig(specs_dir=root, api_keys=(KEY,), time_scale=0.001, legacy_paths=True)
    with running_emulator(config) as running:
        yield running


@pytest.fixture()
def env(live_emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    live_emulator.reset()
    return {
        "MODELLIX_API_KEY": KEY,
        "MODELLIX_BASE_URL": live_emulator.base_url,
        "MODELLIX_SCHEMA_ORIGIN": live_emulator.base_url,
        "MODELLIX_SCHEMA_CACHE": str(tmp_path / "cache"),
    }


def test_validate_checks_a_new_model_against_its_live_schema(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"image_url": "https://example.com/a.png", "videourl": "x"}))
    result = cli("validate", "vidu/motion-sync", str(bad), "--json", env=env)
    assert result.code == 3, result.out + result.err
    issues = [(i["path"], i["rule"]) for i in result.json()["error"]["issues"]]
    assert issues == [("videourl", "unknown_field"), ("video_url", "required")]
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    result = cli("validate", "vidu/motion-sync", str(good), "--json", env=env)
    assert result.code == 0, result.err
    assert result.json()["checked_against"].endswith("/models/vidu/motion-sync/api_schema")


def test_run_refuses_a_bad_body_unsent_and_sends_a_good_one_to_servers_url(
    env: dict[str, str], live_emulator: RunningEmulator
) -> None:
    bad = cli("run", "vidu/motion-sync", "--body", json.dumps({"image_url": "x"}), "--json", env=env)
    assert bad.code == 3, bad.out + bad.err
    assert not [r for r in live_emulator.stats()["requests"] if r["method"] == "POST"]
    good = cli("run", "vidu/motion-sync", "--body", json.dumps(GOOD), "--json", "--timeout", "30", env=env)
    assert good.code == 0, good.out + good.err
    posts = [r["path"] for r in live_emulator.stats()["requests"] if r["method"] == "POST"]
    assert posts == ["/api/v1/vidu/motion-sync/async"]


def test_an_unfetchable_schema_exits_2_and_names_no_validate(env: dict[str, str]) -> None:
    result = cli("run", "vidu/not-a-model", "--body", "{}", "--json", env=env)
    assert result.code == 2, result.out + result.err
    error = result.json()["error"]
    assert error["type"] == "UnknownModel" and "--no-validate" in error["message"]
    assert error["reason"] == "HTTP 404"


def test_batch_runs_a_new_model_through_its_live_schema(
    env: dict[str, str], live_emulator: RunningEmulator, tmp_path: Path
) -> None:
    source = tmp_path / "batch.jsonl"
    bad = {"model": "vidu/motion-sync", "body": {"image_url": "https://example.com/a.png"}}
    source.write_text(json.dumps({"model": "vidu/motion-sync", "body": GOOD}) + "\n" + json.dumps(bad) + "\n")
    refused = cli("batch", str(source), "--json", env=env)
    assert refused.code == 3, refused.out + refused.err
    assert [(i["line"], i["path"], i["rule"]) for i in refused.json()["error"]["issues"]] == [
        (2, "body.video_url", "required")
    ]
    source.write_text(json.dumps({"model": "vidu/motion-sync", "body": GOOD}) + "\n")
    done = cli("batch", str(source), "--json", env=env)
    assert done.code == 0, done.out + done.err
    assert [r["outcome"] for r in done.json()["results"]] == ["success"]
    posts = [r["path"] for r in live_emulator.stats()["requests"] if r["method"] == "POST"]
    assert posts == ["/api/v1/vidu/motion-sync/async"]


def test_a_batch_looks_for_each_new_models_schema_once_even_without_the_cache(
    env: dict[str, str], live_emulator: RunningEmulator, tmp_path: Path
) -> None:
    source = tmp_path / "batch.jsonl"
    bad = {"model": "vidu/motion-sync", "body": {"image_url": "https://example.com/a.png"}}
    gone = {"model": "vidu/no-such-model", "body": GOOD}  # no schema anywhere: each line still says why
    source.write_text("".join(json.dumps(line) + "\n" for line in [bad, bad, bad, gone, gone]))
    refused = cli("batch", str(source), "--json", env={**env, "MODELLIX_SCHEMA_CACHE": "off"})
    assert refused.code == 3, refused.out + refused.err
    issues = refused.json()["error"]["issues"]
    assert [(i["line"], i["path"]) for i in issues] == [
        (1, "body.video_url"), (2, "body.video_url"), (3, "body.video_url"), (4, "model"), (5, "model")
    ]
    gets = [r["path"] for r in live_emulator.stats()["requests"] if r["path"].endswith("/api_schema")]
    assert sorted(gets) == ["/models/vidu/motion-sync/api_schema", "/models/vidu/no-such-model/api_schema"]
