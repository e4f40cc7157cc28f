"""The emulator's live-API switches: status words, result shapes, failure text, redirects, spec-less models,
legacy paths; each checked on the wire and through the real client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modellix_typed import Modellix, TaskStatus
from modellix_typed.errors import DownloadError, NotFound, TaskCancelled, TaskFailed
from modellix_typed.polling import PollPolicy

from .conftest import I2V_OLD, IMAGEN, KEY, StartEmulator, client_for, wait_for_status

FAST = PollPolicy(first_delay=0.005, max_delay=0.02, multiplier=1.5, default_timeout=10.0)
SLUG = "google/imagen-4.0-generate-001"


def client(emu: Any, **kw: Any) -> Modellix:
    return Modellix(KEY, base_url=emu.base_url, poll_policy=FAST, **kw)


def test_status_words_are_switchable_and_the_client_follows_them(start_emulator: StartEmulator) -> None:
    words = {"pending": "QUEUED", "processing": "running", "success": "Completed"}
    emu = start_emulator(status_words=words, time_scale=0.05)
    with client_for(emu) as http:
        data = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]
        assert http.get(f"/api/v1/tasks/{data['task_id']}").json()["data"]["status"] in ("QUEUED", "running")
        wait_for_status(http, data["task_id"], "Completed")
    seen: list[str] = []
    with client(emu) as sdk:
        result = sdk.run(SLUG, {"prompt": "x"}, on_update=lambda r: seen.append(r.raw_status))
    assert result.status is TaskStatus.SUCCESS and seen[-1] == "Completed" and len(result.resources) == 1
    assert set(seen) <= {"QUEUED", "running", "Completed"}


def test_cancelled_with_the_reason_in_the_top_level_message(start_emulator: StartEmulator) -> None:
    emu = start_emulator(status_words={"failed": "canceled"}, failure_in="message", failure_rate=1.0)
    with client_for(emu) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        wait_for_status(http, task_id, "canceled")
        envelope = http.get(f"/api/v1/tasks/{task_id}").json()
        assert "error" not in envelope["data"] and envelope["message"].startswith("Internal processing error")
    with client(emu) as sdk, pytest.raises(TaskCancelled) as caught:
        sdk.run(SLUG, {"prompt": "x"})
    assert caught.value.message.startswith("Internal processing error")


@pytest.mark.parametrize("shape", ["result", "data", "urls"])
def test_every_result_shape_downloads(start_emulator: StartEmulator, tmp_path: Path, shape: str) -> None:
    emu = start_emulator(result_shape=shape)
    with client_for(emu) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x", "sampleCount": 2}).json()["data"]["task_id"]
        data = wait_for_status(http, task_id, "success")
    where = data["resources"] if shape == "data" else data["result"]["resources"]
    assert len(where) == 2 and all(isinstance(r, str) for r in where) == (shape == "urls")
    with client(emu) as sdk:
        result = sdk.tasks.get(task_id)
        saved = sdk.download(result, tmp_path)
    assert [p.read_bytes()[:8] for p in saved] == [b"\x89PNG\r\n\x1a\n"] * 2


def test_a_success_without_files(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emu = start_emulator(result_shape="none")
    with client(emu) as sdk:
        result = sdk.run(SLUG, {"prompt": "x"})
        assert result.resources == () and "metadata" in str(result.keys_seen())
        with pytest.raises(DownloadError, match="holds no resource URL"):
            sdk.download(result, tmp_path)


def test_result_urls_that_redirect(start_emulator: StartEmulator, tmp_path: Path) -> None:
    emu = start_emulator(redirect_results=3)
    with client_for(emu) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        url = wait_for_status(http, task_id, "success")["result"]["resources"][0]["url"]
        hop = http.get(url)
        assert hop.status_code == 302 and hop.headers["location"].startswith("/_redirect/2/files/")
    with client(emu) as sdk:
        [saved] = sdk.download(sdk.tasks.get(task_id), tmp_path)
    assert saved.read_bytes().startswith(b"\x89PNG")
    hops = [r["path"] for r in emu.stats()["requests"] if r["method"] == "GET" and not r["path"].startswith("/api/")]
    assert [p.split("/files/")[0] for p in hops[-4:]] == ["/_redirect/3", "/_redirect/2", "/_redirect/1", ""]


def test_models_without_a_spec_only_when_asked(start_emulator: StartEmulator) -> None:
    strict = start_emulator()
    with client_for(strict) as http:
        assert http.post("/api/v1/newco/model-2027", json={"anything": 1}).status_code == 404
    emu = start_emulator(accept_unknown_models=True)
    with client_for(emu) as http:
        assert http.post("/api/v1/newco/model-2027", json=[1]).status_code == 400  # still a JSON object
        assert http.post("/api/v1/tasks/x", json={}).status_code in (404, 405)  # API paths are not models
    with client(emu) as sdk:
        result = sdk.run("newco/model-2027", {"anything": 1}, validate=False)
    assert result.status is TaskStatus.SUCCESS and result.model_id == "newco/model-2027"
    assert emu.stats()["tasks_by_slug"] == {"newco/model-2027": 1}


def test_legacy_paths_serve_the_documented_forms_and_the_client_falls_back(start_emulator: StartEmulator) -> None:
    modern = start_emulator()
    with client(modern, submit_path="documented") as sdk, pytest.raises(NotFound):
        sdk.submit(SLUG, {"prompt": "x"})
    legacy = start_emulator(legacy_paths=True)
    with client_for(legacy) as http:
        assert http.post(I2V_OLD, json={"first_frame_image": "https://example.com/a.jpg"}).status_code == 200
    with client(legacy, submit_path="documented") as sdk:
        assert sdk.submit(SLUG, {"prompt": "x"}).task_id


def test_bad_mode_settings_name_the_setting() -> None:
    from modellix_typed.emulator import EmulatorConfig

    for bad, name in (({"status_words": {"done": "x"}}, "status_words"), ({"result_shape": "flat"}, "result_shape"),
                      ({"failure_in": "body"}, "failure_in"), ({"redirect_results": 11}, "redirect_results")):
        with pytest.raises(ValueError, match=name):
            EmulatorConfig(**bad)


def test_a_failed_task_keeps_data_error_by_default(start_emulator: StartEmulator) -> None:
    emu = start_emulator(failure_rate=1.0)
    with client(emu) as sdk, pytest.raises(TaskFailed) as caught:
        sdk.run(SLUG, {"prompt": "x"})
    assert type(caught.value) is TaskFailed and caught.value.message.startswith("Internal processing error")
