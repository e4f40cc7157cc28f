"""Turn one raw JSON Schema node into straight-line Python validation code (the fast path of generated classes).

Every documented keyword becomes an inline comparison; only failures call into
:mod:`modellix_typed.validation` to build an Issue. Combinator branches that can't be checked precisely are
checked loosely, so valid input is never rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from modellix_typed.codegen.gen_literal import pyrepr
from modellix_typed.patterns import backtracking_safe
from modellix_typed.schema_reading import (
    UriRule,
    has_checks,
    is_object_with_properties,
    is_precise,
    may_be_string,
    python_eq_differs,
    schema_types,
    size_bounds,
    size_separator,
    uri_rule,
)

# The field rules live in modellix_typed.schema_reading (shared with the spec engine); importable from here too.
__all__ = ["CheckContext", "Emitter", "UriRule", "fast_accept", "is_precise", "schema_types", "uri_rule"]

_TYPE_TESTS: dict[str, tuple[str, str]] = {
    # JSON type -> (python test with {x}, name for messages)
    "string": ("isinstance({x}, str)", "string"),
    "integer": ("isinstance({x}, int) and not isinstance({x}, bool)", "integer"),
    "number": ("isinstance({x}, (int, float)) and not isinstance({x}, bool)", "number"),
    "boolean": ("isinstance({x}, bool)", "boolean"),
    "array": ("isinstance({x}, list)", "array"),
    "object": ("isinstance({x}, Mapping)", "object"),
    "null": ("{x} is None", "null"),
}


@attrs.define
class CheckContext:
    """Module-level state shared by the checks of one generated module: constants and branch functions."""

    constants: dict[str, str] = attrs.field(factory=dict)
    functions: list[str] = attrs.field(factory=list)
    patterns: list[str] = attrs.field(factory=list)
    """Every spec ``pattern`` the module checks (the generator reports which engine runs each)."""
    _counter: int = 0

    def constant(self, prefix: str, code: str) -> str:
        if len(code) > 96 and code.startswith("(") and code.endswith(")"):
            code = "(\n" + "".join(f"    {part},\n" for part in _split_top_level(code[1:-1])) + ")"
        for name, existing in self.constants.items():
            if existing == code and name.startswith(prefix):
                return name
        name = f"{prefix}{1 + sum(1 for existing in self.constants if existing.startswith(prefix))}"
        self.constants[name] = code
        return name

    def function_name(self, base: str) -> str:
        self._counter += 1
        return f"{base}_{self._counter}"


_FAST_TYPES: dict[str, str] = {
    # JSON type -> exact-class test: True only for values the check function accepts unchanged
    "string": "{x}.__class__ is str",
    "integer": "{x}.__class__ is int",
    "number": "({x}.__class__ is int or {x}.__class__ is float)",
    "boolean": "{x}.__class__ is bool",
}
_FAST_BOUNDS = (("minimum", ">="), ("maximum", "<="), ("exclusiveMinimum", ">"), ("exclusiveMaximum", "<"))
_SLOW_ONLY = frozenset(
    {
        "items", "minItems", "maxItems", "uniqueItems", "properties", "required", "additionalProperties",
        "anyOf", "oneOf", "allOf",
    }
)


def fast_accept(ctx: CheckContext, schema: Mapping[str, Any], x: str, name: str) -> str | None:
    """An inline expression that is True only for a value the field's check function would accept unchanged
    (no issue, no conversion), so the common valid case skips the call; False sends the value through the full
    check, which builds the issues. None when the node is not a plain scalar rule set (the check always runs).

    Uses the same constants as the check function (``ctx.constant`` deduplicates them).
    """
    types = schema_types(schema)
    if len(types) != 1 or types[0] not in _FAST_TYPES or _SLOW_ONLY & set(schema):
        return None
    if uri_rule(schema) is not None or size_separator(schema) is not None or size_bounds(name, schema):
        return None
    (kind,) = types
    tests = [_FAST_TYPES[kind].format(x=x)]
    enum = schema.get("enum")
    if isinstance(enum, list):
        if python_eq_differs(enum, types):
            return None
        tests.append(f"{x} in {ctx.constant('_ENUM_', pyrepr(tuple(enum)))}")
    if "const" in schema:
        if python_eq_differs([schema["const"]], types):
            return None
        tests.append(f"{x} == {ctx.constant('_CONST_', pyrepr(schema['const']))}")
    if kind == "string":
        if isinstance(schema.get("minLength"), int):
            tests.append(f"len({x}) >= {schema['minLength']}")
        if isinstance(schema.get("maxLength"), int):
            tests.append(f"len({x}) <= {schema['maxLength']}")
        if isinstance(schema.get("pattern"), str):
            source = schema["pattern"]
            code = f"v.Pattern({pyrepr(source)}, backtracking_safe={backtracking_safe(source)})"
            tests.append(f"{ctx.constant('_PATTERN_', code)}.matches({x})")
    if kind in ("integer", "number"):
        for rule, op in _FAST_BOUNDS:
            bound = schema.get(rule)
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                tests.append(f"{x} {op} {bound!r}")
    return " and ".join(tests)


NestedClass = Callable[[Mapping[str, Any]], str | None]
"""Given an object schema, the generated class name that validates it (None: a plain mapping)."""


@attrs.define
class Emitter:
    ctx: CheckContext
    nested_class: NestedClass
    lines: list[str] = attrs.field(factory=list)
    _depth: int = 0

    def emit_function(self, name: str, schema: Mapping[str, Any], field_name: str, parent_description: str = "") -> str:
        """Source of ``def name(value, path, issues) -> value`` checking ``schema``."""
        body = Emitter(self.ctx, self.nested_class)
        body.node(schema, "value", "path", 1, field_name, parent_description)
        code = [f"def {name}(value: Any, path: str, issues: list[Issue]) -> Any:"]
        code += body.lines or ["    pass"]
        code.append("    return value")
        return "\n".join(code)

    def _add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def node(  # noqa: C901 - one keyword family per block, kept together on purpose
        self,
        schema: Mapping[str, Any],
        x: str,
        path: str,
        indent: int,
        name: str,
        parent_description: str = "",
    ) -> None:
        cls_name = self.nested_class(schema) if is_object_with_properties(schema) else None
        if cls_name is not None:
            self._add(indent, f"{x} = v.coerce_nested({cls_name}, {x}, {path}, issues)")
            return
        types = schema_types(schema)
        if may_be_string(types) and uri_rule(schema, parent_description) is not None:
            # A media-URL field also takes a local file (path, bytes, binary file): the client uploads it first.
            self._add(indent, f"if not v.is_local_file({x}):")
            indent += 1
        body_indent = indent
        if "integer" in types and "number" not in types:
            # jsonschema counts 2.0 as an integer: accept integral floats and send them as ints
            self._add(indent, f"if isinstance({x}, float) and {x}.is_integer():")
            self._add(indent + 1, f"{x} = int({x})")
        if types:
            test = " or ".join(
                f"({_TYPE_TESTS[t][0].format(x=x)})"
                if len(types) > 1 and " " in _TYPE_TESTS[t][0]
                else _TYPE_TESTS[t][0].format(x=x)
                for t in types
                if t in _TYPE_TESTS
            )
            expected = " or ".join(_TYPE_TESTS[t][1] for t in types if t in _TYPE_TESTS)
            if test:
                self._add(indent, f"if not ({test}):" if " or " in test or " and " in test else f"if not {test}:")
                self._add(indent + 1, f"issues.append(v.type_issue({path}, {pyrepr(expected)}, {x}))")
                body_indent = indent + 1
        start = len(self.lines)
        self._body(schema, x, path, body_indent, name, types, parent_description)
        if len(self.lines) > start and body_indent != indent:
            self.lines.insert(start, "    " * indent + "else:")
        self._combinators(schema, x, path, indent, name)

    def _guard(self, types: list[str], wanted: str, x: str, indent: int) -> int:
        """Open an isinstance guard unless the type check already guarantees ``wanted``."""
        if types == [wanted] or (wanted == "number" and types == ["integer"]):
            return indent
        self._add(indent, f"if {_TYPE_TESTS[wanted][0].format(x=x)}:")
        return indent + 1

    def _body(
        self,
        schema: Mapping[str, Any],
        x: str,
        path: str,
        indent: int,
        name: str,
        types: list[str],
        parent_description: str,
    ) -> None:
        enum = schema.get("enum")
        separator = size_separator(schema) if may_be_string(types) else None
        if separator is not None:
            inner = self._guard(types, "string", x, indent)
            sep_call = f"v.check_size_separator({x}, {path}, {pyrepr(separator)}, issues)"
            if isinstance(enum, list):
                const = self.ctx.constant("_ENUM_", pyrepr(tuple(enum)))
                self._add(inner, f"if {sep_call} and {x} not in {const}:")
                self._add(inner + 1, f"issues.append(v.enum_issue({path}, {x}, {const}))")
            else:
                self._add(inner, sep_call)
        elif isinstance(enum, list):
            const = self.ctx.constant("_ENUM_", pyrepr(tuple(enum)))
            test = f"not v.json_in({x}, {const})" if python_eq_differs(enum, types) else f"{x} not in {const}"
            self._add(indent, f"if {test}:")
            self._add(indent + 1, f"issues.append(v.enum_issue({path}, {x}, {const}))")
            # a value outside the enum is reported once, as such: its other rules run only for enum members
            start = len(self.lines)
            self._add(indent, "else:")
            self._rules(schema, x, path, indent + 1, name, types, parent_description)
            if len(self.lines) == start + 1:
                self.lines.pop()
            return
        self._rules(schema, x, path, indent, name, types, parent_description)

    def _rules(
        self,
        schema: Mapping[str, Any],
        x: str,
        path: str,
        indent: int,
        name: str,
        types: list[str],
        parent_description: str,
    ) -> None:
        if "const" in schema:
            const = self.ctx.constant("_CONST_", pyrepr(schema["const"]))
            if python_eq_differs([schema["const"]], types):
                self._add(indent, f"if not v.json_in({x}, ({const},)):")
            else:
                self._add(indent, f"if {x} != {const}:")
            self._add(indent + 1, f"issues.append(v.enum_issue({path}, {x}, ({const},)))")
        self._string_rules(schema, x, path, indent, name, types, parent_description)
        self._number_rules(schema, x, path, indent, types)
        self._array_rules(schema, x, path, indent, name, types)
        self._object_rules(schema, x, path, indent, name, types)

    def _string_rules(
        self,
        schema: Mapping[str, Any],
        x: str,
        path: str,
        indent: int,
        name: str,
        types: list[str],
        parent_description: str,
    ) -> None:
        rules: list[tuple[str, str]] = []
        if isinstance(schema.get("minLength"), int):
            bound = schema["minLength"]
            rules.append(
                (f"if len({x}) < {bound}:", f'issues.append(v.length_issue({path}, "minLength", {x}, {bound}))')
            )
        if isinstance(schema.get("maxLength"), int):
            bound = schema["maxLength"]
            rules.append(
                (f"if len({x}) > {bound}:", f'issues.append(v.length_issue({path}, "maxLength", {x}, {bound}))')
            )
        if isinstance(schema.get("pattern"), str):
            source = schema["pattern"]
            safe = backtracking_safe(source)
            const = self.ctx.constant("_PATTERN_", f"v.Pattern({pyrepr(source)}, backtracking_safe={safe})")
            self.ctx.patterns.append(source)
            rules.append(("", f"v.check_pattern({x}, {path}, {const}, issues)"))
        uri = uri_rule(schema, parent_description) if may_be_string(types) else None
        if uri is not None:
            args = f"{pyrepr(uri.accept)}, base64={uri.base64}"
            rules.append(("", f"v.check_uri({x}, {path}, issues, {args})"))
        bounds = size_bounds(name, schema) if may_be_string(types) else {}
        if bounds:
            args = ", ".join(f"{k}={bounds[k]}" for k in sorted(bounds))
            rules.append(("", f"v.check_size_pixels({x}, {path}, issues, {args})"))
        if not rules:
            return
        inner = self._guard(types, "string", x, indent)
        for condition, action in rules:
            if condition:
                self._add(inner, condition)
                self._add(inner + 1, action)
            else:
                self._add(inner, action)

    def _number_rules(self, schema: Mapping[str, Any], x: str, path: str, indent: int, types: list[str]) -> None:
        rules = []
        for rule, op in (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<="), ("exclusiveMaximum", ">=")):
            bound = schema.get(rule)
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                continue  # OpenAPI 3.0 boolean exclusive* flags are folded by the crawler; ignore leftovers
            rules.append(
                (f"if {x} {op} {bound!r}:", f"issues.append(v.bound_issue({path}, {pyrepr(rule)}, {x}, {bound!r}))")
            )
        if not rules:
            return
        wanted = "integer" if types == ["integer"] else "number"
        inner = self._guard(types, wanted, x, indent)
        for condition, action in rules:
            self._add(inner, condition)
            self._add(inner + 1, action)

    def _array_rules(
        self, schema: Mapping[str, Any], x: str, path: str, indent: int, name: str, types: list[str]
    ) -> None:
        items = schema.get("items")
        has_items = isinstance(items, Mapping) and has_checks(items)
        bounds = [(r, schema[r]) for r in ("minItems", "maxItems") if isinstance(schema.get(r), int)]
        unique = schema.get("uniqueItems") is True
        if not bounds and not has_items and not unique:
            return
        inner = self._guard(types, "array", x, indent)
        for rule, bound in bounds:
            op = "<" if rule == "minItems" else ">"
            self._add(inner, f"if len({x}) {op} {bound}:")
            self._add(inner + 1, f"issues.append(v.items_issue({path}, {pyrepr(rule)}, {x}, {bound}))")
        if unique:
            self._add(inner, f"v.check_unique_items({x}, {path}, issues)")
        if has_items:
            assert isinstance(items, Mapping)
            depth = self._depth
            self._depth += 1
            item, index, item_path = f"item{depth}", f"i{depth}", f"p{depth}"
            converts = _converts(items, self.nested_class)
            if converts:
                self._add(inner, f"{x} = list({x})")
            self._add(inner, f"for {index}, {item} in enumerate({x}):")
            self._add(inner + 1, f'{item_path} = f"{{{path}}}[{{{index}}}]"')
            self.node(items, item, item_path, inner + 1, name, str(schema.get("description") or ""))
            if converts:
                self._add(inner + 1, f"{x}[{index}] = {item}")

    def _object_rules(
        self, schema: Mapping[str, Any], x: str, path: str, indent: int, name: str, types: list[str]
    ) -> None:
        """An object node with no generated class (a combinator branch): required, properties and
        ``additionalProperties: false`` checked on the plain mapping, which is kept as it is."""
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return
        inner = self._guard(types, "object", x, indent)
        required = [key for key in schema.get("required") or [] if isinstance(key, str)]
        if required:
            const = self.ctx.constant("_REQUIRED_", pyrepr(tuple(required)))
            self._add(inner, f"v.check_required({x}, {path}, {const}, issues)")
        if schema.get("additionalProperties") is False:
            const = self.ctx.constant("_KNOWN_", pyrepr(tuple(properties)))
            self._add(inner, f"v.check_no_other_keys({x}, {path}, {const}, issues)")
        depth = self._depth
        self._depth += 1
        member, member_path = f"o{depth}", f"q{depth}"
        for key, child in properties.items():
            if not isinstance(child, Mapping) or not has_checks(child):
                continue
            self._add(inner, f"if {pyrepr(key)} in {x}:")
            self._add(inner + 1, f"{member} = {x}[{pyrepr(key)}]")
            self._add(inner + 1, f"{member_path} = {path} + {pyrepr('.' + key)}")
            self.node(child, member, member_path, inner + 1, name)

    def _combinators(self, schema: Mapping[str, Any], x: str, path: str, indent: int, name: str) -> None:
        for keyword in ("anyOf", "oneOf", "allOf"):
            branches = schema.get(keyword)
            if not isinstance(branches, list) or not branches:
                continue
            names = []
            for branch in branches:
                if not isinstance(branch, Mapping):
                    continue
                fname = self.ctx.function_name("_branch")
                loose = Emitter(self.ctx, lambda _schema: None)  # object branches: a mapping, checked loosely
                self.ctx.functions.append(
                    loose.emit_function(fname, branch, name, str(schema.get("description") or ""))
                )
                names.append(fname)
            if keyword == "allOf":
                for fname in names:
                    self._add(indent, f"{x} = {fname}({x}, {path}, issues)")
            else:
                tuple_code = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
                exact = keyword == "oneOf" and all(is_precise(branch) for branch in branches)
                helper = "check_one_of" if exact else "check_any_of"
                self._add(indent, f"{x} = v.{helper}({x}, {path}, issues, {pyrepr(keyword)}, {tuple_code})")


def _converts(schema: Mapping[str, Any], nested_class: NestedClass) -> bool:
    return is_object_with_properties(schema) and nested_class(schema) is not None


def _split_top_level(code: str) -> list[str]:
    """Split a tuple body of JSON scalars on the commas between items (not those inside strings)."""
    parts, depth, quoted, escaped, current = [], 0, False, False, ""
    for char in code:
        if quoted:
            escaped, quoted = (not escaped and char == "\\"), quoted and not (char == '"' and not escaped)
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts
