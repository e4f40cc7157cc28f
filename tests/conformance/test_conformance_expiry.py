"""Result expiry (issue 21): the server's own value, in every form and place, most specific first; otherwise
an estimate, 7 days after the end time, marked as such. The emulator can send each form."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from typing import Any

import pytest

from modellix_typed import AsyncModellix, Modellix
from modellix_typed.download import ResultExpiryWarning, warn_if_expiring
from modellix_typed.emulator import EmulatorConfig, running_emulator
from modellix_typed.results import TaskResult

from .conftest import API_KEY, FAST_POLL, FAST_RETRY, PlainServer, envelope

WHEN = dt.datetime(2030, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
END = "2030-04-01T00:00:00Z"
FORMS = {"seconds": int(WHEN.timestamp()), "ms": int(WHEN.timestamp() * 1000), "iso": "2030-05-06T07:08:09Z",
         "iso_offset": "2030-05-06T09:08:09+02:00", "digits": str(int(WHEN.timestamp()))}
flavours = pytest.mark.parametrize("flavour", ["sync", "async"])


def task(**where: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"url": "https://cdn.example/a.png", **where.get("resource", {})}
    result: dict[str, Any] = {"resources": [resource], "extensions": {"end_time": END}, **where.get("result", {})}
    return {"status": "success", "task_id": "t-1", "result": result, **where.get("task", {})}


def fetch(flavour: str, server: PlainServer, data: dict[str, Any]) -> TaskResult:
    server.on("GET", "/api/v1/tasks/t-1", envelope(data))
    settings: dict[str, Any] = {"base_url": server.base_url, "retry_policy": FAST_RETRY}
    if flavour == "sync":
        with Modellix(API_KEY, **settings) as client:
            return client.tasks.get("t-1")

    async def go() -> TaskResult:
        async with AsyncModellix(API_KEY, **settings) as client:
            return await client.tasks.get("t-1")

    return asyncio.run(go())


@flavours
@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize(
    "place",
    [{"task": "result_expires_at"}, {"task": "expires_at"}, {"result": "expires_at"}, {"resource": "expires_at"},
     {"resource": "expiresAt"}],
    ids=lambda p: "/".join(f"{k}.{v}" for k, v in p.items()),
)
def test_the_servers_expiry_is_read_in_every_form_and_place(
    flavour: str, form: str, place: dict[str, str], server: PlainServer
) -> None:
    ((where, key),) = place.items()
    result = fetch(flavour, server, task(**{where: {key: FORMS[form]}}))
    assert result.expires_at == WHEN and result.expires_at_from_server
    assert result.resources[0].expires_at == WHEN  # a resource inherits what its result or task says


@flavours
def test_the_most_specific_expiry_wins(flavour: str, server: PlainServer) -> None:
    later = WHEN + dt.timedelta(days=1)
    data = task(task={"result_expires_at": int(later.timestamp() * 1000)},
                result={"expires_at": later.isoformat()},
                resource={"expires_at": int(WHEN.timestamp())})
    result = fetch(flavour, server, data)
    assert result.resources[0].expires_at == WHEN and result.expires_at == WHEN
    data = task(task={"result_expires_at": int(later.timestamp() * 1000)}, result={"expires_at": WHEN.isoformat()})
    assert fetch(flavour, server, data).expires_at == WHEN  # result's over the task's


@flavours
def test_without_a_server_value_it_is_an_estimate_seven_days_after_the_end(flavour: str, server: PlainServer) -> None:
    result = fetch(flavour, server, task())
    assert result.expires_at == dt.datetime(2030, 4, 8, tzinfo=dt.timezone.utc)
    assert not result.expires_at_from_server and result.resources[0].expires_at is None


def test_unusable_values_fall_back_to_the_estimate(server: PlainServer) -> None:
    for junk in ("soon", None, True, {"at": 1}, "", 10**30):
        result = fetch("sync", server, task(task={"result_expires_at": junk}))
        assert not result.expires_at_from_server, junk


def test_the_expiry_warning_uses_the_servers_value() -> None:
    from modellix_typed.results import parse_task

    now = dt.datetime.now(dt.timezone.utc)
    soon = parse_task(task(task={"result_expires_at": int((now + dt.timedelta(minutes=30)).timestamp() * 1000)}))
    with pytest.warns(ResultExpiryWarning, match="expire in"):
        warn_if_expiring(soon)  # the estimate (7 days after 2030-04-01) alone would be silent
    gone = parse_task(task(task={"result_expires_at": (now - dt.timedelta(hours=1)).isoformat()}))
    with pytest.warns(ResultExpiryWarning, match="the server's expiry"):
        warn_if_expiring(gone)
    fresh = parse_task(task(result={"expires_at": (now + dt.timedelta(days=3)).isoformat()}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_expiring(fresh)


@pytest.mark.parametrize("form", ["seconds", "ms", "iso"])
@pytest.mark.parametrize("at", ["task", "result", "resource"])
def test_the_emulator_states_its_seven_day_ttl_in_each_form(form: str, at: str) -> None:
    config = EmulatorConfig(api_keys=(API_KEY,), default_duration=0.05, durations={}, expiry_form=form,  # type: ignore[arg-type]
                            expiry_at=at)  # type: ignore[arg-type]
    with running_emulator(config) as emu, Modellix(API_KEY, base_url=emu.base_url, poll_policy=FAST_POLL) as client:
        result = client.run("google/nano-banana", {"prompt": "x"}, timeout=10)
    assert result.expires_at_from_server and result.completed_at is not None
    assert abs(result.expires_at - (result.completed_at + dt.timedelta(days=7))) <= dt.timedelta(seconds=1)  # type: ignore[operator]


def test_the_emulator_states_no_expiry_by_default() -> None:
    config = EmulatorConfig(api_keys=(API_KEY,), default_duration=0.05, durations={})
    assert config.result_ttl == 7 * 86400.0
    with running_emulator(config) as emu, Modellix(API_KEY, base_url=emu.base_url, poll_policy=FAST_POLL) as client:
        result = client.run("google/nano-banana", {"prompt": "x"}, timeout=10)
    assert not result.expires_at_from_server
