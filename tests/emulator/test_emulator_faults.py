"""Each fault kind, armed through the Python API, the config, or HTTP; a fault is spent after `count` uses."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from modellix_typed.emulator import EmulatorConfig, Fault, RunningEmulator

from .conftest import IMAGEN, StartEmulator, client_for, wait_for_status


def test_status_burst_then_recovery(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.inject(Fault(kind="status", route="submit", status=503, count=2, retry_after=3))
    emulator.inject(Fault(kind="status", route="poll", status=500))
    for _ in range(2):
        response = client.post(IMAGEN, json={"prompt": "x"})
        assert response.status_code == 503
        assert response.json()["code"] == 503
        assert response.headers["Retry-After"] == "3"
    task_id = client.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
    failing = client.get(f"/api/v1/tasks/{task_id}")
    assert failing.status_code == 500
    assert failing.json()["message"].startswith("Internal error:")
    assert client.get(f"/api/v1/tasks/{task_id}").status_code == 200
    stats = emulator.stats()
    assert stats["tasks_created"] == 1
    assert [f["kind"] for f in stats["faults_fired"]] == ["status", "status", "status"]
    assert stats["faults_pending"] == []


def test_429_fault_carries_retry_after(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.inject(Fault(kind="status", route="common", status=429, retry_after=2))
    response = client.get("/api/v1/team/balance")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "2")
    assert response.json()["message"].startswith("Rate limit exceeded:")


def test_drop_after_submit_still_creates_exactly_one_task(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.inject(Fault(kind="drop", route="submit"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(IMAGEN, json={"prompt": "x"})
    stats = emulator.stats()
    assert stats["tasks_created"] == 1
    assert stats["requests"][-1] == {"method": "POST", "path": IMAGEN, "status": None, "route": "submit"}
    # the connection pool recovers and the next request is answered normally
    assert client.post(IMAGEN, json={"prompt": "y"}).status_code == 200
    assert emulator.stats()["tasks_created"] == 2


def test_drop_on_poll(emulator: RunningEmulator, client: httpx.Client) -> None:
    task_id = client.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
    emulator.inject(Fault(kind="drop", route="poll"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/api/v1/tasks/{task_id}")
    wait_for_status(client, task_id, "success")


def test_malformed_json_on_submit_keeps_the_task(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.inject(Fault(kind="malformed_json", route="submit"))
    response = client.post(IMAGEN, json={"prompt": "x"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()
    assert emulator.stats()["tasks_created"] == 1


def test_truncated_body_makes_httpx_raise(emulator: RunningEmulator, client: httpx.Client) -> None:
    task_id = client.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
    url = wait_for_status(client, task_id, "success")["result"]["resources"][0]["url"]
    emulator.inject(Fault(kind="truncated", route="download"))
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete|complete message body"):
        httpx.get(url)
    assert httpx.get(url).content[:4] == b"\x89PNG"


def test_slow_delays_the_answer(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.inject(Fault(kind="slow", route="common", delay=0.5))
    started = time.monotonic()
    assert client.get("/api/v1/team/balance").status_code == 200
    assert time.monotonic() - started >= 0.5
    with pytest.raises(httpx.ReadTimeout):
        emulator.inject(Fault(kind="slow", route="common", delay=1.0))
        client.get("/api/v1/team/balance", timeout=0.2)


def test_route_filter_leaves_other_routes_alone(emulator: RunningEmulator, client: httpx.Client) -> None:
    emulator.inject(Fault(kind="status", route="download", status=503))
    assert client.get("/api/v1/team/balance").status_code == 200
    assert client.post(IMAGEN, json={"prompt": "x"}).status_code == 200
    assert len(emulator.stats()["faults_pending"]) == 1


def test_faults_from_config_and_reset_rearms_them(start_emulator: StartEmulator) -> None:
    emu = start_emulator(faults=[Fault(kind="status", route="common", status=500)])
    with client_for(emu) as http:
        assert http.get("/api/v1/models").status_code == 500
        assert http.get("/api/v1/models").status_code == 200
        emu.reset()
        assert emu.stats()["requests"] == []
        assert http.get("/api/v1/models").status_code == 500


def test_http_introspection_api(emulator: RunningEmulator, client: httpx.Client) -> None:
    base = emulator.base_url
    armed = httpx.post(f"{base}/_emulator/faults", json=[{"kind": "status", "route": "submit", "status": 503}])
    assert armed.status_code == 200
    assert armed.json()["injected"][0]["status"] == 503
    assert client.post(IMAGEN, json={"prompt": "x"}).status_code == 503
    bad = httpx.post(f"{base}/_emulator/faults", json={"kind": "explode"})
    assert bad.status_code == 400 and "Fault.kind must be one of" in bad.json()["message"]
    unknown = httpx.post(f"{base}/_emulator/faults", json={"kind": "drop", "rout": "submit"})
    assert unknown.status_code == 400 and "'rout'" in unknown.json()["message"]
    client.post(IMAGEN, json={"prompt": "x"})
    state = httpx.get(f"{base}/_emulator/state").json()
    assert state["tasks_created"] == 1 and state["tasks"][0]["slug"] == "google/imagen-4.0-generate-001"
    stats = httpx.get(f"{base}/_emulator/stats").json()
    assert [(r["method"], r["status"]) for r in stats["requests"]] == [("POST", 503), ("POST", 200)]
    assert httpx.post(f"{base}/_emulator/reset").json() == {"reset": True}
    assert httpx.get(f"{base}/_emulator/stats").json()["tasks_created"] == 0


def test_bad_fault_and_config_values_are_named() -> None:
    with pytest.raises(ValueError, match="Fault.route must be one of"):
        Fault(kind="drop", route="everywhere")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Fault.count must be >= 1, got 0"):
        Fault(kind="drop", count=0)
    with pytest.raises(ValueError, match="failure_rate must be within"):
        EmulatorConfig(failure_rate=2.0)


def test_drop_on_upload_stores_the_file_then_drops(emulator: RunningEmulator, client: httpx.Client) -> None:
    """Like a paid submit, the upload happens (the side effect) and only the answer is lost."""
    emulator.inject(Fault(kind="drop", route="common"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/api/v1/media/files", files={"file": ("dropped.png", b"\x89PNG-bytes", "image/png")})
    files = client.get("/api/v1/media/files").json()["data"]["files"]
    assert [(f["filename"], f["size"]) for f in files] == [("dropped.png", 10)]
    requests = emulator.stats()["requests"]
    assert requests[0] == {"method": "POST", "path": "/api/v1/media/files", "status": None, "route": "common"}


def _wait_for_requests(emulator: RunningEmulator, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while len(requests := emulator.stats()["requests"]) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(requests)


@pytest.mark.parametrize(
    ("path", "payload", "route"),
    [
        (IMAGEN, {"json": {"prompt": "x"}}, "submit"),
        ("/api/v1/media/files", {"files": {"file": ("a.png", b"\x89PNG")}}, "common"),
    ],
)
def test_client_timeout_mid_request_is_recorded_not_logged(
    emulator: RunningEmulator,
    client: httpx.Client,
    caplog: pytest.LogCaptureFixture,
    path: str,
    payload: dict[str, object],
    route: str,
) -> None:
    """The handler reads the body after the client left: a request-log entry, no uvicorn traceback."""
    emulator.inject(Fault(kind="slow", route=route, delay=0.6))  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="uvicorn.error"):
        with pytest.raises(httpx.ReadTimeout):
            client.post(path, timeout=0.15, **payload)  # type: ignore[arg-type]
        requests = _wait_for_requests(emulator, 1)
        time.sleep(0.1)  # a traceback would be logged right after the endpoint raised
    assert requests == [
        {"method": "POST", "path": path, "status": None, "route": route, "outcome": "client_disconnected"}
    ]
    assert emulator.stats()["tasks_created"] == 0 and emulator.stats()["media_files"] == 0
    logged = [r for r in caplog.records if r.name.startswith("uvicorn") and r.levelno >= logging.WARNING]
    assert logged == [], [r.getMessage() for r in logged]
    assert client.post(IMAGEN, json={"prompt": "y"}).status_code == 200  # the emulator is still healthy
