"""Where JSON is held to its bounds (no I/O): replies are parsed with an explicit depth limit, request bodies
are checked to be standard JSON before anything is sent.

Replies: an API envelope is small and shallow. :func:`load_reply` parses at most
:data:`MAX_REPLY_DEPTH` levels of nesting (objects and arrays); anything deeper, anything Python's parser cannot
finish (a ``RecursionError``), and anything that is not JSON raises :class:`ReplyNotJSON` (a ``ValueError``), so
every caller turns it into a typed error. The byte cap (16 MiB) is applied while reading, in the transport.

Bodies: JSON has no NaN, no Infinity and no lone UTF-16 surrogates. Python's ``json.dumps`` writes the first
two as non-standard tokens and fails on the third with a bare ``UnicodeEncodeError``. :func:`json_problems`
finds them (and nesting deeper than :data:`MAX_BODY_DEPTH`) and names each one's field path, typed or raw,
validated or not, so the request is refused before a byte leaves the machine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

MAX_REPLY_DEPTH: Final = 64  # nesting levels accepted in an API reply (the envelope itself uses about 4)
MAX_BODY_DEPTH: Final = 200  # nesting levels accepted in a request body (well under Python's recursion limit)


class ReplyNotJSON(ValueError):
    """A reply that is not JSON, or nests deeper than :data:`MAX_REPLY_DEPTH` (the message says which)."""


def _finite_or_text(text: str) -> float | str:
    """A number too large for a float (``1e400``) is kept as its literal text, never as ``inf``."""
    value = float(text)
    return value if value - value == 0.0 else text


def _no_constant(name: str) -> Any:
    raise ReplyNotJSON(f"not JSON ({name} is not a JSON value)")


def load_reply(content: bytes | str) -> Any:
    """Parse a reply's JSON; raises :class:`ReplyNotJSON` (never RecursionError, never UnicodeDecodeError).

    Strict JSON: ``NaN``/``Infinity`` tokens are refused; a number beyond float range is kept as its text; a
    lone surrogate (``"\\ud800"``, not Unicode text) is read as U+FFFD.
    """
    import json  # only where a reply is read: importing a model class (which checks bodies) must not load it

    try:
        value = json.loads(content, parse_float=_finite_or_text, parse_constant=_no_constant)
    except RecursionError:
        raise ReplyNotJSON(f"nested deeper than {MAX_REPLY_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ReplyNotJSON(f"not JSON ({exc})") from None
    if reply_depth(value) > MAX_REPLY_DEPTH:
        raise ReplyNotJSON(f"nested deeper than {MAX_REPLY_DEPTH} levels")
    raw = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
    if _patterns()[0].search(raw):
        value = _without_surrogates(value)
    return value


@functools.cache
def _patterns() -> tuple[re.Pattern[bytes], re.Pattern[str]]:
    """A \\uD800-\\uDFFF escape (or the code point smuggled in as invalid UTF-8), and a lone surrogate;
    compiled on first use (importing a model class, which checks bodies here, stays cheap)."""
    return re.compile(rb"\\u[dD][89abcdefABCDEF]|\xed[\xa0-\xbf]"), re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    """Every lone surrogate in strings and keys replaced by U+FFFD: a reply's text is then valid Unicode that
    any log handler, file or terminal can write (depth is already bounded, so recursion is safe)."""
    if isinstance(value, str):
        return _patterns()[1].sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def reply_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_REPLY_DEPTH:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest


def _child_path(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _lone_surrogate(text: str) -> int | None:
    """Index of the first lone surrogate (U+D800-U+DFFF) in ``text``, else None (fast path: encodes cleanly)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def is_plain_json(value: Any, depth: int = 0) -> bool:
    """True when ``value`` certainly has none of :func:`json_problems`' problems: the fast path for the bodies
    every call validates (an ASCII string or a finite float is decided by one C-level test each)."""
    kind = type(value)
    if kind is dict:
        if depth >= MAX_BODY_DEPTH:
            return False
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or _lone_surrogate(key) is None):
                return False
            kind = type(item)
            if kind is str:
                if not item.isascii() and _lone_surrogate(item) is not None:
                    return False
            elif kind is float:
                if item - item != 0.0:  # NaN and ±Infinity give NaN
                    return False
            elif not (kind is int or kind is bool or item is None or is_plain_json(item, depth + 1)):
                return False
        return True
    if kind is list or kind is tuple:
        return depth < MAX_BODY_DEPTH and all(is_plain_json(item, depth + 1) for item in value)
    if kind is str:
        return value.isascii() or _lone_surrogate(value) is None
    if kind is float:
        return bool(value - value == 0.0)
    return kind is int or kind is bool or value is None


def json_problems(body: Any, *, path: str = "") -> Iterator[tuple[str, str, Any, str]]:
    """Every place ``body`` is not standard JSON: ``(path, rule, value, message)``, without recursion.

    Rules: ``finite`` (NaN/±Infinity), ``unicode`` (a lone surrogate in a string or a key), ``depth``
    (deeper than :data:`MAX_BODY_DEPTH`). Values of other Python types are left to the type checks.
    """
    stack: list[tuple[Any, str, int]] = [(body, path, 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, float):
            if value - value != 0.0:  # NaN and ±Infinity
                yield where, "finite", value, f"{value!r} is not a JSON number (JSON has no NaN or Infinity)"
        elif isinstance(value, str):
            at = _lone_surrogate(value)
            if at is not None:
                yield where, "unicode", value, (
                    f"lone surrogate U+{ord(value[at]):04X} at index {at} is not valid Unicode text"
                )
        elif isinstance(value, (Mapping, list, tuple)):
            if depth >= MAX_BODY_DEPTH:
                yield where, "depth", None, f"nested deeper than {MAX_BODY_DEPTH} levels"
                continue
            items = list(value.items()) if isinstance(value, Mapping) else list(enumerate(value))
            for key, child in reversed(items):
                if isinstance(key, str) and _lone_surrogate(key) is not None:
                    yield where, "unicode", key, f"key {key!r} holds a lone surrogate (not valid Unicode text)"
                    continue
                stack.append((child, _child_path(where, key), depth + 1))
