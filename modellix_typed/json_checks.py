"""Where a body is checked to be standard JSON (no I/O): NaN/±Infinity, lone surrogates and nesting too deep
become validation issues with the field path and rule, for typed and raw bodies alike, before anything is
sent. The bounds themselves live in :mod:`.json_bounds`, imported on the first check."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from .validation import Issue, ValidationError


@functools.cache
def _json_bounds() -> ModuleType:
    """:mod:`.json_bounds`, imported on the first body check (a model import loads only what it needs)."""
    from . import json_bounds

    return json_bounds


def json_issues(body: Any) -> list[Issue]:
    """Where ``body`` is not standard JSON (NaN/±Infinity, lone surrogates, too deep): one Issue each.

    Checked for every body, typed or raw, validated or not (:mod:`.json_bounds`), before anything is sent.
    """
    bounds = _json_bounds()
    if bounds.is_plain_json(body):
        return []
    issues = []
    for path, rule, value, message in bounds.json_problems(body):
        if isinstance(value, str):  # a lone surrogate cannot be printed or encoded: keep it escaped
            value = value.encode("utf-8", "backslashreplace").decode("utf-8")
        issues.append(Issue(path, rule, value, message))
    return issues


def check_json(model: str, body: Any) -> None:
    """Raise a ValidationError with :func:`json_issues` of ``body``, if it has any (after a generated check
    passed)."""
    issues = json_issues(body)
    if issues:
        raise ValidationError(model, issues)


def check_validated_json(model: str, cls: type, body: dict[str, Any]) -> None:
    """:func:`check_json` for a plain dict body that ``cls`` has just accepted (``validate_dict`` or
    ``from_dict``: every key is a documented field): only the fields whose accepted values can still be
    non-JSON are walked."""
    try:
        loose = _LOOSE[cls]
    except KeyError:
        loose = _LOOSE[cls] = _loose_fields(cls)
    if loose is None:
        check_json(model, body)
        return
    for key in loose:
        value = body.get(key, _ABSENT)
        if value is _ABSENT or (value.__class__ is str and value.isascii()):
            continue
        if not _json_bounds().is_plain_json(value, 1):
            check_json(model, body)
            return


_ABSENT: Any = object()
_LOOSE: dict[type, tuple[str, ...] | None] = {}  # per class: what :func:`_loose_fields` found


def _loose_fields(cls: type) -> tuple[str, ...] | None:
    """The top-level wire names of ``cls`` whose accepted values may hold NaN, a lone surrogate or deep
    nesting, or None when that cannot be told or the class accepts undocumented keys (walk the whole body).
    A value its own check accepted is plain JSON when it equals a member of a plain ``enum``/``const`` (NaN
    equals nothing; an equal string has the same code points) or is an ``integer`` (an int, or an integral
    float: finite) or a ``boolean``."""
    schema_of = getattr(cls, "json_schema", None)
    documented = getattr(cls, "_DOCUMENTED", None)
    if schema_of is None or not isinstance(documented, Mapping):
        return None
    schema = schema_of()
    properties = schema.get("properties") if isinstance(schema, dict) else None
    plain = _json_bounds().is_plain_json
    if not isinstance(properties, dict) or not all(plain(key) for key in documented):
        return None
    if schema.get("additionalProperties") in (True, {}):  # the class accepts undocumented keys (as gen_model)
        return None
    return tuple(key for key in documented if not _always_plain(properties.get(key), plain))


def _always_plain(schema: Any, plain: Callable[[Any], bool]) -> bool:
    if not isinstance(schema, dict):
        return False
    if "enum" in schema or "const" in schema:
        members = schema["enum"] if "enum" in schema else [schema["const"]]
        return isinstance(members, list) and all(plain(member) for member in members)
    return schema.get("type") in ("integer", "boolean") and not schema.keys() & {"anyOf", "oneOf", "allOf"}


def add_json_issues(error: ValidationError, body: Any) -> ValidationError:
    """A generated check's error plus :func:`json_issues` of ``body``, one issue per bad value: a value the
    generated check already refused (e.g. NaN in an integer field, a ``type`` issue) gets no second one."""
    reported = {issue.path for issue in error.issues}
    extra = [issue for issue in json_issues(body) if issue.path not in reported]
    return ValidationError(error.model, [*error.issues, *extra]) if extra else error
