"""Where a body is checked to be standard JSON (no I/O): NaN/±Infinity, lone surrogates and nesting too deep
become validation issues with the field path and rule, for typed and raw bodies alike, before anything is
sent. The bounds themselves live in :mod:`.json_bounds`, imported on the first check."""

from __future__ import annotations

import functools
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
    if not _json_bounds().is_plain_json(body):
        issues = json_issues(body)
        if issues:
            raise ValidationError(model, issues)


def add_json_issues(error: ValidationError, body: Any) -> ValidationError:
    """A generated check's error plus :func:`json_issues` of ``body``, one issue per bad value: a value the
    generated check already refused (e.g. NaN in an integer field, a ``type`` issue) gets no second one."""
    reported = {issue.path for issue in error.issues}
    extra = [issue for issue in json_issues(body) if issue.path not in reported]
    return ValidationError(error.model, [*error.issues, *extra]) if extra else error
