"""Where a ``batch`` JSON Lines file is parsed and every line validated offline, before anything is sent.

One request per line: ``{"model": "<slug>", "body": {...}, "id": "<optional label>"}``, or modellix-cli's
form ``{"modelSlug": "<slug>", "body": {...}}`` (so its batch files run unchanged); an unknown key gets a
did-you-mean. Blank lines are skipped; line numbers are the file's own (1-based) so an editor jumps straight
to a problem. Every problem of every line is collected and reported at once (exit 3), so fixing a batch
takes one round, not one per line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ModellixError
from ..request import RequestModel
from ..validation import ValidationError, json_type_name
from .body import local_files
from .output import CLIError, ExitCode, describe_error, issue_json

if TYPE_CHECKING:
    from .validate import LiveModels

KEYS = ("model", "body", "id")
ALIASES = {"modelSlug": "model"}  # modellix-cli's JSONL key -> ours


@attrs.frozen
class BatchLine:
    """One validated input line: its file line number, optional label, slug and the request to send."""

    line: int
    id: str | int | None
    model: str
    request: RequestModel | tuple[str, dict[str, Any]]  # a tuple: a model newer than this package (live schema)


def _problem(line: int, path: str, rule: str, value: Any, message: str) -> dict[str, Any]:
    return {"line": line, "path": path, "rule": rule, "value": value, "message": message}


def _unknown_key(line: int, key: str) -> dict[str, Any]:
    import difflib

    close = difflib.get_close_matches(key, [*KEYS, *ALIASES], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    message = f"unknown key {key!r}{hint} (allowed: {', '.join(KEYS)}, modelSlug)"
    return _problem(line, key, "unknown_key", None, message)


def _check_line(
    line: int, text: str, seen_ids: dict[str | int, int], live: LiveModels
) -> tuple[BatchLine | None, list[dict[str, Any]]]:
    """The validated line, or every problem found on it (shape, model slug, body rules, duplicate id)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [_problem(line, "", "json", None, f"not valid JSON: {exc.msg} at column {exc.colno}")]
    if not isinstance(data, dict):
        message = f'each line must be a JSON object {{"model": ..., "body": {{...}}}}, got {json_type_name(data)}'
        return None, [_problem(line, "", "type", None, message)]

    problems = [_unknown_key(line, key) for key in data if key not in KEYS and key not in ALIASES]
    for alias, key in ALIASES.items():
        if alias in data and key in data:
            message = f"give the slug once: {key!r} or {alias!r} (modellix-cli's name), not both"
            problems.append(_problem(line, alias, "one_of", None, message))
        elif alias in data:
            data[key] = data.pop(alias)
    label = data.get("id")
    if label is not None and (not isinstance(label, (str, int)) or isinstance(label, bool)):
        message = f"id must be a string or integer, got {json_type_name(label)}"
        problems.append(_problem(line, "id", "type", label, message))
        label = None
    elif label is not None:
        if label in seen_ids:
            message = f"id {label!r} already used on line {seen_ids[label]}"
            problems.append(_problem(line, "id", "unique", label, message))
        else:
            seen_ids[label] = line

    model, body = data.get("model"), data.get("body")
    if not isinstance(model, str) or not model:
        got = "missing" if model is None else f"got {json_type_name(model)}"
        message = f"'model' (or 'modelSlug') must be a model slug string ({got})"
        problems.append(_problem(line, "model", "required", model, message))
    if not isinstance(body, Mapping):
        got = "missing" if body is None else f"got {json_type_name(body)}"
        problems.append(_problem(line, "body", "required", None, f"'body' must be a JSON object ({got})"))
    if not isinstance(model, str) or not model or not isinstance(body, Mapping):
        return None, problems

    try:
        body = local_files(body)  # "@path" values: local files, uploaded once per batch before the first POST
        request = _validated(model, dict(body), live)  # an unknown slug raises UnknownModel before any body rule
    except ValidationError as exc:
        problems.extend(
            {"line": line, **issue_json(i), "path": f"body.{i.path}" if i.path else "body"} for i in exc.issues
        )
        return None, problems
    except CLIError as exc:  # an "@path" naming no file
        problems.append(_problem(line, f"body.{exc.details.get('field') or ''}", "file", None, str(exc)))
        return None, problems
    except ModellixError as exc:  # UnknownModel: describe_error words it with did-you-mean suggestions
        problems.append(_problem(line, "model", "known_model", model, describe_error(exc)[1]["message"]))
        return None, problems
    return (None, problems) if problems else (BatchLine(line, label, model, request), [])


def _validated(model: str, body: dict[str, Any], live: LiveModels) -> RequestModel | tuple[str, dict[str, Any]]:
    """The generated class's object, or for a model newer than this package the body checked against its live
    api_schema (looked for once per slug of the batch: ``live``)."""
    from .. import registry  # lazy: importing the model registry is costly
    from .._core.prepare import live_schema_slug

    slug = live_schema_slug(model, True)
    if slug is None:
        return registry.validate(model, body)
    from .validate import live_model

    live_model(slug, live).validate(body)
    return (model, body)


def parse_batch(text: str, label: str) -> list[BatchLine]:
    """Every request of a JSON Lines text, or one CLIError (exit 3) listing every problem of every line."""
    lines: list[BatchLine] = []
    problems: list[dict[str, Any]] = []
    seen_ids: dict[str | int, int] = {}
    live: LiveModels = {}  # the api_schema (or why none) of each model newer than this package
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parsed, found = _check_line(number, raw, seen_ids, live)
        problems.extend(found)
        if parsed is not None:
            lines.append(parsed)
    if problems:
        bad = len({p["line"] for p in problems})
        raise CLIError(
            "ValidationError",
            f"{len(problems)} problem(s) on {bad} line(s) of {label} (nothing was sent)",
            ExitCode.INVALID,
            source=label,
            issues=problems,
        )
    if not lines:
        message = f"{label} holds no requests (one JSON object per line)"
        raise CLIError("InputError", message, ExitCode.USAGE, source=label)
    return lines
