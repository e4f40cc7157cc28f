"""Where a normalized spec is interpreted: the same issues, in the same order, as the class generated from it.

A model newer than the generated classes (its live ``api_schema``, normalized like a doc page) is validated
here, and the same engine cross-checks generated code (``tests/generated/test_generated_spec_engine.py``). It
reads each node with :mod:`modellix_typed.schema_reading` (the generator's own reading), builds every
:class:`~modellix_typed.validation.Issue` with :mod:`modellix_typed.validation` and checks prose rules with
:mod:`modellix_typed.rules`, so messages are word for word the generated ones. Nothing here is fast: the
generated classes stay the hot path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from . import validation as v
from .naming import class_name
from .patterns import Pattern, backtracking_safe
from .rules import Rule, violations
from .schema_reading import (
    has_checks,
    is_object_with_properties,
    is_precise,
    may_be_string,
    ordered_properties,
    request_schema,
    schema_types,
    size_bounds,
    size_separator,
    uri_rule,
)
from .validation import Issue, ValidationError

_TYPE_TESTS: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda x: isinstance(x, str),
    "integer": v.is_int,
    "number": v.is_number,
    "boolean": lambda x: isinstance(x, bool),
    "array": lambda x: isinstance(x, list),
    "object": lambda x: isinstance(x, Mapping),
    "null": lambda x: x is None,
}
_BOUNDS: tuple[tuple[str, Callable[[Any, float], bool]], ...] = (
    ("minimum", lambda x, b: x < b),
    ("maximum", lambda x, b: x > b),
    ("exclusiveMinimum", lambda x, b: x <= b),
    ("exclusiveMaximum", lambda x, b: x >= b),
)


@functools.cache
def _pattern(source: str) -> Pattern:
    return Pattern(source, backtracking_safe=backtracking_safe(source))


def _guard(types: list[str], wanted: str, x: Any) -> bool:
    """The generator's isinstance guard: skipped when the type check already guarantees ``wanted``."""
    if types == [wanted] or (wanted == "number" and types == ["integer"]):
        return True
    return _TYPE_TESTS[wanted](x)


@attrs.frozen
class _Node:
    """One schema node's checks, bound to the field it belongs to (``name``: size-bound wording reads it)."""

    schema: Mapping[str, Any]
    name: str
    parent_description: str = ""
    nested: str | None = None  # the class a generated module would coerce this object into (None: a mapping)

    def __call__(self, x: Any, path: str, issues: list[Issue]) -> Any:
        schema = self.schema
        if self.nested is not None and is_object_with_properties(schema):
            if isinstance(x, Mapping):
                _check_object(schema, x, path + ".", issues, self.nested, root=False)
            else:
                issues.append(v.type_issue(path, f"object ({self.nested} or a mapping)", x))
            return x
        types = schema_types(schema)
        if "integer" in types and "number" not in types and isinstance(x, float) and x.is_integer():
            x = int(x)  # jsonschema counts 2.0 as an integer; the generated check sends it as 2
        known = [t for t in types if t in _TYPE_TESTS]
        if known and not any(_TYPE_TESTS[t](x) for t in known):
            issues.append(v.type_issue(path, " or ".join(known), x))
        else:
            x = self._body(x, path, issues, types)
        return self._combinators(x, path, issues)

    def _body(self, x: Any, path: str, issues: list[Issue], types: list[str]) -> Any:
        enum = self.schema.get("enum")
        separator = size_separator(self.schema) if may_be_string(types) else None
        if separator is not None:
            if _guard(types, "string", x):
                fine = v.check_size_separator(x, path, separator, issues)
                if fine and isinstance(enum, list) and not v.json_in(x, enum):
                    issues.append(v.enum_issue(path, x, tuple(enum)))
        elif isinstance(enum, list) and not v.json_in(x, enum):
            issues.append(v.enum_issue(path, x, tuple(enum)))
            return x
        return self._rules(x, path, issues, types)

    def _rules(self, x: Any, path: str, issues: list[Issue], types: list[str]) -> Any:
        schema = self.schema
        if "const" in schema and not v.json_in(x, (schema["const"],)):
            issues.append(v.enum_issue(path, x, (schema["const"],)))
        self._string_rules(x, path, issues, types)
        self._number_rules(x, path, issues, types)
        x = self._array_rules(x, path, issues, types)
        self._object_rules(x, path, issues, types)
        return x

    def _string_rules(self, x: Any, path: str, issues: list[Issue], types: list[str]) -> None:
        schema = self.schema
        uri = uri_rule(schema, self.parent_description) if may_be_string(types) else None
        bounds = size_bounds(self.name, schema) if may_be_string(types) else {}
        wanted = {"minLength", "maxLength", "pattern"} & set(schema)
        if not (wanted or uri or bounds) or not _guard(types, "string", x):
            return
        if isinstance(schema.get("minLength"), int) and len(x) < schema["minLength"]:
            issues.append(v.length_issue(path, "minLength", x, schema["minLength"]))
        if isinstance(schema.get("maxLength"), int) and len(x) > schema["maxLength"]:
            issues.append(v.length_issue(path, "maxLength", x, schema["maxLength"]))
        if isinstance(schema.get("pattern"), str):
            v.check_pattern(x, path, _pattern(schema["pattern"]), issues)
        if uri is not None:
            v.check_uri(x, path, issues, uri.accept, base64=uri.base64)
        if bounds:
            v.check_size_pixels(x, path, issues, **bounds)

    def _number_rules(self, x: Any, path: str, issues: list[Issue], types: list[str]) -> None:
        rules = [
            (rule, test, bound)
            for rule, test in _BOUNDS
            if isinstance(bound := self.schema.get(rule), int | float) and not isinstance(bound, bool)
        ]
        if not rules or not _guard(types, "integer" if types == ["integer"] else "number", x):
            return
        for rule, test, bound in rules:
            if test(x, bound):
                issues.append(v.bound_issue(path, rule, x, bound))

    def _array_rules(self, x: Any, path: str, issues: list[Issue], types: list[str]) -> Any:
        schema = self.schema
        items = schema.get("items")
        has_items = isinstance(items, Mapping) and has_checks(items)
        bounds = [(r, schema[r]) for r in ("minItems", "maxItems") if isinstance(schema.get(r), int)]
        if not (bounds or has_items or schema.get("uniqueItems") is True) or not _guard(types, "array", x):
            return x
        for rule, bound in bounds:
            if (len(x) < bound) if rule == "minItems" else (len(x) > bound):
                issues.append(v.items_issue(path, rule, x, bound))
        if schema.get("uniqueItems") is True:
            v.check_unique_items(x, path, issues)
        if has_items:
            assert isinstance(items, Mapping)
            nested = f"{self.nested}Item" if self.nested is not None else None
            node = _Node(items, self.name, str(schema.get("description") or ""), nested)
            for index, item in enumerate(x):
                node(item, f"{path}[{index}]", issues)
        return x

    def _object_rules(self, x: Any, path: str, issues: list[Issue], types: list[str]) -> None:
        """An object with no class of its own (a combinator branch): required, properties and
        ``additionalProperties: false`` on the plain mapping."""
        properties = self.schema.get("properties")
        if not isinstance(properties, Mapping) or not properties or not _guard(types, "object", x):
            return
        required = [key for key in self.schema.get("required") or [] if isinstance(key, str)]
        if required:
            v.check_required(x, path, required, issues)
        if self.schema.get("additionalProperties") is False:
            v.check_no_other_keys(x, path, tuple(properties), issues)
        for key, child in properties.items():
            if isinstance(child, Mapping) and has_checks(child) and key in x:
                _Node(child, self.name)(x[key], path + "." + key, issues)  # a mapping's members: no classes

    def _combinators(self, x: Any, path: str, issues: list[Issue]) -> Any:
        for keyword in ("anyOf", "oneOf", "allOf"):
            branches = self.schema.get(keyword)
            if not isinstance(branches, list) or not branches:
                continue
            description = str(self.schema.get("description") or "")
            checks = [_Node(b, self.name, description) for b in branches if isinstance(b, Mapping)]
            if keyword == "allOf":
                for check in checks:
                    x = check(x, path, issues)
            elif keyword == "oneOf" and all(is_precise(branch) for branch in branches):
                x = v.check_one_of(x, path, issues, keyword, checks)
            else:
                x = v.check_any_of(x, path, issues, keyword, checks)
        return x


