"""Request/response shapes, pinned as vcrpy cassettes recorded from real exchanges with the emulator.

The first run (no cassette yet) records against the live emulator; later runs replay the cassette, so a
change in what the client sends (path, method, body, headers) or in how it reads the recorded replies
fails here. Matching is on method + path (never the port); the Authorization header is filtered out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import vcr  # type: ignore[import-untyped]

from modellix_typed import BadRequest, Modellix, TaskStatus
from modellix_typed.emulator import Fault, RunningEmulator

CASSETTES = Path(__file__).with_name("cassettes")
recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="once",
    match_on=["method", "path"],
    filter_headers=[("authorization", "<redacted>")],
    decode_compressed_response=True,
)


def test_submit_poll_and_common_api_shapes(
    emu: RunningEmulator, make_client: Callable[..., Modellix], Image: Any, api_key: str
) -> None:
    with recorder.use_cassette("submit_poll_common.yaml") as cassette:
        client = make_client(emu)
        task = client.submit(Image("a lighthouse at dusk", n=1))
        if not cassette.write_protected:
            time.sleep(0.5)  # recording: let the 0.3 s task finish, so one GET shows the final shape
        result = client.tasks.get(task.task_id)
        assert result.status is TaskStatus.SUCCESS and result.resources[0].format == "png"
        assert client.balance() > 0 and client.validate_key() is True
        assert [m.slug for m in client.models()] == ["rt/image-model", "rt/video-model"]
        if not cassette.write_protected:
            emu.inject(Fault(kind="status", route="submit", status=400, message="Invalid parameters: prompt"))
        with pytest.raises(BadRequest) as info:
            client.submit(Image("rejected"))
        assert info.value.category == "Invalid parameters"

    text = (CASSETTES / "submit_poll_common.yaml").read_text(encoding="utf-8")
    assert api_key not in text and "Bearer" not in text
    recorded = vcr.cassette.Cassette.load(path=str(CASSETTES / "submit_poll_common.yaml"))
    requests = [(r.method, r.path) for r in recorded.requests]
    assert requests[0] == ("POST", "/api/v1/rt/image-model")
    assert requests[1][0] == "GET" and requests[1][1].startswith("/api/v1/tasks/task-")
    assert ("GET", "/api/v1/team/balance") in requests and ("GET", "/api/v1/models") in requests
    first = recorded.requests[0]
    assert json.loads(first.body) == {"prompt": "a lighthouse at dusk", "n": 1}
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["authorization"] == "<redacted>"
