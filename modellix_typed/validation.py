"""Validation results shared by generated classes, the registry and the CLI (no network, no I/O).

The generated request classes (``modellix_typed.models``) inline their type/bound checks as straight-line code
and call the small helpers below only to build an :class:`Issue` (the slow, failing path) or for checks that
need a library (URLs, patterns, did-you-mean).
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import attrs

from .errors import ModellixError


@attrs.frozen
class Issue:
    """One broken rule: where (field path), which rule, the offending value, and a readable message."""

    path: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (rule: {self.rule}, got {self.value!r})"


class ValidationError(ModellixError, ValueError):
    """Every problem found in one request, not only the first."""

    def __init__(self, model: str, issues: list[Issue]) -> None:
        self.model = model
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} validation error(s) for {model}:\n{lines}")


class Unset(enum.Enum):
    """Marks a constructor argument that was not passed, so ``to_dict`` only sends what the caller set."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET

Check = Callable[[Any, str, list[Issue]], Any]
"""A generated per-field check: ``(value, path, issues) -> value`` (nested mappings come back as objects)."""


# --- JSON types -------------------------------------------------------------------------------------------


def json_type_name(value: object) -> str:
    """The JSON Schema name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def type_issue(path: str, expected: str, value: object) -> Issue:
    return Issue(path, "type", value, f"expected {expected}, got {json_type_name(value)}")


# --- the rules (called only when a check failed) ----------------------------------------------------------


def enum_issue(path: str, value: object, allowed: Collection[object]) -> Issue:
    listed = ", ".join(repr(item) for item in allowed)
    message = f"must be one of {listed}"
    if isinstance(value, str):
        close = difflib.get_close_matches(value, [item for item in allowed if isinstance(item, str)], n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
    return Issue(path, "enum", value, message)


_BOUND_WORDS: Final = {
    "minimum": ">=",
    "maximum": "<=",
    "exclusiveMinimum": ">",
    "exclusiveMaximum": "<",
}


def bound_issue(path: str, rule: str, value: object, bound: float) -> Issue:
    return Issue(path, rule, value, f"must be {_BOUND_WORDS[rule]} {bound}")


def length_issue(path: str, rule: str, value: str, bound: int) -> Issue:
    word = "at least" if rule == "minLength" else "at most"
    return Issue(path, rule, value, f"must be {word} {bound} character(s) long (got {len(value)})")


def items_issue(path: str, rule: str, value: list[Any], bound: int) -> Issue:
    word = "at least" if rule == "minItems" else "at most"
    return Issue(path, rule, value, f"must have {word} {bound} item(s) (got {len(value)})")


def check_pattern(value: str, path: str, pattern: re.Pattern[str], issues: list[Issue]) -> None:
    if pattern.search(value) is None:
        issues.append(Issue(path, "pattern", value, f"must match the pattern {pattern.pattern!r}"))


def check_uri(value: str, path: str, issues: list[Issue], *, allow_data: bool) -> None:
    """``format: uri`` as the API means it: an absolute http(s) URL, or a ``data:`` URI where documented."""
    if allow_data and value[:5].lower() == "data:":
        if "," not in value:
            issues.append(Issue(path, "format", _short(value), "is not a valid data: URI (no ',' before the data)"))
        return
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        wanted = "an http(s) URL or a base64 data: URI" if allow_data else "an http(s) URL"
        issues.append(Issue(path, "format", _short(value), f"must be {wanted}"))


def _short(value: str) -> str:
    """Data URIs can be megabytes; keep error messages readable."""
    return value if len(value) <= 80 else value[:77] + "..."


# --- sizes ------------------------------------------------------------------------------------------------

_SIZE: Final = re.compile(r"^\s*(\d+)\s*([*xX×])\s*(\d+)\s*$")


def check_size_separator(value: str, path: str, separator: str, issues: list[Issue]) -> bool:
    """``W*H`` vs ``WxH``: reject the wrong separator naming the corrected value; True when the value is fine."""
    match = _SIZE.match(value)
    if match is None or match.group(2) == separator:
        return True
    fixed = f"{match.group(1)}{separator}{match.group(3)}"
    issues.append(Issue(path, "size_format", value, f"use {separator!r} as separator: {fixed!r}"))
    return False


def check_size_pixels(
    value: str,
    path: str,
    issues: list[Issue],
    *,
    min_side: int | None = None,
    max_side: int | None = None,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> None:
    """Documented pixel bounds of a free-form ``W*H``/``WxH`` size (other spellings like ``2K`` pass)."""
    match = _SIZE.match(value)
    if match is None:
        return
    width, height = int(match.group(1)), int(match.group(3))
    for side in (width, height):
        if min_side is not None and side < min_side:
            issues.append(Issue(path, "size_bounds", value, f"width and height must be >= {min_side} pixels"))
            return
        if max_side is not None and side > max_side:
            issues.append(Issue(path, "size_bounds", value, f"width and height must be <= {max_side} pixels"))
            return
    total = width * height
    if min_pixels is not None and total < min_pixels:
        issues.append(Issue(path, "size_bounds", value, f"total pixels {total} must be >= {min_pixels}"))
    elif max_pixels is not None and total > max_pixels:
        issues.append(Issue(path, "size_bounds", value, f"total pixels {total} must be <= {max_pixels}"))


# --- combinators ------------------------------------------------------------------------------------------


def check_any_of(value: Any, path: str, issues: list[Issue], rule: str, branches: Iterable[Check]) -> Any:
    """anyOf (and oneOf, checked as anyOf so that an imprecise branch never rejects valid input)."""
    problems: list[str] = []
    for branch in branches:
        found: list[Issue] = []
        converted = branch(value, path, found)
        if not found:
            return converted
        problems.append("; ".join(issue.message for issue in found))
    issues.append(Issue(path, rule, value, "matches none of the allowed forms: " + " | ".join(problems)))
    return value


# --- object-level rules -----------------------------------------------------------------------------------


def check_keys(
    data: Mapping[str, Any],
    prefix: str,
    known: Collection[str],
    required: Iterable[str],
    issues: list[Issue],
) -> None:
    """Unknown keys (with a did-you-mean) and missing required keys of a plain mapping."""
    for key in data:
        if key not in known:
            issues.append(unknown_key_issue(prefix, key, data[key], known))
    for key in required:
        if key not in data:
            issues.append(Issue(prefix + key, "required", None, "is required"))


def unknown_key_issue(prefix: str, key: object, value: object, known: Collection[str]) -> Issue:
    name = str(key)
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.replace("_", "").lower() == name.replace("_", "").lower()][:1]
    hint = f"; did you mean {close[0]!r}?" if close else f"; documented fields: {', '.join(sorted(known))}"
    hint += " (undocumented parameters go in extra_body)" if not prefix else ""
    return Issue(prefix + name, "unknown_field", value, "is not a documented field" + hint)


def check_object(value: object, path: str, issues: list[Issue]) -> bool:
    if isinstance(value, Mapping):
        return True
    issues.append(type_issue(path, "object", value))
    return False


def check_extra_body(value: object, documented: Mapping[str, str], issues: list[Issue]) -> Any:
    """The escape hatch sends undocumented keys only: it never overrides (or silences) a documented field."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        issues.append(type_issue("extra_body", "object (mapping of undocumented parameters)", value))
        return value
    for key in value:
        if not isinstance(key, str):
            issues.append(Issue("extra_body", "type", key, "keys must be strings"))
        elif key in documented:
            issues.append(
                Issue(
                    f"extra_body.{key}",
                    "extra_body",
                    value[key],
                    f"{key!r} is a documented field: set it as {documented[key]}=... so it is validated",
                )
            )
    return dict(value)


