"""Where a signal becomes an interrupt, and where the command that continues the work is spelled out.

SIGTERM (a CI job cancelled, ``docker stop``, ``kill``) and SIGHUP (the terminal closed) are handled like
Ctrl+C: the wait stops, what is known is printed with the exact command that continues it, and the exit
status is the shell's for that signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP; :func:`.output.exit_status`).
A signal the process was started with ignored (``nohup``, a background job's SIGINT) stays ignored.
"""

from __future__ import annotations

import shlex
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from .output import MODE

_HANDLED = ("SIGINT", "SIGTERM", "SIGHUP")


class Held:
    """Signals held back while a paid POST is on the wire (see :func:`held`)."""

    def __init__(self) -> None:
        self.active: bool = False
        self.pending: bool = False

    def release(self) -> None:
        """Raise the interrupt a held signal asked for (call where it can be reported with the task id)."""
        self.active = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


_HELD = Held()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if MODE.signal is None:
        MODE.signal = signum  # the first signal names the interrupt (a second one only hurries it)
    if _HELD.active and not _HELD.pending:
        _HELD.pending = True  # the POST finishes first, so its task id is known and printed
        return
    raise KeyboardInterrupt


@contextmanager
def held() -> Iterator[Held]:
    """A first signal during the block only marks the interrupt; ``release()`` (or leaving the block with
    an exception) ends the hold. A second signal interrupts at once: the user insists."""
    _HELD.active, _HELD.pending = True, False
    try:
        yield _HELD
    except BaseException:
        _HELD.active = _HELD.pending = False
        raise


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While the CLI runs: SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt (unless ignored at start)."""
    previous: dict[int, Any] = {}
    for name in _HANDLED:
        number = getattr(signal, name, None)
        if number is None:  # SIGHUP does not exist on Windows
            continue
        current = signal.getsignal(number)
        if current not in (signal.SIG_DFL, signal.default_int_handler):
            continue  # ignored (nohup, a background job) or someone else's handler: leave it
        try:
            previous[number] = signal.signal(number, _interrupt)
        except ValueError:  # not the main thread (main() called from a thread): leave signals alone
            break
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def signal_name() -> str:
    """``SIGTERM``, ``SIGHUP``, or ``Ctrl+C`` (also when KeyboardInterrupt came without a signal)."""
    if MODE.signal is None or MODE.signal == signal.SIGINT:
        return "Ctrl+C"
    return signal.Signals(MODE.signal).name


def command(*args: str) -> str:
    """``modellix-typed ARGS`` with the --base-url/--profile this run was given, quoted for a shell."""
    words = ["modellix-typed"]
    if MODE.base_url is not None:
        words += ["--base-url", MODE.base_url]
    if MODE.profile is not None:
        words += ["--profile", MODE.profile]
    return shlex.join([*words, *args])