def _check_object(
    schema: Mapping[str, Any], data: Mapping[str, Any], prefix: str, issues: list[Issue], owner: str, *, root: bool
) -> None:
    """A generated class's ``_check_mapping``: fields in documented order, missing required ones, then the
    unknown keys put first (or, for a root that allows more, the undocumented keys checked as extra_body)."""
    mark = len(issues)
    found = 0
    required = set(schema.get("required") or [])
    properties: Mapping[str, Any] = schema.get("properties") or {}
    documented = {wire: wire for wire in ordered_properties(schema)}
    for wire in documented:
        if wire not in data:
            if wire in required:
                issues.append(Issue(prefix + wire, "required", None, "is required"))
            continue
        found += 1
        field_schema = properties[wire]
        nested = owner + _pascal(wire)
        _Node(field_schema, wire, "", nested)(data[wire], prefix + wire, issues)
    if root and schema.get("additionalProperties") in (True, {}):
        v.check_extra_body(v.undocumented_keys(data, documented), documented, issues)
    elif found != len(data):
        issues[mark:mark] = v.unknown_keys(data, prefix, documented)


def _pascal(wire: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in wire.replace("-", "_").split("_") if part)


@attrs.frozen
class SpecModel:
    """A request body validator built from one normalized spec (``specs/<provider>/<model_id>.json`` form)."""

    slug: str
    schema: Mapping[str, Any]
    rules: tuple[Rule, ...]
    class_name: str

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> SpecModel:
        return cls(
            slug=str(spec["slug"]),
            schema=request_schema(spec),
            rules=tuple(Rule.from_json(rule) for rule in spec.get("rules") or [] if isinstance(rule, Mapping)),
            class_name=class_name(str(spec["model_id"])),
        )

    def issues(self, data: Any) -> list[Issue]:
        """Every issue the generated ``validate_dict`` would raise, in its order (empty: the body is valid)."""
        issues: list[Issue] = []
        if data.__class__ is not dict and not v.check_object(data, "(body)", issues):
            return issues
        _check_object(self.schema, data, "", issues, self.class_name, root=True)
        if self.rules:
            skip = frozenset(issue.path.split(".")[0].split("[")[0] for issue in issues)
            issues.extend(violations(self.rules, self._as_built(data), skip))
        return issues

    def validate(self, data: Any) -> None:
        """Raise one :class:`ValidationError` with every issue, as a generated class's ``validate_dict``."""
        issues = self.issues(data)
        if issues:
            raise ValidationError(self.slug, issues)

    def _as_built(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The values the rules see, converted as each field's own check would (``512.0`` -> ``512``)."""
        properties: Mapping[str, Any] = self.schema.get("properties") or {}
        built: dict[str, Any] = {}
        for wire in {name for rule in self.rules for name in rule.fields}.intersection(body):
            child = properties.get(wire)
            if isinstance(child, Mapping):
                built[wire] = _Node(child, wire, "", self.class_name + _pascal(wire))(body[wire], wire, [])
            else:
                built[wire] = body[wire]
        return built
