"""Server text made safe for a terminal: no escape sequences, no carriage returns, no C1 controls.

A task's error, status word or resource URL comes from the server (or whoever stands in for it); printed raw,
an ESC or C1 sequence could move the cursor, rewrite earlier lines or retitle the window.
"""

from __future__ import annotations

import re

# C0 (ESC included) but tab and newline, DEL, and C1 (0x80-0x9f, e.g. the one-byte CSI 0x9b).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # single-line text: newline and tab too
_C1_AND_DEL = re.compile(r"[\x7f-\x9f]")


def safe_text(text: str, *, multiline: bool = False) -> str:
    """Each control character becomes a space; ``multiline`` keeps tabs and newlines where they are meant."""
    return (_UNSAFE if multiline else _UNSAFE_LINE).sub(" ", text)


def escape_json_controls(document: str) -> str:
    """JSON text whose DEL/C1 characters are written as ``\\u00XX`` (same data; json.dumps escapes C0 itself)."""
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m[0]):04x}", document)
