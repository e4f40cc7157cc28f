"""pending -> processing -> success/failed from the creation time; real PNG/MP4 results that expire."""

from __future__ import annotations

import struct
import time
import zlib

import httpx

from modellix_typed.emulator import Fault

from .conftest import I2V, IMAGEN, StartEmulator, client_for, wait_for_status


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    # every chunk's CRC is right and IDAT inflates to height rows of (1 + 3 * width) bytes
    offset, idat = 8, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        payload = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF
        if kind == b"IDAT":
            idat += payload
        offset += 12 + length
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def test_statuses_go_pending_processing_success(start_emulator: StartEmulator) -> None:
    emu = start_emulator(time_scale=1.0, durations={"t2i": 0.6}, processing_after=0.5)
    with client_for(emu) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        seen: list[str] = []
        deadline = time.monotonic() + 5
        while not seen or seen[-1] != "success":
            status = http.get(f"/api/v1/tasks/{task_id}").json()["data"]["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            assert time.monotonic() < deadline, seen
            time.sleep(0.02)
    assert seen == ["pending", "processing", "success"]


def test_success_result_shape_and_downloadable_png(start_emulator: StartEmulator) -> None:
    emu = start_emulator()
    with client_for(emu) as http:
        submitted = http.post(IMAGEN, json={"prompt": "x", "sampleCount": 3, "aspectRatio": "16:9"}).json()
        data = wait_for_status(http, submitted["data"]["task_id"], "success")
        assert data["model_id"] == "google/imagen-4.0-generate-001"
        assert data["duration"] == 5  # 5 s * time_scale 0.001, in ms
        resources = data["result"]["resources"]
        assert len(resources) == 3
        assert data["result"]["metadata"]["image_count"] == 3
        assert set(data["result"]["extensions"]) == {"submit_time", "end_time"}
        for index, resource in enumerate(resources):
            assert resource["url"] == f"{emu.base_url}/files/{data['task_id']}/{index}.png"
            assert {k: resource[k] for k in ("type", "format", "role", "width", "height")} == {
                "type": "image", "format": "png", "role": "primary", "width": 64, "height": 36,
            }
            download = httpx.get(resource["url"])  # result URLs need no key, like a CDN
            assert download.status_code == 200
            assert download.headers["content-type"] == "image/png"
            assert _png_size(download.content) == (64, 36)
        assert httpx.get(f"{emu.base_url}/files/{data['task_id']}/3.png").status_code == 404
        assert httpx.get(f"{emu.base_url}/files/{data['task_id']}/0.mp4").status_code == 404


def test_video_task_yields_an_mp4(start_emulator: StartEmulator) -> None:
    emu = start_emulator()
    with client_for(emu) as http:
        task_id = http.post(I2V, json={"first_frame_image": "https://example.com/a.jpg"}).json()["data"]["task_id"]
        data = wait_for_status(http, task_id, "success")
        resource = data["result"]["resources"][0]
        assert (resource["type"], resource["format"]) == ("video", "mp4")
        content = httpx.get(resource["url"]).content
    # ISO-BMFF: boxes tile the file exactly, starting with ftyp then moov
    offset, kinds = 0, []
    while offset < len(content):
        size, kind = struct.unpack(">I4s", content[offset:offset + 8])
        assert size >= 8
        kinds.append(kind)
        offset += size
    assert offset == len(content)
    assert kinds[:2] == [b"ftyp", b"moov"]


def test_failure_rate_fails_tasks_reproducibly(start_emulator: StartEmulator) -> None:
    emu = start_emulator(failure_rate=1.0)
    with client_for(emu) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        data = wait_for_status(http, task_id, "failed")
    assert "result" not in data
    assert data["error"]["message"].startswith("Internal processing error")
    assert httpx.get(f"{emu.base_url}/files/{task_id}/0.png").status_code == 404


def test_seeded_failures_repeat_across_runs(start_emulator: StartEmulator) -> None:
    outcomes = []
    for _ in range(2):
        emu = start_emulator(failure_rate=0.5, seed=7, concurrency_limit=None)
        with client_for(emu) as http:
            ids = [http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"] for _ in range(8)]
            time.sleep(0.02)
            outcomes.append([http.get(f"/api/v1/tasks/{i}").json()["data"]["status"] for i in ids])
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {"success", "failed"}


def test_fail_task_fault_fails_the_next_tasks_only(start_emulator: StartEmulator) -> None:
    emu = start_emulator(faults=[Fault(kind="fail_task", count=2, message="Task failed: content policy")])
    with client_for(emu) as http:
        ids = [http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"] for _ in range(3)]
        first = wait_for_status(http, ids[0], "failed")
        wait_for_status(http, ids[1], "failed")
        wait_for_status(http, ids[2], "success")
    assert first["error"] == {"message": "Task failed: content policy"}


def test_results_expire_to_404(start_emulator: StartEmulator) -> None:
    emu = start_emulator(time_scale=1.0, durations={"t2i": 0.05}, result_ttl=0.3)
    with client_for(emu) as http:
        task_id = http.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        url = wait_for_status(http, task_id, "success")["result"]["resources"][0]["url"]
        assert httpx.get(url).status_code == 200
        time.sleep(0.45)
        gone = http.get(f"/api/v1/tasks/{task_id}")
        assert gone.status_code == 404
        assert gone.json()["message"] == f"Resource not found: task '{task_id}' not found or expired"
        assert httpx.get(url).status_code == 404
