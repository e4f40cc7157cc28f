"""Validation results shared by generated classes, the registry and the CLI (no network, no I/O).

The generated request classes (``modellix_typed.models``) inline their type/bound checks as straight-line code
and call the small helpers below only to build an :class:`Issue` (the slow, failing path) or for checks that
need a library (URLs, patterns, did-you-mean).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final

import attrs

# re-exported: generated modules call ``v.short``, ``v.Pattern(...)``; media-URL fields take local files too
from .errors import ModellixError, short as short
from .local_file import LocalFile as LocalFile, is_local_file as is_local_file
from .patterns import Pattern as Pattern


@attrs.frozen
class Issue:
    """One broken rule: where (field path), which rule, the offending value, and a readable message."""

    path: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        from .wording import render_issue  # only when an error is printed: a model class never loads it
        return render_issue(self.path, self.message, self.rule, self.value)


class ValidationError(ModellixError, ValueError):
    """Every problem found in one request, not only the first."""

    def __init__(self, model: str, issues: list[Issue]) -> None:
        self.model = model
        self.issues: list[Issue] = list(issues)
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


def json_equal(a: object, b: object) -> bool:
    """Equality as JSON Schema defines it: ``1 == 1.0`` but ``True != 1``, containers compared item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    if isinstance(a, list | tuple | Mapping) or isinstance(b, list | tuple | Mapping):
        return False
    return bool(a == b)


def json_in(value: object, allowed: Iterable[object]) -> bool:
    """``enum``/``const`` membership with :func:`json_equal` (generated only where ``in`` would be wrong)."""
    return any(json_equal(value, item) for item in allowed)


def type_issue(path: str, expected: str, value: object) -> Issue:
    return Issue(path, "type", value, f"expected {expected}, got {json_type_name(value)}")


# --- the rules (called only when a check failed) ----------------------------------------------------------


def enum_issue(path: str, value: object, allowed: Collection[object]) -> Issue:
    listed = ", ".join(repr(item) for item in allowed)
    message = f"must be {listed}" if len(allowed) == 1 else f"must be one of {listed}"
    if isinstance(value, str):
        import difflib  # only on the failing path: importing a model must not load it

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
    from .wording import exact_number  # only on the failing path
    return Issue(path, rule, value, f"must be {_BOUND_WORDS[rule]} {exact_number(bound)}")


def length_issue(path: str, rule: str, value: str, bound: int) -> Issue:
    word = "at least" if rule == "minLength" else "at most"
    return Issue(path, rule, value, f"must be {word} {bound} character(s) long (got {len(value)})")


def items_issue(path: str, rule: str, value: list[Any], bound: int) -> Issue:
    word = "at least" if rule == "minItems" else "at most"
    return Issue(path, rule, value, f"must have {word} {bound} item(s) (got {len(value)})")


def check_unique_items(value: list[Any], path: str, issues: list[Issue]) -> None:
    for index, item in enumerate(value):
        if any(json_equal(item, earlier) for earlier in value[:index]):
            issues.append(Issue(path, "uniqueItems", item, f"item [{index}] repeats an earlier item (must be unique)"))
            return


def check_pattern(value: str, path: str, pattern: Pattern, issues: list[Issue]) -> None:
    """A spec ``pattern`` (search semantics), run in linear time by RE2 (see :mod:`modellix_typed.patterns`)."""
    if not pattern.matches(value):
        issues.append(Issue(path, "pattern", value, f"must match the pattern {pattern.pattern!r}"))


@functools.cache
def _regex(source: str, flags: int = 0) -> re.Pattern[str]:
    """Compiled on first use: importing a model class must not pay for regexes it may never run."""
    return re.compile(source, flags)


