"""The caller's session under a fault plan: submit a batch (or single runs), then download every result.

Runs in a guarded thread: anything escaping that is not a ModellixError is recorded as untyped, and a
session still running after HANG_LIMIT is reported as a hang rather than blocking the test run.
"""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from modellix_typed.client import AsyncModellix, Modellix
from modellix_typed.emulator import RunningEmulator
from modellix_typed.errors import ModellixError
from modellix_typed.request import RequestModel
from modellix_typed.results import TaskResult

from .evidence import CallerLedger, WireObserver
from .leaks import key_in
from .scenarios import API_KEY, POLL, RETRY, TIMEOUTS, Scenario

HANG_LIMIT = 10.0  # a session still running after this is reported as a hang (normal: under 3 s)


def requests_for(name: str, images: int, videos: int) -> list[RequestModel]:
    """Distinct prompts, so every input is a distinct paid body."""
    from modellix_typed.models.google import NanoBanana
    from modellix_typed.models.minimax import MinimaxT2V01

    items: list[RequestModel] = [NanoBanana(prompt=f"{name} image {i}") for i in range(images)]
    items += [MinimaxT2V01(prompt=f"{name} video {i}") for i in range(videos)]
    return items


def _client_kwargs(emu: RunningEmulator) -> dict[str, Any]:
    return {
        "base_url": emu.base_url,
        "timeouts": TIMEOUTS,
        "retry_policy": RETRY,
        "poll_policy": POLL,
        "max_concurrency": 3,
    }


@contextmanager
def _recorded(ledger: CallerLedger, task_id: str | None = None) -> Iterator[None]:
    """Record what escapes the block: a ModellixError is a typed outcome, anything else is untyped."""
    try:
        yield
    except ModellixError as exc:
        ledger.error(exc, task_id)
    except Exception as exc:
        ledger.escaped(exc, task_id)


def _settle_batch(ledger: CallerLedger, outcomes: Sequence[Any], intended: int) -> list[TaskResult]:
    """Record a batch's outcomes; returns the successful results, in input order."""
    if [o.index for o in outcomes] != list(range(intended)):
        ledger.notes.append(f"batch returned indexes {[o.index for o in outcomes]} for {intended} inputs")
    results = []
    for outcome in outcomes:
        if outcome.result is not None:
            ledger.fates[outcome.result.task_id] = "not downloaded"
            results.append(outcome.result)
        elif outcome.error is not None:
            ledger.error(outcome.error, outcome.task_id)
        else:
            ledger.notes.append(f"batch outcome {outcome.index} ({outcome.kind}) has neither result nor error")
    return results


def _drive_sync(emu: RunningEmulator, sc: Scenario, folder: Path, ledger: CallerLedger, obs: WireObserver) -> None:
    http = httpx.Client(event_hooks={"request": [obs.on_request], "response": [obs.on_response]})
    requests = requests_for(sc.name, sc.images, sc.videos)
    with http, Modellix(API_KEY, http_client=http, **_client_kwargs(emu)) as client:
        ledger.sync_client = client
        ledger.notes.extend(key_in([repr(client), str(client.config)], "client repr", API_KEY))
        results: list[TaskResult] = []
        if sc.workload == "batch":
            results = _settle_batch(ledger, client.batch(requests, timeout=sc.wait_timeout), len(requests))
        else:
            for request in requests:
                try:
                    result = client.run(request, timeout=sc.wait_timeout)
                except ModellixError as exc:
                    ledger.error(exc)
                else:
                    ledger.fates[result.task_id] = "not downloaded"
                    results.append(result)
        time.sleep(sc.download_delay)
        for result in results:
            with _recorded(ledger, result.task_id):
                ledger.saved(result.task_id, result.download(folder))


async def _drive_async(
    emu: RunningEmulator, sc: Scenario, folder: Path, ledger: CallerLedger, obs: WireObserver
) -> None:
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [obs.aon_request], "response": [obs.aon_response]}
    requests = requests_for(sc.name, sc.images, sc.videos)
    async with httpx.AsyncClient(event_hooks=hooks) as http:
        async with AsyncModellix(API_KEY, http_client=http, **_client_kwargs(emu)) as client:
            outcomes = await client.batch(requests, timeout=sc.wait_timeout)
            results = _settle_batch(ledger, outcomes, len(requests))
            await asyncio.sleep(sc.download_delay)
            for result in results:
                with _recorded(ledger, result.task_id):
                    ledger.saved(result.task_id, await client.download(result, folder))


def drive(emu: RunningEmulator, sc: Scenario, folder: Path, ledger: CallerLedger, obs: WireObserver) -> None:
    """The caller's whole session; anything that is not a ModellixError escaping it is untyped."""
    with _recorded(ledger), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expiry warnings are logged too; the log capture sees them
        if sc.workload == "async_batch":
            asyncio.run(_drive_async(emu, sc, folder, ledger, obs))
        else:
            _drive_sync(emu, sc, folder, ledger, obs)


def run_guarded(target: Callable[[], None], limit: float, ledger: CallerLedger) -> bool:
    """Run ``target`` in a daemon thread; False when it is still running after ``limit`` (a hang)."""
    thread = threading.Thread(target=target, name="fault-workload", daemon=True)
    thread.start()
    thread.join(limit)
    if not thread.is_alive():
        return True
    _unstick(thread, ledger)
    return False


def _unstick(thread: threading.Thread, ledger: CallerLedger, limit: float = 10.0) -> None:
    """After a detected hang, free the sync client's concurrency slots until the workload ends.

    A batch blocked on leaked slots runs in non-daemon pool threads, which would keep the interpreter (and
    the pytest run) from ever exiting. This reaches into the limiter on purpose: it is cleanup, not a test.
    """
    client = ledger.sync_client
    deadline = time.monotonic() + limit
    while client is not None and thread.is_alive() and time.monotonic() < deadline:
        limiter = client._limiter
        for slot in list(limiter._book.held.values()):
            limiter.release(slot)
        thread.join(0.05)
