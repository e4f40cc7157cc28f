"""Media files: multipart upload (field `file`), list with a capped limit, delete, per-team quota and size."""

from __future__ import annotations

import httpx

from modellix_typed.emulator import RunningEmulator

from .conftest import KEY, StartEmulator, client_for

PNG = b"\x89PNG\r\n\x1a\nfake-but-bytes"


def test_upload_list_download_delete(emulator: RunningEmulator, client: httpx.Client) -> None:
    uploaded = client.post("/api/v1/media/files", files={"file": ("input.png", PNG, "image/png")})
    assert uploaded.status_code == 200, uploaded.text
    data = uploaded.json()["data"]
    assert data["type"] == "image" and data["filename"] == "input.png" and data["size"] == len(PNG)
    assert data["file_id"].startswith("file-") and data["created_at"].endswith("Z")
    assert httpx.get(data["url"]).content == PNG
    listed = client.get("/api/v1/media/files").json()["data"]["files"]
    assert [f["file_id"] for f in listed] == [data["file_id"]]
    deleted = client.delete(f"/api/v1/media/files/{data['file_id']}")
    assert deleted.json() == {"code": 0, "message": "success", "data": {"file_id": data["file_id"], "deleted": True}}
    assert client.get("/api/v1/media/files").json()["data"]["files"] == []
    again = client.delete(f"/api/v1/media/files/{data['file_id']}")
    assert again.status_code == 404
    assert again.json()["message"] == f"Resource not found: media file '{data['file_id']}' not found"
    assert httpx.get(data["url"]).status_code == 404


def test_list_limit_and_team_quota(start_emulator: StartEmulator) -> None:
    emu = start_emulator(max_files_per_team=3)
    with client_for(emu) as http:
        for index in range(3):
            assert http.post("/api/v1/media/files", files={"file": (f"{index}.txt", b"x")}).status_code == 200
        full = http.post("/api/v1/media/files", files={"file": ("3.txt", b"x")})
        assert full.status_code == 429 and "file quota reached" in full.json()["message"]
        assert len(http.get("/api/v1/media/files", params={"limit": 2}).json()["data"]["files"]) == 2
        assert len(http.get("/api/v1/media/files", params={"limit": 500}).json()["data"]["files"]) == 3
        zero = http.get("/api/v1/media/files", params={"limit": 0})
        assert zero.status_code == 400
        assert zero.json()["message"] == "Value out of range: parameter 'limit' must be between 1 and 100, got 0"
        word = http.get("/api/v1/media/files", params={"limit": "many"})
        assert word.json()["message"] == "Invalid format: parameter 'limit' must be an integer, got 'many'"
        first = http.get("/api/v1/media/files").json()["data"]["files"][-1]["file_id"]
        assert http.delete(f"/api/v1/media/files/{first}").status_code == 200
        assert http.post("/api/v1/media/files", files={"file": ("4.txt", b"x")}).status_code == 200
    assert emu.stats()["media_files"] == 3


def test_teams_do_not_see_each_other_files(start_emulator: StartEmulator) -> None:
    emu = start_emulator(api_keys=(KEY, "test-key-b"), teams={"test-key-b": "team-b"})
    with client_for(emu) as mine, client_for(emu, "test-key-b") as theirs:
        file_id = mine.post("/api/v1/media/files", files={"file": ("a.png", PNG)}).json()["data"]["file_id"]
        assert theirs.get("/api/v1/media/files").json()["data"]["files"] == []
        assert theirs.delete(f"/api/v1/media/files/{file_id}").status_code == 404


def test_upload_errors_name_the_problem(start_emulator: StartEmulator) -> None:
    emu = start_emulator(max_upload_bytes=1024)
    with client_for(emu) as http:
        big = http.post("/api/v1/media/files", files={"file": ("big.png", b"x" * 2048)})
        assert big.status_code == 413
        assert big.json()["message"] == "Invalid parameters: file too large (2048 bytes; max 1024 bytes)"
        wrong_field = http.post("/api/v1/media/files", files={"upload": ("a.png", PNG)})
        assert wrong_field.status_code == 400
        assert wrong_field.json()["message"].startswith("Missing required parameter: parameter 'file'")
        empty = http.post("/api/v1/media/files", files={"file": ("a.png", b"")})
        assert empty.json()["message"] == "Invalid parameters: parameter 'file' is empty"
