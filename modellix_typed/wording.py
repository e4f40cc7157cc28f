"""Where a validation message is worded: exact numbers, one "got" per line, the caller's own name first.

Kept apart from :mod:`modellix_typed.validation` (the checks) so the wording rules live in one small place;
both the SDK's ``ValidationError`` text and the command line's issue lines use :func:`render_issue`. Loaded
only when a message is written (importing a model class never loads it).
"""

from __future__ import annotations

from typing import Any, Final

from .errors import short


def exact_number(number: float) -> str:
    """A bound as the docs mean it: ``16,777,216`` (never ``1.67772e+07``), ``0.5``, ``1e-06`` (repr)."""
    if isinstance(number, bool):
        return repr(number)
    if isinstance(number, int) or (isinstance(number, float) and number.is_integer() and abs(number) < 1e18):
        return f"{int(number):,}" if abs(number) >= 10_000 else str(int(number))
    return repr(number)


_NAMED: Final = "("  # a message ``(python_name) ...`` names the Python attribute the caller wrote


def render_issue(path: str, message: str, rule: str, value: Any) -> str:
    """``path: message (rule: R, got V)``, one "got" per line (a message that already says what it got shows
    the value as ``value V``); the name the caller wrote comes first: a Python attribute named by
    :func:`name_attributes` leads, the wire name follows in parentheses."""
    if message.startswith(_NAMED) and ") " in message:
        python, _, rest = message[1:].partition(") ")
        path, message = f"{python} ({path})", rest
    shown = short(repr(value))
    word = "value" if " got " in f" {message} " or "(got " in message else "got"
    return f"{path}: {message} (rule: {rule}, {word} {shown})"
