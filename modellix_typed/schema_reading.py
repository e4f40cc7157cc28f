"""How a JSON Schema node is read: which rules it states, in the generator's and the spec engine's words alike.

One reading for two consumers: :mod:`modellix_typed.codegen.gen_checks` turns it into generated code, and
:mod:`modellix_typed.spec_engine` interprets it at run time (models newer than the generated classes), so the
two can never disagree on what a node means (size separators, URL fields, pixel bounds, precise oneOf...).
Pure functions over plain dicts; no codegen dependency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

_SIZE_VALUE = re.compile(r"^\s*(\d+)\s*([*xX×])\s*(\d+)\s*$")
_SIZE_NAME = re.compile(r"size|resolution", re.IGNORECASE)
_SIZE_SAID = re.compile(r"\bwidth\s*([*xX×]|\s+x\s+)\s*height\b", re.IGNORECASE)
_URI_FORMATS = ("uri", "url", "uri-reference", "iri")
_BASE64_WORD = re.compile(r"base\s*64", re.IGNORECASE)
_DATA_URI_PHRASE = re.compile(
    r"(?:base\s*64\s+)?data\s*[:-]?\s*ur[il]s?\b|\bdata:[a-z]", re.IGNORECASE
)
_URL_WORD = re.compile(r"\bur[il]s?\b|\bhttps?://", re.IGNORECASE)
_PIXELS_RANGE = re.compile(
    r"pixels?[^\[\]\n]{0,60}?\[\s*(\d+)\s*[*xX×]\s*(\d+)(?:\s*=\s*\d+)?\s*,\s*(\d+)\s*[*xX×]\s*(\d+)"
)
_SIDE_RANGE = re.compile(
    r"(?:width|height|side)s?\b[^.\n]{0,60}?(?:between|from|in|range)\s*\[?\s*(\d+)\s*(?:and|to|-|,|~)\s*(\d+)\s*\]?",
    re.IGNORECASE,
)


def schema_types(schema: Mapping[str, Any]) -> list[str]:
    raw = schema.get("type")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [t for t in raw if isinstance(t, str)]
    return []


def size_separator(schema: Mapping[str, Any]) -> str | None:
    """``*`` or ``x``: what the description says (``format: width*height``), else what the documented
    enum/default/example agree on; None when a documented value disagrees (never reject what the docs show)."""
    samples: list[Any] = list(schema.get("enum") or [])
    samples += [
        schema.get("default"),
        schema.get("example"),
        *(schema.get("examples") or []),
    ]
    seps = set()
    for sample in samples:
        if isinstance(sample, str) and (match := _SIZE_VALUE.match(sample)):
            seps.add("x" if match.group(2) in "xX×" else "*")
    said = _SIZE_SAID.search(str(schema.get("description") or ""))
    if said is not None and isinstance(schema.get("type"), str):
        stated = "*" if "*" in said.group(1) else "x"
        return stated if seps <= {stated} else None
    return seps.pop() if len(seps) == 1 else None


def size_bounds(name: str, schema: Mapping[str, Any]) -> dict[str, int]:
    """Pixel bounds a size-like field's description states (``total pixels in [2560x1440, 4096x4096]``...)."""
    if not _SIZE_NAME.search(name) and size_separator(schema) is None:
        return {}
    text = str(schema.get("description") or "")
    bounds: dict[str, int] = {}
    if match := _PIXELS_RANGE.search(text):
        a, b, c, d = (int(g) for g in match.groups())
        bounds["min_pixels"], bounds["max_pixels"] = a * b, c * d
    if match := _SIDE_RANGE.search(text):
        low, high = int(match.group(1)), int(match.group(2))
        if low <= high:
            bounds["min_side"], bounds["max_side"] = low, high
    return bounds


@attrs.frozen
class UriRule:
    """What a URL-typed string field accepts, derived from ``format: uri`` and the field's prose."""

    accept: str  # "url" | "url_or_data" | "data"
    base64: bool  # data: URIs must carry ``;base64``

    def describe(self) -> str:
        data = "data:<mime>;base64,... URI" if self.base64 else "data: URI"
        return {
            "url": "http(s) URL",
            "url_or_data": f"http(s) URL or {data}",
            "data": data,
        }[self.accept]


