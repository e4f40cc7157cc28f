"""``file upload|delete`` and ``@path`` bodies (issue 21), through the console script against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from modellix_typed.emulator.server import RunningEmulator

from .conftest import cli

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def media_posts(emulator: RunningEmulator) -> int:
    return sum(1 for r in emulator.stats()["requests"] if r["method"] == "POST" and r["path"] == "/api/v1/media/files")


def test_file_upload_and_delete_json(emulator: RunningEmulator, api_env: dict[str, str], tmp_path: Path) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    before = emulator.stats()["media_files"]
    up = cli("file", "upload", str(picture), "--json", env=api_env)
    assert up.code == 0, up.out + up.err
    doc = up.json()["file"]
    assert doc["fileId"] == doc["file_id"] and doc["url"].startswith("http")  # modellix-cli's file.fileId / file.url
    assert emulator.stats()["media_files"] == before + 1
    gone = cli("file", "delete", doc["fileId"], "--json", env=api_env)
    assert gone.code == 0 and gone.json() == {"ok": True, "deleted": doc["fileId"]}
    assert emulator.stats()["media_files"] == before
    again = cli("file", "delete", doc["fileId"], "--json", env=api_env)
    assert again.code == 1 and again.json()["error"]["status"] == 404


def test_file_upload_refuses_a_non_image_before_sending(
    emulator: RunningEmulator, api_env: dict[str, str], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    before = media_posts(emulator)
    result = cli("file", "upload", str(notes), "--json", env=api_env)
    assert result.code == 2
    error = result.json()["error"]
    assert error["type"] == "UnsupportedUpload" and error["rule"] == "PNG, JPEG or WebP"
    assert media_posts(emulator) == before  # nothing sent


def test_run_with_an_at_path_uploads_it_sends_its_url_and_deletes_it(
    emulator: RunningEmulator, api_env: dict[str, str], tmp_path: Path
) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    before = media_posts(emulator)
    body = json.dumps({"prompt": "oil painting", "image": [f"@{picture}", f"@{picture}"]})
    result = cli("run", "google/nano-banana-edit", "--body", body, "--json", env=api_env)
    assert result.code == 0, result.out + result.err
    assert result.json()["task"]["status"] == "success"
    assert media_posts(emulator) == before + 1  # one file, one upload
    assert emulator.stats()["media_files"] == 0  # deleted once the task finished


def test_an_at_path_naming_no_file_is_a_usage_error(api_env: dict[str, str]) -> None:
    body = json.dumps({"prompt": "x", "image": ["@missing/cat.png"]})
    result = cli("run", "google/nano-banana-edit", "--body", body, "--json", env=api_env)
    assert result.code == 2 and "no such file 'missing/cat.png'" in result.json()["error"]["message"]
    prompt = json.dumps({"prompt": "@someone says hi"})  # a prompt may start with @: left as text
    sent = cli("run", "google/nano-banana", "--body", prompt, "--json", env=api_env)
    assert sent.code == 0, sent.out + sent.err


def test_a_batch_file_with_at_paths_uploads_each_file_once_and_cleans_up(
    emulator: RunningEmulator, api_env: dict[str, str], tmp_path: Path
) -> None:
    picture = tmp_path / "a.png"
    picture.write_bytes(PNG)
    lines = [
        {"model": "google/nano-banana-edit", "body": {"prompt": f"p{i}", "image": [f"@{picture}"]}} for i in range(3)
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    before = media_posts(emulator)
    result = cli("batch", str(source), "--yes", "--json", env=api_env)
    assert result.code == 0, result.out + result.err
    assert [r["outcome"] for r in result.json()["results"]] == ["success"] * 3
    assert media_posts(emulator) == before + 1
    assert emulator.stats()["media_files"] == 0


def test_validate_checks_at_path_files_offline(tmp_path: Path) -> None:
    good, bad = tmp_path / "cat.png", tmp_path / "cat.gif"
    good.write_bytes(PNG)
    bad.write_bytes(b"GIF89a" + bytes(10))
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"prompt": "x", "image": [f"@{good}"]}))
    assert cli("validate", "google/nano-banana-edit", str(body)).code == 0
    body.write_text(json.dumps({"prompt": "x", "image": [f"@{bad}"]}))
    refused = cli("validate", "google/nano-banana-edit", str(body), "--json")
    assert refused.code == 2 and refused.json()["error"]["rule"] == "PNG, JPEG or WebP"
    assert refused.json()["error"]["field"] == "image[0]"
