"""Client configuration checks and secrecy of the API key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from modellix_typed import AsyncModellix, AuthenticationError, ConfigurationError, MissingAPIKey, Modellix, RetryPolicy
from modellix_typed.emulator import Fault, RunningEmulator

SECRET = "test-key-SECRET-9f8e7d"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://api.modellix.ai", "plain http is only allowed for loopback"),
        ("ftp://127.0.0.1", "scheme must be https"),
        ("https://user:pw@api.modellix.ai", "credentials in the URL are not allowed"),
        ("https://api.modellix.ai/?x=1", "query string is not allowed"),
        ("https://api.modellix.ai/#frag", "fragment is not allowed"),
        ("https:///nohost", "no host"),
        ("https://api.modellix.ai:99999", "bad port"),
    ],
)
def test_bad_base_url_is_rejected_with_reason(url: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as info:
        Modellix("k", base_url=url)
    assert "pw" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.modellix.ai/", "https://api.modellix.ai"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:1/base/", "http://localhost:1/base"),
        ("http://[::1]:9", "http://[::1]:9"),
    ],
)
def test_good_base_urls(url: str, expected: str) -> None:
    assert Modellix("k", base_url=url).config.base_url == expected


def test_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELLIX_BASE_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("MODELLIX_API_KEY", SECRET)
    c = Modellix()
    assert c.config.base_url == "http://127.0.0.1:5000" and c.config.api_key == SECRET
    monkeypatch.delenv("MODELLIX_BASE_URL")
    assert Modellix().config.base_url == "https://api.modellix.ai"


def test_missing_key_fails_at_first_call_not_at_construction(
    monkeypatch: pytest.MonkeyPatch, emu: RunningEmulator, Image: Any
) -> None:
    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)
    with Modellix(base_url=emu.base_url) as c:  # constructing is fine
        with pytest.raises(MissingAPIKey, match="MODELLIX_API_KEY"):
            c.submit(Image("x"))
        with pytest.raises(MissingAPIKey):
            c.balance()
    assert emu.stats()["requests"] == []  # nothing was sent


def test_a_retry_policy_is_the_one_source_of_the_retry_count() -> None:
    with Modellix("k") as default, Modellix("k", max_retries=1) as one:
        assert (default.config.max_retries, one.config.max_retries) == (3, 1)
    with Modellix("k", max_retries=5, retry_policy=RetryPolicy(max_retries=0)) as client:
        assert client.config.max_retries == 0 and "max_retries=0" in repr(client)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"retry_policy": RetryPolicy(max_retries=-1)}, "max_retries"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"api_key": "has space"}, "whitespace"),
        ({"api_key": ""}, "empty"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, Any], fragment: str) -> None:
    kwargs.setdefault("api_key", "k")
    with pytest.raises(ConfigurationError, match=fragment) as info:
        Modellix(**kwargs)
    assert "has space" not in str(info.value)


def test_key_never_leaks_into_logs_repr_or_errors(
    emu: RunningEmulator,
    make_client: Callable[..., Modellix],
    Image: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    wrong = make_client(emu, api_key=SECRET)
    texts += [repr(wrong), str(wrong.config), repr(wrong.config)]
    with pytest.raises(AuthenticationError) as info:
        wrong.submit(Image("x"))
    texts += [str(info.value), repr(info.value), info.value.body]
    assert wrong.validate_key() is False
    # Errors on the good key's path too (retries are logged at INFO).
    good = make_client(emu)
    emu.inject(Fault(kind="status", route="poll", status=503, count=1, retry_after=0))
    result = good.run(Image("x"))
    handle = good.submit(Image("y"))
    handle.release()
    texts += [repr(result), repr(good), repr(handle), repr(AsyncModellix(SECRET, base_url=emu.base_url))]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert caplog.records  # the check below is about real log lines
    assert info.value.status == 401
    for text in texts:
        assert SECRET not in text and "test-key-123" not in text
