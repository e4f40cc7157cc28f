"""Run one scenario against a fresh emulator and turn its evidence into a row of the fault table."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator
from modellix_typed.errors import SubmissionOutcomeUnknown

from .evidence import CallerLedger, WireObserver
from .leaks import captured_logs, error_texts, key_in
from .scenarios import API_KEY, TIME_SCALE, Scenario
from .workload import HANG_LIMIT, drive, run_guarded


def run_scenario(sc: Scenario, folder: Path | None = None) -> dict[str, Any]:
    """Drive ``sc`` against a fresh emulator and return its row of the fault table."""
    started = time.perf_counter()
    ledger, obs = CallerLedger(), WireObserver()
    config = EmulatorConfig(
        api_keys=(API_KEY,),
        time_scale=TIME_SCALE,
        concurrency_limit=3,
        rpm_limit=None,
        failure_rate=0.0,
        result_ttl=sc.result_ttl,
        faults=sc.faults,
    )
    with tempfile.TemporaryDirectory(prefix=f"faults-{sc.name}-") as tmp:
        out = folder or Path(tmp)
        with captured_logs() as log_lines, running_emulator(config) as emu:
            finished = run_guarded(lambda: drive(emu, sc, out, ledger, obs), HANG_LIMIT, ledger)
            _settle_server(emu, sc)
            label = emu.key_label(API_KEY)
            server = {t.task_id: t.status(emu.state.now()) for t in emu.state.tasks.all() if t.key_label == label}
            stats = emu.stats()
            stats["created_for_key"] = stats["tasks_by_key"].get(label, 0)
        saved_names = [p.name for p in out.iterdir()] if out.is_dir() else []
    with ledger.lock:
        row = account(sc, ledger, obs, server, stats, finished, list(log_lines), saved_names)
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def _settle_server(emu: RunningEmulator, sc: Scenario, limit: float = 5.0) -> None:
    """Let stalled submits land and every created task reach its final state before counting."""
    if any(f.kind == "slow" for f in sc.faults):
        time.sleep(max(f.delay for f in sc.faults if f.kind == "slow") * 0.5)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        now = emu.state.now()
        if not any(t.is_running(now) for t in emu.state.tasks.all()):
            return
        time.sleep(0.02)


def account(
    sc: Scenario,
    ledger: CallerLedger,
    obs: WireObserver,
    server: Mapping[str, str],
    stats: Mapping[str, Any],
    finished: bool,
    log_lines: list[str],
    saved_names: list[str],
) -> dict[str, Any]:
    """The row: figures, pass-criteria ``violations`` and ``expectation_mismatches`` (empty when fine).

    ``server`` maps every task the emulator created for our key to its final status; ``saved_names`` lists
    the download folder, so partial files left behind are caught too.
    """
    created = int(stats.get("created_for_key", len(server)))  # the emulator's own count for our key
    typed = Counter(type(e).__name__ for e in ledger.errors)
    unknown_outcomes = sum(isinstance(e, SubmissionOutcomeUnknown) for e in ledger.errors)
    orphans = sorted(set(server) - set(ledger.fates))  # created, but the caller never learned the id
    phantom = sorted(set(ledger.fates) - set(server))
    lost = sorted(
        tid
        for tid, fate in ledger.fates.items()
        if fate.startswith("untyped") or (server.get(tid) == "success" and fate in ("not downloaded", "corrupt file"))
    )
    saved = sum(1 for fate in ledger.fates.values() if fate == "saved")
    resubmits = obs.resubmits_after_ambiguous()
    leaks = key_in(log_lines, "logs", API_KEY)
    for exc in [*ledger.errors, *ledger.untyped]:
        leaks += key_in(error_texts(exc), f"{type(exc).__name__} text", API_KEY)
    leaks += key_in(saved_names, "saved file names", API_KEY)
    if obs.downloads_with_key:
        leaks.append(f"Authorization header sent with {obs.downloads_with_key} result download(s)")
    leaks += [n for n in ledger.notes if n.startswith("API key")]

    violations = []
    if not finished:
        violations.append(f"workload still running after {HANG_LIMIT:.0f}s (hang)")
    if created > sc.intended:
        violations.append(f"duplicate paid submissions: {created} tasks created for {sc.intended} intended")
    if resubmits:
        violations.append(f"{resubmits} paid POST(s) re-sent after an ambiguous outcome")
    if len(orphans) > unknown_outcomes:
        violations.append(
            f"{len(orphans)} created task(s) unknown to the caller but only {unknown_outcomes} "
            f"SubmissionOutcomeUnknown raised: {orphans}"
        )
    if phantom:
        violations.append(f"caller holds task ids the server never created: {phantom}")
    if lost:
        violations.append(f"lost results (succeeded, neither saved nor explained by a typed error): {lost}")
    if ledger.untyped:
        violations.append(f"untyped exceptions: {[f'{type(e).__name__}: {e}' for e in ledger.untyped]}")
    if ledger.bad_files:
        violations.append(f"saved files that are not valid media: {ledger.bad_files}")
    violations += [n for n in ledger.notes if not n.startswith("API key")]
    partial = [n for n in saved_names if n.startswith(".") or n.endswith(".part")]
    if partial:
        violations.append(f"partial download files left behind: {partial}")
    violations += leaks

    fired = len(stats.get("faults_fired", []))
    planned = sum(f.count for f in sc.faults)
    mismatches = []
    if fired != planned:
        mismatches.append(f"{fired} of {planned} planned faults fired")
    if sc.expect_errors is not None and dict(typed) != dict(sc.expect_errors):
        mismatches.append(f"typed errors {dict(typed)} != expected {dict(sc.expect_errors)}")
    if sc.expect_saved is not None and saved != sc.expect_saved:
        mismatches.append(f"{saved} results saved != expected {sc.expect_saved}")
    if sc.expect_created is not None and created != sc.expect_created:
        mismatches.append(f"{created} tasks created != expected {sc.expect_created}")

    return {
        "fault": sc.fault,
        "workload": f"{sc.workload} of {sc.images} image + {sc.videos} video",
        "tasks_intended": sc.intended,
        "tasks_created": created,
        "tasks_succeeded_on_server": sum(1 for s in server.values() if s == "success"),
        "results_saved": saved,
        "files_verified": len(ledger.files) - len(ledger.bad_files),
        "typed_errors": dict(sorted(typed.items())),
        "untyped_exceptions": len(ledger.untyped),
        "submit_attempts": obs.total(),
        "submit_429s": obs.count_status(429),
        "download_requests": obs.downloads,
        "resubmits_after_ambiguous": resubmits,
        "created_unknown_to_caller": len(orphans),
        "lost_results": len(lost),
        "key_leaks": len(leaks),
        "log_lines_scanned": len(log_lines),
        "faults_planned": planned,
        "faults_fired": fired,
        "passed": not violations,
        "violations": violations,
        "as_expected": not mismatches,
        "expectation_mismatches": mismatches,
    }
