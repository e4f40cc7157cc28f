"""Check a submitted body against the model's JSON Schema and word the failure like the API does."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

from .prose_rules import first_broken

_RANGE = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
_SIZE = {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}
_SIZE_UNITS = {"Length": "characters", "Items": "items", "Properties": "properties"}


class BodyRejected(Exception):
    """The body breaks the schema; `message` is the API's `<Category>: <detail>` text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parameter(path: Iterable[Any]) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _bounds(schema: Mapping[str, Any]) -> str:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"{'greater than' if 'exclusiveMinimum' in schema else 'at least'} {low}"
    return f"{'less than' if 'exclusiveMaximum' in schema else 'at most'} {high}"


def describe(error: SchemaError) -> str:
    """One API-style message for one schema violation, naming the parameter."""
    keyword = str(error.validator)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        required: Any = error.validator_value
        missing = next((str(r) for r in required if r not in instance), "?")
        name = _parameter([*error.absolute_path, missing])
        return f"Missing required parameter: parameter '{name}' is required"
    name = _parameter(error.absolute_path)
    if not name:
        if keyword == "type":
            return f"Invalid format: request body must be a JSON {error.validator_value}"
        return f"Invalid parameters: {error.message}"
    got = _short(error.instance)
    if keyword in _RANGE:
        return f"Value out of range: parameter '{name}' must be {_bounds(schema)}, got {got}"
    if keyword in _SIZE:
        family = keyword[3:]  # "Length", "Items" or "Properties": the bounds come from the same family
        low, high = schema.get(f"min{family}"), schema.get(f"max{family}")
        unit = _SIZE_UNITS[family]
        if low is not None and high is not None:
            rule = f"between {low} and {high} {unit}"
        elif low is not None:
            rule = f"at least {low} {unit}"
        else:
            rule = f"at most {high} {unit}"
        return f"Value out of range: parameter '{name}' must have {rule}, got {got}"
    if keyword == "enum":
        allowed: Any = error.validator_value
        options = ", ".join(_short(v) for v in allowed)
        return f"Invalid parameters: parameter '{name}' must be one of [{options}], got {got}"
    if keyword == "type":
        return f"Invalid format: parameter '{name}' must be of type {error.validator_value}, got {got}"
    if keyword == "pattern":
        return f"Invalid format: parameter '{name}' must match pattern '{error.validator_value}', got {got}"
    if keyword == "format":
        return f"Invalid format: parameter '{name}' must be a valid {error.validator_value}, got {got}"
    if keyword == "const":
        return f"Invalid parameters: parameter '{name}' must be {_short(error.validator_value)}, got {got}"
    return f"Invalid parameters: parameter '{name}' {error.message}"


class RequestValidator:
    """Validates bodies against one model's request schema (compiled once)."""

    def __init__(
        self, schema: Mapping[str, Any], *, required: bool = True, rules: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(dict(schema))
        self._validator: Validator = cls(dict(schema), format_checker=cls.FORMAT_CHECKER)
        self._required = required
        self._rules = tuple(rules)

    def check_raw(self, raw: bytes) -> Any:
        """Parse and validate a raw request body; returns the parsed body or raises BodyRejected."""
        if not raw.strip():
            if self._required:
                raise BodyRejected("Invalid format: request body is required (a JSON object)")
            body: Any = {}
        else:
            try:
                body = json.loads(raw)
            except ValueError:
                raise BodyRejected("Invalid format: invalid JSON format") from None
        self.check(body)
        return body

    def check(self, body: Any) -> None:
        error = best_match(self._validator.iter_errors(body))
        if error is not None:
            raise BodyRejected(describe(error))
        rule_message = first_broken(self._rules, body)  # the page's prose rules, checked independently
        if rule_message is not None:
            raise BodyRejected(rule_message)
