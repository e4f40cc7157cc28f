"""Rough edges found by using the SDK as a user would: typed errors instead of stray built-in ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from modellix_typed import AsyncModellix, ClientClosed, ConfigurationError, Modellix, ModellixError, TaskStatus
from modellix_typed.config import Timeouts
from modellix_typed.emulator import RunningEmulator


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"timeouts": 5}, "timeouts: expected a Timeouts object"),
        ({"timeouts": httpx.Timeout(5.0)}, "timeouts: expected a Timeouts object"),
        ({"max_retries": True}, "max_retries"),
        ({"max_concurrency": True}, "max_concurrency"),
    ],
)
def test_wrongly_typed_settings_fail_at_construction(kwargs: dict[str, Any], fragment: str) -> None:
    # A bare number used to be accepted and crash with AttributeError at the first request.
    with pytest.raises(ConfigurationError, match=fragment):
        Modellix("k", **kwargs)
    with pytest.raises(ConfigurationError, match=fragment):
        AsyncModellix("k", **kwargs)


@pytest.mark.parametrize("value", [None, "5", 0, -1.0, False])
def test_bad_timeout_values_name_the_field(value: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"timeouts\.read: must be a number of seconds > 0"):
        Timeouts(read=value)


def test_use_after_close_raises_a_typed_error(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, tmp_path: Path
) -> None:
    client = make_either(emu)
    result = client.run(Image("x"))
    client.close()
    client.close()  # idempotent
    for call in (lambda: client.balance(), lambda: client.submit(Image("y")), lambda: client.tasks.get("t")):
        with pytest.raises(ClientClosed, match="client is closed"):
            call()
    with pytest.raises(ClientClosed):
        client.download(result, tmp_path)
    assert isinstance(ClientClosed("x"), (ModellixError, RuntimeError))
    assert len([r for r in emu.stats()["requests"] if r["method"] == "POST"]) == 1  # nothing sent after close


def test_user_http_client_is_not_closed_but_our_close_still_counts(emu: RunningEmulator, api_key: str) -> None:
    http = httpx.Client()
    with Modellix(api_key, base_url=emu.base_url, http_client=http) as client:
        client.balance()
    assert not http.is_closed  # the caller owns it
    with pytest.raises(ClientClosed):
        client.balance()
    http.close()
    with pytest.raises(ClientClosed):  # closed by its owner: same typed error, not httpx's RuntimeError
        Modellix(api_key, base_url=emu.base_url, http_client=http).balance()


def test_async_use_after_close_and_async_on_update(
    emu: RunningEmulator, api_key: str, fast_poll: Any, Image: Any
) -> None:
    seen: list[TaskStatus] = []

    async def on_update(result: Any) -> None:  # an async callback is awaited, not dropped
        await asyncio.sleep(0)
        seen.append(result.status)

    async def main() -> None:
        client = AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll)
        async with client:
            result = await client.run(Image("x"), on_update=on_update)
        assert result.status is TaskStatus.SUCCESS
        with pytest.raises(ClientClosed):
            await client.balance()

    asyncio.run(main())
    assert seen and seen[-1] is TaskStatus.SUCCESS


def test_non_ascii_key_is_rejected_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # It used to fail only at the first request, with a UnicodeEncodeError whose args held "Bearer <key>".
    secret = "sk-secret-caf\u00e9-123"
    with pytest.raises(ConfigurationError, match="non-ASCII") as info:
        Modellix(secret)
    assert "caf" not in repr(info.value) and "caf" not in str(info.value)
    monkeypatch.setenv("MODELLIX_API_KEY", secret)
    with pytest.raises(ConfigurationError, match="non-ASCII"):
        AsyncModellix()


@pytest.mark.parametrize("timeout", [0, -1.0, "30"])
def test_a_bad_wait_timeout_is_rejected_before_any_paid_post(
    emu: RunningEmulator, make_either: Callable[..., Any], Image: Any, timeout: Any
) -> None:
    # run()/batch() used to POST first and only then reject the timeout: a charged task, and no task id.
    with make_either(emu) as client:
        with pytest.raises(ConfigurationError, match="timeout: must be a number of seconds > 0"):
            client.run(Image("x"), timeout=timeout)
        with pytest.raises(ConfigurationError, match="timeout"):
            client.batch([Image("a"), Image("b")], timeout=timeout)
    assert [r for r in emu.stats()["requests"] if r["method"] == "POST"] == []


@pytest.mark.parametrize(
    ("poll_policy", "fragment"),
    [(5, r"poll_policy: expected a PollPolicy"), ({"t2i": 5}, r"poll_policy\['t2i'\]: expected a PollPolicy")],
)
def test_a_bad_poll_policy_fails_at_construction(poll_policy: Any, fragment: str) -> None:
    # {"t2i": 5} used to be accepted and crash with AttributeError when a wait started, after the paid POST.
    with pytest.raises(ConfigurationError, match=fragment):
        Modellix("k", poll_policy=poll_policy)
