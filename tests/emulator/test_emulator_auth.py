"""Bearer keys: 401 for anything unknown, validate-key never 401s, task ids are scoped per key."""

from __future__ import annotations

import httpx

from modellix_typed.emulator import RunningEmulator

from .conftest import IMAGEN, KEY, StartEmulator, client_for


def test_missing_and_wrong_key_get_401(emulator: RunningEmulator) -> None:
    plain = httpx.post(f"{emulator.base_url}{IMAGEN}", json={"prompt": "x"})
    assert plain.status_code == 401
    assert plain.json()["message"].startswith("Authentication failed: missing API key")
    with client_for(emulator, "wrong-key-999") as http:
        for response in (http.post(IMAGEN, json={"prompt": "x"}), http.get("/api/v1/tasks/task-1"),
                         http.get("/api/v1/models"), http.get("/api/v1/team/balance"),
                         http.get("/api/v1/media/files")):
            assert response.status_code == 401
            assert response.json() == {"code": 401, "message": "Authentication failed: invalid API key"}
            assert "wrong-key-999" not in response.text
    assert emulator.stats()["tasks_created"] == 0


def test_validate_key(emulator: RunningEmulator) -> None:
    url = f"{emulator.base_url}/api/v1/apikey/validate"
    good = httpx.get(url, headers={"Authorization": f"Bearer {KEY}"})
    assert good.json() == {"code": 0, "message": "success", "data": {"is_valid": True}}
    for headers in ({"Authorization": "Bearer nope"}, {}, {"Authorization": "Basic abc"}):
        bad = httpx.get(url, headers=headers)
        assert bad.status_code == 200
        assert bad.json()["data"] == {"is_valid": False}


def test_task_ids_are_scoped_per_key(start_emulator: StartEmulator) -> None:
    emu = start_emulator(api_keys=(KEY, "test-key-456"))
    with client_for(emu) as owner, client_for(emu, "test-key-456") as other:
        task_id = owner.post(IMAGEN, json={"prompt": "x"}).json()["data"]["task_id"]
        assert owner.get(f"/api/v1/tasks/{task_id}").status_code == 200
        foreign = other.get(f"/api/v1/tasks/{task_id}")
        assert foreign.status_code == 404
        assert foreign.json() == {"code": 404, "message": f"Resource not found: task '{task_id}' not found or expired"}
    stats = emu.stats()
    assert stats["tasks_by_key"] == {emu.key_label(KEY): 1}
    assert KEY not in repr(stats)


def test_zero_balance_refuses_submit_with_402(start_emulator: StartEmulator) -> None:
    emu = start_emulator(balance=0.0)
    with client_for(emu) as http:
        response = http.post(IMAGEN, json={"prompt": "x"})
    assert response.status_code == 402
    assert response.json()["message"].startswith("Insufficient balance:")
