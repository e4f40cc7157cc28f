"""Where text becomes safe for a terminal or a log line: the one sanitizer for every byte of server or user
text the CLI prints (its own output, the SDK's log records and warnings through the CLI's handler).

A task's error, status word or resource URL comes from the server (or whoever stands in for it); printed raw,
an ESC or C1 sequence could move the cursor, rewrite earlier lines or retitle the window (OSC), a carriage
return could overwrite what was printed before, and a Unicode bidi control (U+202E...) could show a file name
or URL reversed. Covered: C0 controls (ESC, BEL, CR...), DEL, C1 (0x80-0x9f, e.g. the one-byte CSI 0x9b),
the bidi embeddings, overrides, isolates and marks (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069), the
Unicode line and paragraph separators (U+2028/U+2029) and lone surrogates (which cannot be encoded at all).
Each becomes a space: what was meant to be read stays readable, nothing is interpreted.

``--json`` output keeps the data exactly: :func:`escape_json_controls` writes the same characters as
``\\uXXXX`` escapes, so the document holds none of them raw and parses back to the server's text.
"""

from __future__ import annotations

import re

_INVISIBLE = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
# C0 (ESC included) but tab and newline, DEL, C1, bidi controls, separators, lone surrogates.
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")  # single-line text: newline and tab too
_JSON_RAW = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")  # json.dumps escapes C0 itself


def safe_text(text: str, *, multiline: bool = False) -> str:
    """Each control character becomes a space; ``multiline`` keeps tabs and newlines where they are meant."""
    return (_UNSAFE if multiline else _UNSAFE_LINE).sub(" ", text)


def escape_json_controls(document: str) -> str:
    """JSON text whose DEL/C1/bidi/separator/surrogate characters are written as ``\\uXXXX`` (same data)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", document)
