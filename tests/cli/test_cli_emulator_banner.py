"""``modellix-typed emulator``: the banner's export lines, a busy port named with the way out, and the 404
of an unknown model that names --accept-unknown-models."""

from __future__ import annotations

import signal
import socket
import subprocess

from modellix_typed.emulator import RunningEmulator

from .conftest import BIN, KEY, clean_env, cli
from .test_cli_progress_signals import launch


def _banner(env: dict[str, str], count: int) -> list[str]:
    assert BIN is not None
    process = subprocess.Popen(
        launch("emulator", "--port", "0"), env=clean_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(count)]
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=15)
    return lines + rest.splitlines()


def test_the_banner_prints_the_export_lines_and_never_a_real_key() -> None:
    with_key = _banner({"MODELLIX_API_KEY": KEY}, 4)
    base_url = with_key[0].rsplit(" ", 1)[1]
    assert with_key[3] == f"  export MODELLIX_BASE_URL={base_url}"
    assert KEY not in "\n".join(with_key) and "MODELLIX_API_KEY=" not in "\n".join(with_key)
    without = _banner({}, 5)
    assert without[3].startswith("  export MODELLIX_BASE_URL=http://127.0.0.1:")
    assert without[4] == "  export MODELLIX_API_KEY=test-key"  # the emulator's own test key


def test_a_busy_port_is_named_with_the_port_0_hint() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("emulator", "--port", str(port))
    assert result.code == 2, result.err
    assert f"port {port} on 127.0.0.1 is already in use" in result.err and "--port 0" in result.err
    assert "SystemExit" not in result.err


def test_an_unknown_model_404_mentions_accept_unknown_models(emulator: RunningEmulator) -> None:
    env = {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emulator.base_url}
    result = cli("run", "newco/model-2027", "--no-validate", "--body", '{"prompt": "x"}', "--json", env=env)
    assert result.code == 1, result.out + result.err
    assert "--accept-unknown-models" in result.json()["error"]["message"]