_DATA_URI: Final = (
    r"data:(?P<mime>[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)(?P<params>(?:;[a-z0-9!#$&^_.+-]+=[^;,]*)*)"
    r"(?P<base64>;base64)?,"
)
_SPACE: Final = r"\s"
_URI_WANTED: Final = {
    "url": "an absolute http(s) URL",
    "url_or_data": "an absolute http(s) URL or a data:<mime>;base64,<payload> URI",
    "data": "a data:<mime>;base64,<payload> URI",
}


def check_uri(value: str, path: str, issues: list[Issue], accept: str = "url", *, base64: bool = True) -> None:
    """A URL-typed field (``format: uri`` or prose saying URL): an absolute http(s) URL with a host, and/or a
    ``data:<mime>[;base64],<payload>`` URI, as the field's docs say (``accept``: url, url_or_data, data).

    Only the shape is checked: the payload of a data: URI (possibly megabytes) is never decoded or scanned.
    """
    if value[:5].lower() == "data:" and accept != "url":
        reason = _data_uri_problem(value, base64)
        if reason is not None:
            issues.append(format_issue(path, value, accept, base64, reason))
        return
    if accept == "data":
        issues.append(format_issue(path, value, accept, base64, "not a data: URI"))
        return
    reason = _url_problem(value)
    if reason is not None:
        issues.append(format_issue(path, value, accept, base64, reason))


def _data_uri_problem(value: str, base64: bool) -> str | None:
    match = _regex(_DATA_URI, re.IGNORECASE).match(value)
    if match is None:
        return "malformed data: URI (expected data:<type>/<subtype>[;base64],<payload>)"
    if base64 and not match.group("base64"):
        return "the data: URI must be base64 encoded (';base64,' before the payload)"
    if match.end() == len(value):
        return "the data: URI has an empty payload"
    return None


def _url_problem(value: str) -> str | None:
    from urllib.parse import (
        urlsplit,  # only URL fields need it: importing a model class stays cheap
    )

    if _regex(_SPACE).search(value):
        return "contains whitespace"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if not parts.scheme:
        return "a relative reference, not an absolute URL"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http or https"
    if not parts.hostname:
        return "no host"
    return None


def format_issue(path: str, value: str, accept: str, base64: bool, reason: str) -> Issue:
    """rule ``format``; the message names the sub-kind (uri / data-uri) and why the value is not one."""
    kind = "data-uri" if accept == "data" else "uri"
    wanted = _URI_WANTED[accept]
    if not base64:
        wanted = wanted.replace(";base64,<payload>", ",<payload>")
    return Issue(path, "format", short(value), f"must be {wanted} (format: {kind}): {reason}")


# --- sizes ------------------------------------------------------------------------------------------------

_SIZE: Final = r"^\s*(\d+)\s*([*xX×])\s*(\d+)\s*$"


def check_size_separator(value: str, path: str, separator: str, issues: list[Issue]) -> bool:
    """``W*H`` vs ``WxH``: reject the wrong separator naming the corrected value; True when the value is fine."""
    match = _regex(_SIZE).match(value)
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
    match = _regex(_SIZE).match(value)
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
    """anyOf; also oneOf when a branch uses keywords we don't check exactly (counting matches of a loose branch
    could reject valid input), see :func:`check_one_of`."""
    problems: list[str] = []
    for branch in branches:
        found: list[Issue] = []
        converted = branch(value, path, found)
        if not found:
            return converted
        problems.append("; ".join(issue.message for issue in found))
    issues.append(Issue(path, rule, value, "matches none of the allowed forms: " + " | ".join(problems)))
    return value


def check_one_of(value: Any, path: str, issues: list[Issue], rule: str, branches: Iterable[Check]) -> Any:
    """oneOf whose branches are all checked exactly (the generator knows): exactly one branch must match."""
    problems: list[str] = []
    matched: list[int] = []
    converted = value
    for number, branch in enumerate(branches, 1):
        found: list[Issue] = []
        result = branch(value, path, found)
        if found:
            problems.append("; ".join(issue.message for issue in found))
        else:
            matched.append(number)
            converted = result
    if len(matched) == 1:
        return converted
    if matched:
        forms = ", ".join(f"#{number}" for number in matched)
        issues.append(Issue(path, rule, value, f"matches {len(matched)} of the allowed forms ({forms}); exactly one"))
    else:
        issues.append(Issue(path, rule, value, "matches none of the allowed forms: " + " | ".join(problems)))
    return value