# --- assignment -------------------------------------------------------------------------------------------


def validate_assignment(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> Any:
    """attrs ``on_setattr`` hook of generated classes: check one field, raise with every issue, record it as set.

    ``_FIELDS`` maps the python name to ``(wire name, check, optional)``; assigning ``None`` to an optional
    field without a default unsets it (it is no longer sent).
    """
    name = attribute.name
    cls = type(instance)
    if name == "extra_body":
        issues: list[Issue] = []
        value = check_extra_body(value, cls._DOCUMENTED, issues)
        if issues:
            raise ValidationError(cls._MODEL_NAME, issues)
        return value
    spec = cls._FIELDS.get(name)
    if spec is None:
        return value
    wire, check, optional = spec
    if value is None and optional:
        instance._fields_set.discard(name)
        return None
    issues = []
    value = check(value, wire, issues)
    if issues:
        raise ValidationError(cls._MODEL_NAME, issues)
    instance._fields_set.add(name)
    return value


# --- nested objects ---------------------------------------------------------------------------------------


def coerce_nested(cls: Any, value: Any, path: str, issues: list[Issue]) -> Any:
    """A nested object field accepts an instance of its class or a plain mapping (validated with full paths)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        return cls._from_mapping(value, path + ".", issues)
    issues.append(type_issue(path, f"object ({cls.__name__} or a mapping)", value))
    return value


def dump(value: Any) -> Any:
    """JSON-ready copy of a field value: nested objects via their ``to_dict``, containers copied."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [dump(item) for item in value]
    if isinstance(value, Mapping):
        return {key: dump(item) for key, item in value.items()}
    return value
