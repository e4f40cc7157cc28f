"""What the signal and progress tests share: the CLI as a real child process (SIGINT at its default, stderr
lines read as they arrive with their arrival times) and the environment it talks to the slow emulator with
(``slow`` in the conftest: ~3 s image tasks).

Every child is started with SIGINT and SIGHUP at their defaults (a test run in a background job inherits SIGINT
ignored, under nohup SIGHUP too, and a CLI started so keeps them ignored, as a shell expects).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

from modellix_typed.emulator import RunningEmulator

from .conftest import BIN, KEY, clean_env

SLUG = "google/nano-banana"
BODY = json.dumps({"prompt": "a lighthouse"})
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


# The CLI started through a tiny exec wrapper that sets SIGINT and SIGHUP back to their defaults first, as a
# terminal starts a command (a disposition survives exec, and `nohup make ci &` starts this test run with both
# ignored; preexec_fn is unsafe in this multithreaded test process). Signals named in argv[1] are ignored instead.
SIGNALS_WRAPPER = [
    sys.executable, "-c",
    (
        "import os, signal, sys\n"
        "for s in (signal.SIGINT, signal.SIGHUP): signal.signal(s, signal.SIG_DFL)\n"
        "for s in filter(None, sys.argv[1].split(',')): signal.signal(int(s), signal.SIG_IGN)\n"
        "os.execv(sys.argv[2], sys.argv[2:])"
    ),
]


def launch(*args: str, ignored: tuple[signal.Signals, ...] = ()) -> list[str]:
    """argv that runs ``modellix-typed ARGS`` with SIGINT and SIGHUP at their defaults, as from a terminal, or
    with the ``ignored`` signals ignored, as ``nohup`` or a shell's background job starts it."""
    assert BIN is not None
    return [*SIGNALS_WRAPPER, ",".join(str(int(s)) for s in ignored), BIN, *args]


def child_env(slow: RunningEmulator) -> dict[str, str]:
    """A fresh emulator state and the environment a child talks to it with."""
    slow.reset()
    return clean_env({"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": slow.base_url})


class Child:
    """A CLI subprocess whose stderr lines are read as they arrive, each with its arrival time."""

    def __init__(self, args: list[str], env: dict[str, str], ignored: tuple[signal.Signals, ...] = ()) -> None:
        assert BIN is not None
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            launch(*args, ignored=ignored), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for _, line in self.lines):
            assert time.monotonic() < deadline and self.process.poll() is None, self.err
            time.sleep(0.02)

    def finish(self, timeout: float = 30) -> tuple[int, str, float]:
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        code = self.process.wait(timeout=timeout)
        ended = time.monotonic()
        self.reader.join(timeout=5)
        assert KEY not in out + self.err
        return code, out, ended

    @property
    def err(self) -> str:
        return "\n".join(line for _, line in self.lines)


def posts(emu: RunningEmulator) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "POST")


def _polled(emu: RunningEmulator) -> bool:
    return any(r["path"].startswith("/api/v1/tasks/") for r in emu.stats()["requests"])
