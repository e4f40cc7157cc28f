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
    python: str = ""  # the attribute name in the generated class (``sample_count`` for ``sampleCount``)
    size_format: str | None = None  # ``W*H`` / ``WxH`` when the field is a size string
    rules: list[dict[str, Any]] = attrs.field(factory=list)  # prose rules naming this field (with sentences)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "python": self.python or self.name,
            "type": self.type,
            "required": self.required,
            "description": self.description,
            "constraints": self.constraints,
            "size_format": self.size_format,
            "rules": self.rules,
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


def _size_format(prop: Mapping[str, Any]) -> str | None:
    """``W*H`` or ``WxH`` as the generated class enforces it (the generator's own reading of the docs)."""
    if not isinstance(prop.get("type"), str):
        return None
    from ..schema_reading import size_separator  # the generator's own reading (a runtime module, no extra)

    separator = size_separator(prop)
    return f"W{separator}H" if separator else None


def rule_json(rule: Any) -> dict[str, Any]:
    """A prose rule (:class:`modellix_typed.rules.Rule`) as data, with the docs' sentence it comes from."""
    data: dict[str, Any] = {"kind": rule.kind, "fields": list(rule.fields), "sentence": rule.sentence}
    for key in ("low", "high", "divisor", "then"):
        if getattr(rule, key) is not None:
            data[key] = getattr(rule, key)
    if rule.when_values is not None:
        data["when_values"] = list(rule.when_values)
    if rule.values:
        data["values"] = list(rule.values)
    return data


def python_name(wire: str, attributes: Mapping[str, str]) -> str:
    """``opts.seed_value`` for ``opts.seedValue``: each segment's attribute name (nested paths too)."""
    import re

    return "".join(attributes.get(part, part) for part in re.findall(r"\[\]\.|\.|[^.\[\]]+", wire))


def parameters(
    schema: Mapping[str, Any],
    prefix: str = "",
    *,
    attributes: Mapping[str, str] | None = None,
    rules: tuple[Any, ...] = (),
) -> list[Parameter]:
    """Rows for every property, in documented order, recursing into nested objects; each row with its Python
    name (``attributes``: wire -> Python, as the generated class maps them) and the prose ``rules`` naming it."""
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
                python=python_name(full, attributes or {}),
                size_format=_size_format(prop),
                rules=[rule_json(rule) for rule in rules if full in rule.fields],
            )
        )
        nested = {"attributes": attributes, "rules": rules}
        if isinstance(prop.get("properties"), Mapping):
            rows.extend(parameters(prop, full + ".", **nested))  # type: ignore[arg-type]
        items = prop.get("items")
        if isinstance(items, Mapping) and isinstance(items.get("properties"), Mapping):
            rows.extend(parameters(items, full + "[].", **nested))  # type: ignore[arg-type]
    return rows