def uri_rule(schema: Mapping[str, Any], parent_description: str = "") -> UriRule | None:
    """The URL rule of a string node, or None when nothing says it is a URL.

    ``format: uri`` or prose saying URL -> http(s) URLs; data: URIs too when the prose also says Base64 or data
    URI; data: URIs only when the prose names data URIs and no other URL. ``parent_description`` is the array's
    description for string items (``"Input image URLs"`` + items ``{"type": "string"}``).
    """
    types = schema_types(schema)
    if (types and "string" not in types) or "enum" in schema or "const" in schema:
        return None
    if not _documented_values_fit_uri(schema):
        return None  # never reject what the docs show: "pet_lion_pro" is not a URL, whatever the prose links to
    # a link in the prose ("for the full list, see: https://...") points to docs, it doesn't describe the value
    text = _LINK.sub(" ", f"{schema.get('description') or ''} {parent_description}")
    if _RAW_BASE64.search(text):
        return (
            None  # raw Base64 without a data: prefix is allowed: no URL shape to check
        )
    formatted = schema.get("format") in _URI_FORMATS
    says_data = _DATA_URI_PHRASE.search(text) is not None
    says_url = _URL_WORD.search(_DATA_URI_PHRASE.sub(" ", text)) is not None
    base64 = _BASE64_WORD.search(text) is not None
    if formatted or says_url:
        return UriRule("url_or_data" if says_data or base64 else "url", base64)
    if says_data:
        return UriRule("data", base64)
    return None


_LINK = re.compile(r"\bhttps?://\S+")
_URI_SHAPED = re.compile(r"^(?:https?://|data:)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^<[^<>]+>$")
_RAW_BASE64 = re.compile(
    r"(?:do not|don't) include (?:the )?(?:'data:'|\"data:\"|data:|base64) prefix",
    re.IGNORECASE,
)


def _documented_values_fit_uri(schema: Mapping[str, Any]) -> bool:
    """False when the field's own example or default is a real value that is not a URL or data: URI."""
    for key in ("example", "default"):
        value = schema.get(key)
        if (
            isinstance(value, str)
            and not _PLACEHOLDER.match(value.strip())
            and not _URI_SHAPED.match(value)
        ):
            return False
    return True


_CHECKED = frozenset(
    {
        "type",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "properties",
        "required",
        "additionalProperties",
        "anyOf",
        "oneOf",
        "allOf",
    }
)
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "default",
        "example",
        "examples",
        "x-order",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


def is_precise(schema: Any) -> bool:
    """True when every keyword of ``schema`` (recursively) is one we check exactly like JSON Schema does, so a
    oneOf can count matching branches; otherwise it is checked as anyOf (a loose branch must not reject)."""
    if not isinstance(schema, Mapping):
        return False
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key not in _CHECKED or (
            key == "additionalProperties" and not isinstance(value, bool)
        ):
            return False
        if key == "items" and not is_precise(value):
            return False
        if key == "properties" and not (
            isinstance(value, Mapping) and all(map(is_precise, value.values()))
        ):
            return False
        if key in ("anyOf", "oneOf", "allOf") and not (
            isinstance(value, list) and all(map(is_precise, value))
        ):
            return False
    return True


def python_eq_differs(values: list[Any], types: list[str]) -> bool:
    """Python's ``==`` says ``True == 1``; JSON Schema doesn't. Use the JSON comparison only when it matters."""
    bools_possible = not types or "boolean" in types
    numbers_possible = not types or "integer" in types or "number" in types
    has_bool = any(isinstance(value, bool) for value in values)
    has_number = any(
        isinstance(value, int | float) and not isinstance(value, bool)
        for value in values
    )
    nested = any(isinstance(value, list | dict) for value in values)
    return nested or (has_bool and numbers_possible) or (has_number and bools_possible)


def may_be_string(types: list[str]) -> bool:
    """String rules apply when the node is typed string, or untyped (checked behind an isinstance guard)."""
    return "string" in types or not types


def is_object_with_properties(schema: Mapping[str, Any]) -> bool:
    return isinstance(schema.get("properties"), Mapping) and bool(schema["properties"])


def has_checks(schema: Mapping[str, Any]) -> bool:
    keys = {
        "type",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
    }
    keys |= {
        "exclusiveMinimum",
        "exclusiveMaximum",
        "items",
        "minItems",
        "maxItems",
        "anyOf",
        "oneOf",
        "allOf",
    }
    return bool(keys & set(schema)) or is_object_with_properties(schema)


def sanitize_schema(schema: Any) -> Any:
    """Unexpanded recursive ``$ref`` nodes become ``{}`` (any value): the parser can't resolve them here."""
    if isinstance(schema, Mapping):
        if "$ref" in schema:
            return {"description": schema.get("description", "")} if schema.get("description") else {}
        return {key: sanitize_schema(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [sanitize_schema(item) for item in schema]
    return schema


def request_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    schema = spec.get("request_schema")
    if not isinstance(schema, Mapping):
        return {"type": "object", "properties": {}}
    return dict(sanitize_schema(schema))


def ordered_properties(raw: Mapping[str, Any]) -> list[str]:
    properties = raw.get("properties") or {}
    order = [name for name in raw.get("x-order") or [] if name in properties]
    return order + sorted(name for name in properties if name not in order)
