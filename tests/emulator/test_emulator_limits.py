"""Team limits: running tasks (concurrency) and requests per minute, both 429 with Retry-After."""

from __future__ import annotations

from .conftest import IMAGEN, KEY, StartEmulator, client_for

OTHER = "test-key-456"
OUTSIDER = "test-key-789"


def test_concurrency_limit_is_team_wide(start_emulator: StartEmulator) -> None:
    emu = start_emulator(
        time_scale=1.0, durations={"t2i": 30.0}, concurrency_limit=2,
        api_keys=(KEY, OTHER, OUTSIDER), teams={OUTSIDER: "team-b"},
    )
    with client_for(emu) as first, client_for(emu, OTHER) as second, client_for(emu, OUTSIDER) as outsider:
        assert first.post(IMAGEN, json={"prompt": "a"}).status_code == 200
        assert second.post(IMAGEN, json={"prompt": "b"}).status_code == 200
        for http in (first, second):
            refused = http.post(IMAGEN, json={"prompt": "c"})
            assert refused.status_code == 429
            assert refused.json() == {
                "code": 429, "message": "Concurrent limit exceeded: team has 2 running tasks (limit 2)",
            }
            assert 1 <= int(refused.headers["Retry-After"]) <= 30
        assert outsider.post(IMAGEN, json={"prompt": "d"}).status_code == 200
    assert emu.stats()["tasks_created"] == 3


def test_finished_tasks_free_the_slot(start_emulator: StartEmulator) -> None:
    emu = start_emulator(concurrency_limit=1)  # t2i finishes in 5 ms
    with client_for(emu) as http:
        import time

        for _ in range(3):
            assert http.post(IMAGEN, json={"prompt": "x"}).status_code == 200
            time.sleep(0.02)


def test_rpm_limit(start_emulator: StartEmulator) -> None:
    emu = start_emulator(rpm_limit=3, api_keys=(KEY, OTHER))
    with client_for(emu) as http, client_for(emu, OTHER) as teammate:
        for remaining in ("2", "1"):
            ok = http.get("/api/v1/team/balance")
            assert ok.status_code == 200
            assert (ok.headers["X-RateLimit-Limit"], ok.headers["X-RateLimit-Remaining"]) == ("3", remaining)
        assert teammate.get("/api/v1/models").status_code == 200
        refused = http.post(IMAGEN, json={"prompt": "x"})
        assert refused.status_code == 429
        assert refused.json()["message"].startswith("Rate limit exceeded: 3 requests per minute per team")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["X-RateLimit-Limit"] == "3"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert teammate.get("/api/v1/tasks/task-x").status_code == 429
        # validate-key is not rate limited
        assert http.get("/api/v1/apikey/validate").json()["data"]["is_valid"] is True
    assert emu.stats()["tasks_created"] == 0
