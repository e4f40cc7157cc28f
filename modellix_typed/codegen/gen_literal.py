"""Deterministic Python source for JSON values (double-quoted strings, one item per line when long)."""

from __future__ import annotations

import json
from typing import Any

LINE = 110


def pyrepr(value: Any) -> str:
    """A Python literal for a JSON scalar or small container (strings double-quoted, like the rest of the code)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(pyrepr(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(pyrepr(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{pyrepr(key)}: {pyrepr(item)}" for key, item in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def pyblock(value: Any, indent: int = 0, used: int = 0) -> str:
    """Multi-line literal (keys sorted) that fits LINE columns where it can, for embedded schemas.

    ``indent`` is the block's indentation, ``used`` how many columns precede the value on its first line.
    """
    flat = pyrepr(_sorted(value))
    if max(indent, used) + len(flat) + 1 <= LINE or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = []
        for key in sorted(value):
            head = f"{pad}{pyrepr(key)}: "
            items.append(f"{head}{pyblock(value[key], indent + 4, len(head))},")
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{pyblock(item, indent + 4)}," for item in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
