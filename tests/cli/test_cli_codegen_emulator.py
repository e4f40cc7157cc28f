"""``codegen`` (crawling the docs mirror) and ``emulator`` (a served process) through the console script."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from .conftest import BIN, KEY, MIRROR, REPO, clean_env, cli


def test_codegen_crawl_mirror_then_diff(tmp_path: Path) -> None:
    out = tmp_path / "specs"
    crawl = cli("codegen", "crawl", "--mirror", str(MIRROR), "--out", str(out), "--json")
    assert crawl.code == 0, crawl.err
    report = json.loads(crawl.out)
    assert report["models_written"] > 0
    index = json.loads((out / "index.json").read_text())
    assert len(index["models"]) == report["models_written"]
    assert all((out / model["file"]).is_file() for model in index["models"])

    diff = cli("codegen", "diff", str(out), "--specs", str(REPO / "specs"), "--json")
    assert diff.code == 0, diff.err
    assert isinstance(json.loads(diff.out), dict)


def test_emulator_serves_until_terminated() -> None:
    assert BIN is not None
    process = subprocess.Popen(
        [BIN, "emulator", "--port", "0", "--time-scale", "0.001"],
        env=clean_env({"MODELLIX_API_KEY": KEY}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("Modellix emulator listening on http://127.0.0.1:"), first
        second = process.stdout.readline()
        assert "accepts the key in MODELLIX_API_KEY" in second
        base_url = first.rsplit(" ", 1)[1]
        env = {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": base_url}
        ran = cli("run", "google/nano-banana", "--body", '{"prompt": "x"}', "--json", env=env)
        assert ran.code == 0 and ran.json()["task"]["status"] == "success", ran.out + ran.err
    finally:
        process.send_signal(signal.SIGTERM)
        rest, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert KEY not in first + second + rest + err


def test_emulator_json_and_bad_specs(tmp_path: Path) -> None:
    bad = cli("emulator", "--specs", str(tmp_path / "missing"), "--json")
    assert bad.code == 2
    assert bad.json()["error"]["type"] == "EmulatorError" and "missing" in bad.json()["error"]["message"]
    assert BIN is not None
    process = subprocess.Popen(
        [BIN, "emulator", "--json"], env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        doc = json.loads(process.stdout.readline())
        assert doc["ok"] is True and doc["base_url"].startswith("http://127.0.0.1:") and doc["models"] > 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)
    assert process.returncode == 0
