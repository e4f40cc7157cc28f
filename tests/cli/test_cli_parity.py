"""What a modellix-cli user relies on, through the installed console script against a real emulator."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from modellix_typed.emulator.config import EmulatorConfig, Fault
from modellix_typed.emulator.server import RunningEmulator, running_emulator

from .conftest import BIN, KEY, REPO, clean_env, cli, read_terminal

SLUG = "google/nano-banana"
BODY = json.dumps({"prompt": "a lake at dawn"})


def official(n: int, **extra: Any) -> str:
    """One line of modellix-cli's batch JSONL."""
    return json.dumps({"modelSlug": SLUG, "body": {"prompt": f"picture {n}"}, **extra})


def posts(emulator: RunningEmulator) -> int:
    return sum(r["method"] == "POST" for r in emulator.stats()["requests"])


def test_official_jsonl_did_you_mean_and_cost_guard(emulator: RunningEmulator, api_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    emulator.reset()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([
        official(0),
        json.dumps({"modelSlug": SLUG, "bodyy": {"prompt": "x"}}),
        json.dumps({"model": SLUG, "modelSlug": SLUG, "body": {"prompt": "x"}}),
        json.dumps({"modelslug": SLUG, "body": {"prompt": "x"}}),
    ]) + "\n")
    refused = cli("batch", str(bad), "--json", env=api_env)
    assert refused.code == 3, refused.out + refused.err
    messages = {(i["line"], i["path"]): i["message"] for i in refused.json()["error"]["issues"]}
    assert "did you mean 'body'?" in messages[(2, "bodyy")]
    assert "not both" in messages[(3, "modelSlug")]
    assert "did you mean 'modelSlug'?" in messages[(4, "modelslug")]
    assert (1, "model") not in messages and posts(emulator) == 0

    many = tmp_path / "many.jsonl"
    many.write_text("\n".join(official(n) for n in range(21)) + "\n")
    guarded = cli("batch", str(many), env=api_env)
    assert guarded.code == 2 and "--yes" in guarded.err and "nothing was sent" in guarded.err
    capped = cli("batch", str(many), "--max-tasks", "20", "--json", env=api_env)
    assert capped.code == 2 and capped.json()["error"]["type"] == "CostGuard" and posts(emulator) == 0

    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(official(n) for n in range(3)) + "\n")
    ran = cli("batch", str(good), "--max-tasks", "3", "--quiet", env=api_env)
    assert ran.code == 0, ran.err
    task_ids = ran.out.split()
    assert len(task_ids) == 3 and all(t.startswith("task-") for t in task_ids) and posts(emulator) == 3
    history = cli("task", "history", "--json", env=api_env).json()["tasks"]
    assert {t["task_id"] for t in history[:3]} == set(task_ids)
    assert {(t["model"], t["status"]) for t in history[:3]} == {(SLUG, "success")}


def test_batch_stops_submitting_after_an_unknown_outcome(emulator: RunningEmulator, api_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(official(n) for n in range(4)) + "\n")
    emulator.reset()
    emulator.inject(Fault(kind="status", route="submit", status=500))  # a 5xx after the body was sent
    stopped = cli("batch", str(source), "--max-concurrency", "1", "--json", env=api_env)
    assert stopped.code == 6, stopped.out + stopped.err
    outcomes = [r["outcome"] for r in stopped.json()["results"]]
    assert outcomes == ["outcome_unknown", "skipped", "skipped", "skipped"] and posts(emulator) == 1
    assert "unknown outcome" in stopped.json()["results"][1]["error"]["message"]

    emulator.reset()
    emulator.inject(Fault(kind="status", route="submit", status=500))
    going = cli("batch", str(source), "--max-concurrency", "1", "--continue-on-unknown", "--json", env=api_env)
    assert going.code == 6
    assert [r["outcome"] for r in going.json()["results"]] == ["outcome_unknown", "success", "success", "success"]
    assert posts(emulator) == 4


