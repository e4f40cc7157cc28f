"""`python -m modellix_typed.emulator` prints its URL first, serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx

from modellix_typed.emulator.cli import main

from .conftest import FIXTURE_SPECS, IMAGEN


def test_cli_serves_until_terminated() -> None:
    fault = json.dumps({"kind": "status", "route": "common", "status": 503})
    process = subprocess.Popen(
        [sys.executable, "-m", "modellix_typed.emulator", "--port", "0", "--specs", str(FIXTURE_SPECS),
         "--api-key", "test-key-cli", "--time-scale", "0.001", "--fault", fault],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("Modellix emulator listening on http://127.0.0.1:"), first
        base = first.rsplit(" ", 1)[1]
        headers = {"Authorization": "Bearer test-key-cli"}
        assert httpx.post(f"{base}{IMAGEN}", json={"prompt": "x"}, headers=headers).status_code == 200
        assert httpx.get(f"{base}/api/v1/models", headers=headers).status_code == 503
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "test-key-cli" not in out + err + first


def test_cli_reports_bad_input(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert main(["--specs", str(tmp_path / "missing")]) == 2
    assert "specs directory not found" in capsys.readouterr().err


def test_cli_names_a_bad_fault(capsys) -> None:  # type: ignore[no-untyped-def]
    """Both command lines parse --fault with Fault.from_text; each problem is named."""
    for text, reason in [
        ("{", "not valid JSON"),
        ("[1]", "must be a JSON object, got [1]"),
        ('{"kind": "drop", "rout": "submit"}', "unknown Fault field(s) ['rout']"),
        ('{"kind": "explode"}', "Fault.kind must be one of"),
    ]:
        try:
            main(["--specs", str(FIXTURE_SPECS), "--fault", text])
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"--fault {text!r} was accepted")
        err = capsys.readouterr().err
        assert f"invalid --fault {text!r}" in err and reason in err, err
