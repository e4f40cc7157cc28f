"""The CLI against the plain server: raw runs (--no-validate) and server text stripped of control characters."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from modellix_typed.cli.safe_text import escape_json_controls, safe_text

from .conftest import API_KEY, PlainServer, envelope

BIN = shutil.which("modellix-typed", path=str(Path(sys.executable).parent))
HOSTILE = "bad\x1b[2J\x1b]0;pwned\x07 thing\x9b31m\r\nfake line\x7f"


def cli(server: PlainServer, *args: str) -> subprocess.CompletedProcess[str]:
    assert BIN is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELLIX_")}
    env.update(MODELLIX_API_KEY=API_KEY, MODELLIX_BASE_URL=server.base_url)
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_safe_text_removes_c0_esc_c1_and_del() -> None:
    assert safe_text(HOSTILE) == "bad [2J ]0;pwned  thing 31m  fake line "
    assert safe_text("a\tb\nc\x1bd", multiline=True) == "a\tb\nc d"
    assert safe_text("naïve 東京 ✓") == "naïve 東京 ✓"  # printable non-ASCII is kept
    document = escape_json_controls(json.dumps({"m": "x\x9by\x7f"}, ensure_ascii=False))
    assert "\x9b" not in document and json.loads(document) == {"m": "x\x9by\x7f"}


def test_run_no_validate_sends_any_model_and_failure_text_is_made_safe(server: PlainServer) -> None:
    server.on("POST", "/api/v1/newco/model-2027", envelope({"task_id": "task-5", "status": "pending"}))
    server.on("GET", "/api/v1/tasks/task-5", envelope({"task_id": "task-5", "status": "failed"}, message=HOSTILE))
    proc = cli(server, "run", "newco/model-2027", "--no-validate", "--body", '{"anything": [1]}', "--timeout", "10")
    assert proc.returncode == 4, proc.stderr
    [post] = server.requests("POST")
    assert json.loads(post.body) == {"anything": [1]}
    assert "bad [2J ]0;pwned" in proc.stderr
    for control in ("\x1b", "\x9b", "\x07", "\r", "\x7f"):
        assert control not in proc.stdout + proc.stderr



def test_json_output_keeps_server_text_exactly_but_escaped() -> None:
    from modellix_typed.cli.output import describe_error, dump
    from modellix_typed.errors import TaskFailed

    document = dump({"ok": False, "error": describe_error(TaskFailed("task-5", HOSTILE))[1]})
    assert not any(control in document for control in ("\x1b", "\x9b", "\x07", "\r", "\x7f"))
    assert json.loads(document)["error"]["reason"] == HOSTILE


def test_run_without_no_validate_still_rejects_an_unknown_model(server: PlainServer) -> None:
    proc = cli(server, "run", "newco/model-2027", "--body", "{}")
    assert proc.returncode == 2 and "unknown model" in proc.stderr and server.requests() == []