def test_output_modes_wait_many_history_and_download(emulator: RunningEmulator, api_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    slugs = cli("models", "list", "--provider", "google", "--output", "slugs")
    assert SLUG in slugs.out.split("\n") and all(line.count("/") == 1 for line in slugs.out.split())
    assert cli("models", "list", "--provider", "google", "-q", "--json").out == slugs.out  # quiet wins

    ids = [cli("run", SLUG, "--body", BODY, "--no-wait", "--output", "task-id", env=api_env).out.strip()
           for _ in range(2)]
    assert all(t.startswith("task-") for t in ids)
    waited = cli("task", "wait", *ids, "task-nonexistent", "--concurrency", "2", "--json", env=api_env)
    assert waited.code == 1, waited.out + waited.err  # one id is unknown to the server: an error outcome
    doc = waited.json()
    assert [t["task_id"] for t in doc["tasks"]] == [*ids, "task-nonexistent"]
    assert [t["outcome"] for t in doc["tasks"]] == ["success", "success", "error"]
    assert doc["tasks"][2]["error"]["status"] == 404 and doc["unfinished"] == []

    first = cli("task", "download", ids[0], str(tmp_path), "-q", env=api_env)
    assert first.code == 0 and Path(first.out.strip()).parent == tmp_path
    again = cli("task", "download", ids[0], str(tmp_path), env=api_env)
    assert again.code == 1 and "already exists" in again.err
    assert cli("task", "download", ids[0], str(tmp_path), "--overwrite", env=api_env).code == 0
    small = cli("task", "download", ids[0], str(tmp_path / "small"), "--max-bytes", "10", "--json", env=api_env)
    assert small.code == 1 and "max_bytes=10" in small.json()["error"]["message"]
    assert not list((tmp_path / "small").glob("*.png"))

    listed = cli("task", "history", "--limit", "2", "-q", env=api_env).out.split()
    assert listed == [ids[0], ids[1]]  # most recently touched first (the downloads refreshed ids[0])
    other_origin = cli("task", "history", "-q", env={**api_env, "MODELLIX_BASE_URL": "http://127.0.0.1:9"})
    assert other_origin.out == ""  # per API origin
    assert cli("task", "history", "--all", "-q", env=api_env).out.split()[:2] == listed


@pytest.mark.usefixtures("ctrl_c_works")
def test_timeouts_with_the_timeout1_exit_code_and_partial_results() -> None:
    durations = {"t2i": 0.05, "t2v": 600.0}  # images finish at once, videos never within the test
    with running_emulator(EmulatorConfig(api_keys=(KEY,), durations=durations)) as slow:
        env = {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": slow.base_url}
        video = cli("run", "google/veo-2-t2v", "--body", BODY, "--no-wait", "-q", env=env).out.strip()
        image = cli("run", SLUG, "--body", BODY, "--no-wait", "-q", env=env).out.strip()
        both = cli("task", "wait", image, video, "--timeout", "1", "--timeout-exit-code", "124", "--json", env=env)
        assert both.code == 124, both.out + both.err
        doc = both.json()
        assert [t["outcome"] for t in doc["tasks"]] == ["success", "timeout"] and doc["unfinished"] == [video]
        assert doc["tasks"][0]["task"]["status"] == "success"  # the finished one is kept
        single = cli("task", "wait", video, "--timeout", "0.3", env={**env, "MODELLIX_TIMEOUT_EXIT_CODE": "124"})
        assert single.code == 124 and f"task wait {video}" in single.err
        assert cli("task", "wait", video, "--timeout", "0.3", env=env).code == 5  # ours stays the default

        # Ctrl+C while waiting on several: every wait stops at once, what is known is reported, exit 130.
        second = cli("run", "google/veo-2-t2v", "--body", BODY, "--no-wait", "-q", env=env).out.strip()
        polls_before = len(slow.stats()["requests"])
        process = subprocess.Popen([str(BIN), "task", "wait", image, video, second, "--json"], env=clean_env(env),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while len(slow.stats()["requests"]) < polls_before + 3:  # all three polled once: the waits are running
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 130, out + err
        stopped = json.loads(out)
        assert stopped["interrupted"] is True and stopped["unfinished"] == [video, second]
        assert [t["outcome"] for t in stopped["tasks"]] == ["success", "timeout", "timeout"]


def test_doctor_names_what_is_wrong_and_completion_scripts(emulator: RunningEmulator,
                                                           api_env: dict[str, str]) -> None:
    ok = cli("doctor", "--json", env=api_env)
    assert ok.code == 0, ok.out + ok.err
    checks = {c["name"]: c for c in ok.json()["checks"]}
    assert list(checks) == ["python", "key", "connectivity", "key_valid", "balance", "submit_path"]
    assert checks["key"]["detail"].endswith("from MODELLIX_API_KEY") and checks["balance"]["detail"].endswith("USD")
    assert "unparseable body" in checks["submit_path"]["detail"] and "-> 400: served" in checks["submit_path"]["detail"]

    wrong = cli("doctor", env={**api_env, "MODELLIX_API_KEY": "wrong-key"})
    assert wrong.code == 1 and "[FAIL] key_valid" in wrong.out and "doctor: failed: key_valid" in wrong.err
    down = cli("doctor", "--json", env={**api_env, "MODELLIX_BASE_URL": "http://127.0.0.1:9"})
    assert down.code == 1 and down.json()["failed"] == ["connectivity"]
    missing = cli("doctor", env={"MODELLIX_BASE_URL": api_env["MODELLIX_BASE_URL"]})
    assert missing.code == 1 and "doctor: failed: key, connectivity" in missing.err

    for shell, marker in (("bash", "complete -o nosort -F"), ("zsh", "#compdef modellix-typed"),
                          ("fish", "complete --no-files --command modellix-typed")):
        script = cli(env={"_MODELLIX_TYPED_COMPLETE": f"{shell}_source"})
        assert script.code == 0 and marker in script.out, (shell, script.out[:200], script.err)
    words = cli(env={"_MODELLIX_TYPED_COMPLETE": "bash_complete", "COMP_WORDS": "modellix-typed au",
                     "COMP_CWORD": "1"})
    assert words.out.split() == ["plain,auth"]


def test_models_list_live_merges_the_api_catalog_with_the_typed_one(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    spec = json.loads((REPO / "specs" / "google" / "nano-banana.json").read_text())
    (specs / "google").mkdir(parents=True)
    (specs / "acme").mkdir()
    (specs / "google" / "nano-banana.json").write_text(json.dumps(spec))
    new = {**spec, "slug": "acme/new-model", "provider": "acme", "model_id": "new-model",
           "path": "/api/v1/acme/new-model/async", "title": "New"}
    (specs / "acme" / "new-model.json").write_text(json.dumps(new))
    with running_emulator(EmulatorConfig(api_keys=(KEY,), specs_dir=specs)) as emu:
        env = {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emu.base_url}
        import httpx

        raw = httpx.get(f"{emu.base_url}/api/v1/models", headers={"Authorization": f"Bearer {KEY}"}).json()
        assert set(raw) == {"models"}  # modellix-cli's shape: a top-level array, no envelope
        assert {"slug": "acme/new-model", "type": "text-to-image"}.items() <= raw["models"][0].items()

        doc = cli("models", "list", "--live", "--json", env=env).json()
        states = {m["slug"]: m["state"] for m in doc["models"]}
        assert states["google/nano-banana"] == "typed" and states["acme/new-model"] == "untyped"
        assert states["google/veo-2-t2v"] == "not_live" and doc["live_count"] == 2
        assert doc["summary"]["untyped"] == 1 and "make generate" in doc["regenerate"]
        human = cli("models", "list", "--live", "--provider", "acme", env=env)
        assert "acme/new-model  untyped" in human.out and "make specs" in human.out
        assert cli("models", "list", "--live", "-q", "--search", "new", env=env).out == "acme/new-model\n"
        no_key = cli("models", "list", "--live", env={"MODELLIX_BASE_URL": emu.base_url})
        assert no_key.code == 2 and "auth login" in no_key.err


def test_models_reply_in_a_data_envelope_is_read_too() -> None:
    from modellix_typed.common_api import parse_models

    enveloped = {"code": 0, "message": "ok", "data": {"models": [{"slug": "a/b", "type": "text-to-image"}]}}
    assert [m.slug for m in parse_models(enveloped)] == ["a/b"]
    assert [m.type for m in parse_models({"models": [{"slug": "c/d", "type": "t2v"}]})] == ["t2v"]


def test_no_progress_display_under_ci_or_no_progress(api_env: dict[str, str]) -> None:
    """The same terminal stderr that shows the batch bar (test_cli_batch) stays silent under CI / --no-progress."""
    lines = "\n".join(official(n) for n in range(2)) + "\n"
    for extra_env, options in (({"CI": "true"}, []), ({}, ["--no-progress"])):
        primary, secondary = pty.openpty()
        process = subprocess.Popen(
            [str(BIN), "batch", "-", "--json", *options],
            env=clean_env({**api_env, "TERM": "xterm", "COLUMNS": "120", **extra_env}),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=secondary, text=True,
        )
        os.close(secondary)
        out, _ = process.communicate(lines, timeout=60)
        screen = read_terminal(primary)
        assert process.returncode == 0, out + screen
        assert screen == "" and json.loads(out)["summary"]["success"] == 2, (extra_env, options, screen)
