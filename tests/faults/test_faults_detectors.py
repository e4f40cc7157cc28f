"""The fault suite's detectors catch what they claim to catch (so a green fault table means something)."""

from __future__ import annotations

import logging
import struct
import zlib
from typing import Any

import httpx
import pytest

from bench.faults.accounting import account
from bench.faults.evidence import CallerLedger, WireObserver
from bench.faults.leaks import captured_logs, error_texts
from bench.faults.media_check import mp4_problem, png_problem
from bench.faults.scenarios import API_KEY, POLL, RETRY, TIMEOUTS, Scenario
from bench.faults.workload import requests_for
from modellix_typed.client import Modellix
from modellix_typed.emulator import EmulatorConfig, Fault, running_emulator
from modellix_typed.emulator.media import mp4_bytes, png_bytes
from modellix_typed.errors import SubmissionOutcomeUnknown


def test_png_check_accepts_emulator_png_and_rejects_damage() -> None:
    good = png_bytes(8, 6)
    assert png_problem(good) is None
    assert png_problem(good[:-10]) is not None  # truncated
    flipped = bytearray(good)
    flipped[40] ^= 0xFF  # inside IHDR/IDAT: CRC no longer matches
    assert png_problem(bytes(flipped)) is not None
    assert png_problem(b'{"code": 0, "message": "success"}') == "no PNG signature"
    # A well-formed PNG whose pixel data is too short for its IHDR size.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    short = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" * 5))
        + chunk(b"IEND", b"")
    )
    assert png_problem(short) == "pixel data size mismatch"


def test_mp4_check_accepts_emulator_mp4_and_rejects_damage() -> None:
    good = mp4_bytes(16, 9)
    assert mp4_problem(good) is None
    assert mp4_problem(good[:-3]) is not None
    assert mp4_problem(b"\x00\x00\x00\x10free" + b"\x00" * 8) == "does not start with an ftyp box"


def test_observer_flags_a_resubmission_after_an_unknown_outcome() -> None:
    """Caller code that retries a POST by hand after SubmissionOutcomeUnknown is a duplicate; we see it."""
    observer = WireObserver()
    config = EmulatorConfig(api_keys=(API_KEY,), time_scale=0.01, faults=[Fault(kind="drop", route="submit")])
    with running_emulator(config) as emu:
        http = httpx.Client(event_hooks={"request": [observer.on_request], "response": [observer.on_response]})
        with http, Modellix(
            API_KEY, base_url=emu.base_url, http_client=http, timeouts=TIMEOUTS, retry_policy=RETRY, poll_policy=POLL
        ) as client:
            request = requests_for("dup", 1, 0)[0]
            with pytest.raises(SubmissionOutcomeUnknown):
                client.submit(request)
            client.submit(request).wait()  # the careless retry
        assert emu.stats()["tasks_created"] == 2
    assert observer.total() == 2
    assert observer.resubmits_after_ambiguous() == 1


def test_observer_allows_a_retry_after_a_definite_rejection() -> None:
    observer = WireObserver()
    observer.attempts = {"a": [429, 429, 200], "b": [None, 200], "c": [503], "d": [400]}
    assert observer.resubmits_after_ambiguous() == 1  # only b's second attempt
    assert observer.count_status(429) == 2


def _bare_row(ledger: CallerLedger, server: dict[str, str], logs: list[str]) -> dict[str, Any]:
    sc = Scenario(name="probe", fault="none", images=2)
    return account(sc, ledger, WireObserver(), server, {"faults_fired": []}, True, logs, [])


def test_row_flags_lost_results_orphans_untyped_errors_and_leaks() -> None:
    ledger = CallerLedger()
    ledger.fates["task-a"] = "not downloaded"  # succeeded, never saved, no error: lost
    ledger.escaped(KeyError("boom"))
    row = _bare_row(ledger, {"task-a": "success", "task-b": "success"}, [f"DEBUG Authorization: Bearer {API_KEY}"])
    text = "\n".join(row["violations"])
    assert "lost results" in text and "task-a" in text
    assert "unknown to the caller" in text and "task-b" in text  # no SubmissionOutcomeUnknown covers it
    assert "untyped exceptions" in text and "KeyError" in text
    assert "API key found in logs" in text
    assert row["passed"] is False


def test_row_accepts_orphans_covered_by_outcome_unknown() -> None:
    ledger = CallerLedger()
    ledger.error(SubmissionOutcomeUnknown("no response", slug="google/nano-banana", body_sha256="0" * 64))
    ledger.fates["task-a"] = "saved"
    row = _bare_row(ledger, {"task-a": "success", "task-b": "success"}, ["modellix_typed INFO fine"])
    assert row["violations"] == []
    assert row["created_unknown_to_caller"] == 1


def test_log_capture_and_error_texts_see_what_a_caller_would_print() -> None:
    with captured_logs() as lines:
        logging.getLogger("httpx").debug("header %s", API_KEY)
    assert any(API_KEY in line for line in lines)
    try:
        raise SubmissionOutcomeUnknown("x", slug="s", body_sha256="0" * 64, partial={"echo": API_KEY})
    except SubmissionOutcomeUnknown as exc:
        assert any(API_KEY in t for t in error_texts(exc))


def test_observer_flags_the_key_sent_to_a_result_host() -> None:
    observer = WireObserver()
    observer.on_request(httpx.Request("GET", "http://cdn.example/files/task-1/0.png"))
    observer.on_request(
        httpx.Request("GET", "http://cdn.example/files/task-2/0.png", headers={"Authorization": f"Bearer {API_KEY}"})
    )
    assert (observer.downloads, observer.downloads_with_key) == (2, 1)
    sc = Scenario(name="probe", fault="none", images=0)
    row = account(sc, CallerLedger(), observer, {}, {"faults_fired": []}, True, ["x"], [])
    assert any("Authorization header sent" in v for v in row["violations"])