# --- object-level rules -----------------------------------------------------------------------------------


def check_required(data: Mapping[str, Any], path: str, keys: Iterable[str], issues: list[Issue]) -> None:
    """Required keys of a plain mapping (an object inside anyOf/oneOf/allOf: no generated class)."""
    for key in keys:
        if key not in data:
            issues.append(Issue(f"{path}.{key}", "required", None, "is required"))


def check_no_other_keys(data: Mapping[str, Any], path: str, known: Collection[str], issues: list[Issue]) -> None:
    """``additionalProperties: false`` on a plain mapping."""
    for key in data:
        if key not in known:
            issues.append(unknown_key_issue(path + ".", key, data[key], known))


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


def unknown_keys(data: Mapping[str, Any], prefix: str, known: Collection[str]) -> list[Issue]:
    """One issue per key of ``data`` that is not in ``known`` (generated classes call it only when the count of
    documented keys found differs from ``len(data)``)."""
    return [unknown_key_issue(prefix, key, data[key], known) for key in data if key not in known]


def unknown_key_issue(prefix: str, key: object, value: object, known: Collection[str]) -> Issue:
    name = str(key)
    import difflib  # only on the failing path: importing a model must not load it

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.replace("_", "").lower() == name.replace("_", "").lower()][:1]
    hint = f"; did you mean {close[0]!r}?" if close else f"; documented fields: {', '.join(sorted(known))}"
    hint += ' (an undocumented parameter goes in an "extra_body" object)' if not prefix else ""
    return Issue(prefix + name, "unknown_field", value, "is not a documented field" + hint)


def undocumented_keys(data: Mapping[str, Any], known: Collection[str]) -> dict[str, Any] | None:
    """Keys a root schema with ``additionalProperties: true`` lets through: kept and sent (like ``extra_body``)."""
    extra = {key: value for key, value in data.items() if key not in known}
    return extra or None


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
                    f"{key!r} is a documented field: set {key!r} itself (Python: {documented[key]}=...) to validate it",
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
        raise ValidationError(cls._MODEL_NAME, name_attributes(issues, cls._ATTRIBUTES))
    instance._fields_set.add(name)
    return value


def keep_fields_set(instance: Any, previous: Collection[str]) -> None:
    """``attrs.evolve`` passes every field back to ``__init__``; keep the original record of set fields.

    A field with a documented default counts as set only if it was set before or its value now differs from the
    default (so an unchanged default is still not sent); required and optional fields already know.
    """
    fields_set: set[str] = instance._fields_set
    for name, default in type(instance)._DEFAULTS.items():
        if name not in previous and name in fields_set:
            value = getattr(instance, name)
            if type(value) is type(default) and value == default:
                fields_set.discard(name)


_PATH_PART: Final = r"[^.\[\]]+|\[\d+\]|\."


def name_attributes(issues: list[Issue], attributes: Mapping[str, str]) -> list[Issue]:
    """Constructor/assignment errors: the path stays the wire name (what the API and from_dict use); the
    message also names the Python attribute when it differs: ``sampleCount: (sample_count) must be <= 4``."""
    if not attributes:
        return issues
    named: list[Issue] = []
    for issue in issues:
        parts = _regex(_PATH_PART).findall(issue.path)
        python = "".join(attributes.get(part, part) for part in parts)
        if python != issue.path:
            issue = Issue(issue.path, issue.rule, issue.value, f"({python}) {issue.message}")
        named.append(issue)
    return named


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
