"""Flatten a request JSON Schema into the parameter rows ``models describe`` shows (name, type, rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

CONSTRAINT_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
)


@attrs.frozen
class Parameter:
    """One documented field; nested object fields are named ``parent.child`` (``parent[].child`` in arrays)."""

    name: str
    type: str
    required: bool
    description: str
    default: Any = None
    has_default: bool = False
    enum: list[Any] | None = None
    constraints: dict[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "description": self.description,
            "constraints": self.constraints,
        }
        if self.has_default:
            data["default"] = self.default
        if self.enum is not None:
            data["enum"] = self.enum
        return data


def type_name(schema: Mapping[str, Any]) -> str:
    """``string``, ``array of string``, ``integer | string``, ``enum``... as a reader would say it."""
    for combinator in ("anyOf", "oneOf"):
        branches = schema.get(combinator)
        if isinstance(branches, list):
            return " | ".join(dict.fromkeys(type_name(b) for b in branches if isinstance(b, Mapping)))
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"array of {type_name(items)}" if isinstance(items, Mapping) else "array"
    if isinstance(kind, str):
        return kind
    if "enum" in schema:
        return "enum"
    if "properties" in schema:
        return "object"
    return "any"


def _ordered(schema: Mapping[str, Any]) -> list[str]:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    order = [name for name in schema.get("x-order") or () if name in properties]
    return order + sorted(name for name in properties if name not in order)


def _constraints(prop: Mapping[str, Any]) -> dict[str, Any]:
    """The field's own rules, plus those of each item of a scalar array (``items.minLength``...)."""
    rules = {key: prop[key] for key in CONSTRAINT_KEYS if key in prop}
    items = prop.get("items")
    if isinstance(items, Mapping) and not isinstance(items.get("properties"), Mapping):
        rules.update({f"items.{key}": items[key] for key in (*CONSTRAINT_KEYS, "enum") if key in items})
    return rules


def parameters(schema: Mapping[str, Any], prefix: str = "") -> list[Parameter]:
    """Rows for every property, in documented order, recursing into nested objects."""
    rows: list[Parameter] = []
    required = set(schema.get("required") or ())
    properties: Mapping[str, Any] = schema.get("properties") or {}
    for name in _ordered(schema):
        prop = properties[name]
        if not isinstance(prop, Mapping):
            continue
        full = prefix + name
        enum = prop.get("enum")
        rows.append(
            Parameter(
                name=full,
                type=type_name(prop),
                required=name in required,
                description=str(prop.get("description") or "").strip(),
                default=prop.get("default"),
                has_default="default" in prop,
                enum=list(enum) if isinstance(enum, list) else None,
                constraints=_constraints(prop),
            )
        )
        if isinstance(prop.get("properties"), Mapping):
            rows.extend(parameters(prop, full + "."))
        items = prop.get("items")
        if isinstance(items, Mapping) and isinstance(items.get("properties"), Mapping):
            rows.extend(parameters(items, full + "[]."))
    return rows
