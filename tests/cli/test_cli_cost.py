"""Catalog prices: ``models list --live`` shows them; ``run``/``batch`` show unit × tasks (or "unknown") and
``--max-cost`` refuses (exit 2, nothing sent). The emulator's model list carries the prices."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from modellix_typed.emulator.config import EmulatorConfig
from modellix_typed.emulator.server import RunningEmulator, running_emulator
from modellix_typed.pricing import Estimate, unit_price

from .conftest import KEY, cli

PRICES = {"google/nano-banana": {"price": 0.04}, "google/imagen-4.0-generate-001": {"pricing": {"usd": "0.05"}}}
NANO = {"model": "google/nano-banana", "body": {"prompt": "a lake"}}
UNPRICED = {"model": "google/nano-banana-pro", "body": {"prompt": "a lake"}}


@pytest.fixture(scope="module")
def priced_emulator() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(api_keys=(KEY,), time_scale=0.001, prices=PRICES, concurrency_limit=None)
    with running_emulator(config) as running:
        yield running


@pytest.fixture()
def env(priced_emulator: RunningEmulator) -> dict[str, str]:
    priced_emulator.reset()
    return {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": priced_emulator.base_url}


def posts(emulator: RunningEmulator) -> int:
    return sum(r["method"] == "POST" for r in emulator.stats()["requests"])


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"price": 0.04}, Decimal("0.04")),
        ({"price_usd": "1.5"}, Decimal("1.5")),
        ({"pricing": {"usd": 2}}, Decimal("2")),
        ({"pricing": {"price": "$0.10"}}, Decimal("0.10")),
        ({"price": None, "price_usd": 0.3}, Decimal("0.3")),
        ({"price": -1}, None),
        ({"price": True}, None),
        ({"price": "free"}, None),
        ({"pricing": "0.1"}, None),
        ({}, None),
    ],
)
def test_unit_price_fields(entry: dict[str, object], expected: Decimal | None) -> None:
    assert unit_price(entry) == expected


def test_estimate_is_unit_times_tasks_or_unknown() -> None:
    known = Estimate.of(["a/b", "a/b", "a/c"], {"a/b": Decimal("0.04"), "a/c": Decimal("0.5")})
    assert known.total == Decimal("0.58") and known.to_json()["total_usd"] == "0.58"
    unknown = Estimate.of(["a/b", "a/d"], {"a/b": Decimal("0.04")})
    assert unknown.total is None and "no price for a/d" in unknown.describe()
    unreadable = Estimate.of(["a/b"], None, reason="the model catalog could not be read (x)")
    assert unreadable.total is None and "could not be read" in unreadable.to_json()["reason"]


def test_models_list_live_shows_catalog_prices(env: dict[str, str]) -> None:
    result = cli("models", "list", "--live", "--json", env=env)
    assert result.code == 0, result.err
    rows = {row["slug"]: row for row in result.json()["models"]}
    assert rows["google/nano-banana"]["price_usd"] == "0.04"
    assert rows["google/imagen-4.0-generate-001"]["price_usd"] == "0.05"
    assert rows["google/nano-banana-pro"]["price_usd"] is None
    human = cli("models", "list", "--live", "--provider", "google", env=env)
    assert any(line.startswith("google/nano-banana ") and line.endswith("$0.04") for line in human.out.splitlines())


def test_run_shows_the_estimate_and_max_cost_refuses_unsent(env: dict[str, str], priced_emulator: RunningEmulator) -> None:
    body = json.dumps(NANO["body"])
    refused = cli("run", "google/nano-banana", "--body", body, "--max-cost", "0.01", "--json", env=env)
    assert refused.code == 2, refused.out + refused.err
    error = refused.json()["error"]
    assert error["type"] == "CostGuard" and "$0.0400" in error["message"] and posts(priced_emulator) == 0
    done = cli("run", "google/nano-banana", "--body", body, "--max-cost", "0.05", "--json", env=env)
    assert done.code == 0, done.out + done.err
    assert done.json()["estimate"]["total_usd"] == "0.04" and posts(priced_emulator) == 1
    unknown = cli("run", "google/nano-banana-pro", "--body", body, "--no-wait", "--json", env=env)
    assert unknown.code == 0 and unknown.json()["estimate"]["known"] is False
    assert "no price for google/nano-banana-pro" in unknown.json()["estimate"]["reason"]


def test_batch_estimate_in_json_guard_and_max_cost(
    env: dict[str, str], priced_emulator: RunningEmulator, tmp_path: Path
) -> None:
    source = tmp_path / "three.jsonl"
    source.write_text("".join(json.dumps(NANO) + "\n" for _ in range(3)))
    result = cli("batch", str(source), "--json", env=env)
    assert result.code == 0, result.out + result.err
    estimate = result.json()["estimate"]
    assert estimate["total_usd"] == "0.12" and estimate["models"] == [
        {"slug": "google/nano-banana", "tasks": 3, "unit_usd": "0.04"}
    ]
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps(NANO) + "\n" for _ in range(25)))
    guarded = cli("batch", str(big), "--json", env=env)
    assert guarded.code == 2 and "estimated cost $1.0000" in guarded.json()["error"]["message"]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(json.dumps(NANO) + "\n" + json.dumps(UNPRICED) + "\n")
    before = posts(priced_emulator)
    unknown = cli("batch", str(mixed), "--max-cost", "10", "--json", env=env)
    assert unknown.code == 2 and "cannot be checked" in unknown.json()["error"]["message"]
    assert posts(priced_emulator) == before  # nothing was sent


@contextmanager
def counting_proxy(target_port: int) -> Iterator[tuple[str, list[int]]]:
    """A TCP proxy on 127.0.0.1 in front of ``target_port``: (its base URL, the connections it accepted)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                accepted.append(1)
                upstream = socket.create_connection(("127.0.0.1", target_port))
                threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        listener.close()


@pytest.mark.parametrize("command", ["run", "batch"])
def test_the_price_is_asked_on_the_connection_that_then_pays(
    env: dict[str, str], priced_emulator: RunningEmulator, tmp_path: Path, command: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(NANO) + "\n")
    args = ["run", NANO["model"], "--body", json.dumps(NANO["body"])] if command == "run" else ["batch", str(source)]
    port = int(priced_emulator.base_url.rsplit(":", 1)[1])
    with counting_proxy(port) as (base_url, accepted):
        done = cli(*args, "--json", env={**env, "MODELLIX_BASE_URL": base_url})
    assert done.code == 0, done.out + done.err
    assert done.json()["estimate"]["total_usd"] == "0.04"
    routes = [(r["method"], r["path"].split("/")[3]) for r in priced_emulator.stats()["requests"]]
    assert routes[:2] == [("GET", "models"), ("POST", "google")]  # the price, then the paid POST
    assert len(accepted) == 1  # one client, one kept-alive connection: no second handshake for the price
