"""From one spec to the view the templates render: classes, fields, Python types, docs and check code.

openapi-python-client parses a synthetic OpenAPI document (one per provider) made of the request schemas; its
property objects give Python names, required/optional split, nested class names and base types. Constraints
are read from the raw schema (the same dict the parser's ``ModelProperty.data`` was built from), because the
parser's property objects drop them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.openapi import GeneratorData
from openapi_python_client.parser.properties.const import ConstProperty
from openapi_python_client.parser.properties.list_property import ListProperty
from openapi_python_client.parser.properties.literal_enum_property import (
    LiteralEnumProperty,
)
from openapi_python_client.parser.properties.model_property import ModelProperty
from openapi_python_client.parser.properties.protocol import (
    PropertyProtocol as Property,
)
from openapi_python_client.parser.properties.union import UnionProperty

from modellix_typed.codegen.gen_checks import CheckContext, Emitter, fast_accept
from modellix_typed.codegen.gen_literal import pyblock, pyrepr
from modellix_typed.codegen.gen_names import class_name, module_name, package_name
from modellix_typed.schema_reading import (
    ordered_properties,
    request_schema,
    size_bounds,
    size_separator,
    uri_rule,
)

RESERVED = frozenset({"extra_body", "to_dict", "from_dict", "validate_dict", "json_schema", "ENDPOINT"})
DOC_WIDTH = 100


class GenerateError(Exception):
    """A spec that cannot be turned into a correct class (name clash, parser error...)."""


@attrs.frozen
class FieldView:
    wire: str
    python: str
    kind: str  # "required" | "default" | "optional"
    type: str
    default_code: str | None
    check: str
    dump: str  # how to_dict emits it: "plain" | "dump"
    doc: str
    fast: str | None
    """Inline test true only for values the check accepts unchanged (the valid case skips the call), or None."""

    @property
    def setter(self) -> str:
        """Module-level name of the slot's ``__set__`` (storing without the on_setattr hook, cheaper than
        ``object.__setattr__``)."""
        return self.check.replace("_check_", "_put_", 1)

    def check_line(self, indent: int, target: str | None = None, issues: str = "_issues") -> str:
        """``target = check(name, path, issues)`` at ``indent`` spaces (wrapped when too long); no assignment
        when ``target`` is empty."""
        args = f"{self.python}, _prefix + {pyrepr(self.wire)}, {issues}"
        head = f"{self.python if target is None else target} = " if target != "" else ""
        line = f"{head}{self.check}({args})"
        if len(line) + indent <= 120:
            return line
        pad = " " * indent
        return f"{head}{self.check}(\n{pad}    {args}\n{pad})"


@attrs.frozen
class ClassView:
    name: str
    model_name: str
    is_root: bool
    fields: list[FieldView]
    doc: str
    extra_allowed: bool
    """Root schema says ``additionalProperties: true``: from_dict keeps unknown keys (sent via extra_body)."""

    @property
    def fields_set_setter(self) -> str:
        """Module-level name of the ``_fields_set`` slot's ``__set__`` (see :attr:`FieldView.setter`)."""
        return "_put__fields_set" if self.is_root else f"_put_{self.name}__fields_set"


@attrs.frozen
class ModelView:
    spec_file: str
    slug: str
    provider: str
    package: str
    module: str
    class_name: str
    model_id: str
    title: str
    summary: str
    task_type: str
    method: str
    path: str
    doc_url: str
    classes: list[ClassView]
    constants: dict[str, str]
    functions: list[str]
    patterns: list[str]
    uses_literal: bool
    uses_unset: bool
    aliases: dict[str, str]
    schema_code: str
    attributes: dict[str, str]
    """Wire name -> Python attribute, where they differ (error messages mention both)."""
    rules: list[str]
    """``Rule(...)`` literals of the spec's prose rules (evaluated by modellix_typed.rules)."""

    @property
    def typed_body(self) -> bool:
        """True when a TypedDict describes the body exactly: its root class allows no undocumented keys."""
        return not any(c.is_root and c.extra_allowed for c in self.classes)


def parser_config() -> Config:
    config_file = ConfigFile(literal_enums=True, post_hooks=[])
    return Config.from_sources(config_file, MetaType.NONE, "specs", "utf-8", True, None)


def parser_schema(schema: Any) -> Any:
    """The copy given to openapi-python-client: enums it can't type (mixed JSON types, e.g. ``[0.5, 1]`` or
    ``[true, "yes"]``) are dropped there; the checks still read them from the raw schema."""
    if isinstance(schema, Mapping):
        out = {key: parser_schema(value) for key, value in schema.items()}
        enum = schema.get("enum")
        if isinstance(enum, list) and len({type(value) for value in enum if value is not None}) > 1:
            del out["enum"]
        return out
    if isinstance(schema, list):
        return [parser_schema(item) for item in schema]
    return schema


def parse_provider(specs: Sequence[Mapping[str, Any]]) -> dict[str, ModelProperty]:
    """Parse all request schemas of one provider in one pass; model class name -> parsed ModelProperty."""
    schemas = {class_name(spec["model_id"]): parser_schema(request_schema(spec)) for spec in specs}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "modellix request bodies", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    }
    data = GeneratorData.from_dict(document, config=parser_config())
    if not isinstance(data, GeneratorData):
        raise GenerateError(f"openapi-python-client rejected the request schemas: {data.header}: {data.detail}")
    if data.errors:
        details = "; ".join(f"{error.header or ''} {error.detail or ''}".strip() for error in data.errors)
        raise GenerateError(f"openapi-python-client could not parse: {details}")
    return {str(model.class_info.name): model for model in data.models}


def _raw(value: Any) -> str:
    return value.get_untrusted_value() if hasattr(value, "get_untrusted_value") else str(value)


@attrs.define
class _ModuleBuilder:
    spec: Mapping[str, Any]
    models: dict[str, ModelProperty]
    ctx: CheckContext = attrs.field(factory=CheckContext)
    classes: list[ClassView] = attrs.field(factory=list)
    nested_by_id: dict[int, str] = attrs.field(factory=dict)
    uses_literal: bool = False
    root_name: str = ""
    aliases: dict[str, str] = attrs.field(factory=dict)

    def build_class(self, model: ModelProperty, raw: Mapping[str, Any], *, is_root: bool, owner: str) -> str:
        name = str(model.class_info.name)
        props: dict[str, Property] = {}  # wire name -> parsed property
        for parsed in [*(model.required_properties or []), *(model.optional_properties or [])]:
            props[_raw(parsed.name)] = parsed
        required = set(raw.get("required") or [])
        # Register nested classes first so the check emitter can refer to them.
        for wire in ordered_properties(raw):
            self._register_nested(props.get(wire), raw["properties"][wire], owner=f"{owner}.{wire}")
        fields: list[FieldView] = []
        seen: dict[str, str] = {}
        for wire in ordered_properties(raw):
            schema = raw["properties"][wire]
            prop = props.get(wire)
            python = str(prop.python_name) if prop is not None else module_name(wire)
            python = python.lstrip("_") or "field"
            if python in RESERVED:
                python += "_"
            if python in seen:
                raise GenerateError(f"{owner}: fields {seen[python]!r} and {wire!r} map to the same name {python!r}")
            seen[python] = wire
            fields.append(self._field(name, wire, python, prop, schema, wire in required))
        doc = _class_doc(self.spec, raw, fields, is_root=is_root, owner=owner)
        model_name = str(self.spec["slug"]) if is_root else f"{self.spec['slug']} ({owner})"
        extra_allowed = is_root and raw.get("additionalProperties") in (True, {})
        self.classes.append(
            ClassView(
                name=name, model_name=model_name, is_root=is_root, fields=fields, doc=doc, extra_allowed=extra_allowed
            )
        )
        return name

    def _register_nested(self, prop: Property | None, raw: Mapping[str, Any], *, owner: str) -> None:
        if isinstance(prop, ListProperty) and isinstance(raw.get("items"), Mapping):
            self._register_nested(prop.inner_property, raw["items"], owner=owner + "[]")
            return
        if isinstance(prop, ModelProperty) and isinstance(raw.get("properties"), Mapping) and raw["properties"]:
            model = self.models.get(str(prop.class_info.name))
            if model is None:
                raise GenerateError(f"{owner}: nested class {prop.class_info.name} was not parsed")
            self.nested_by_id[id(raw)] = self.build_class(model, raw, is_root=False, owner=owner)

    def _field(
        self, cls: str, wire: str, python: str, prop: Property | None, schema: Mapping[str, Any], required: bool
    ) -> FieldView:
        check = f"_check_{python}" if cls == self.root_name else f"_check_{cls}_{python}"
        emitter = Emitter(self.ctx, lambda raw: self.nested_by_id.get(id(raw)))
        self.ctx.functions.append(emitter.emit_function(check, schema, wire))
        fast = None if _is_nested(schema) else fast_accept(self.ctx, schema, python, wire)
        py_type = self.py_type(prop, schema)
        default = schema.get("default")
        if required:
            kind, default_code = "required", None
        elif default is not None and _is_literal(default) and not _is_nested(schema):
            kind, default_code = "default", pyrepr(default)
        else:
            kind, default_code = "optional", None
        plain = py_type.removesuffix(" | None") in ("str", "int", "float", "bool", *self.aliases)
        return FieldView(
            wire=wire,
            python=python,
            kind=kind,
            type=py_type,
            default_code=default_code,
            check=check,
            dump="plain" if plain else "dump",
            doc=_field_doc(wire, python, schema, kind),
            fast=fast,
        )

    def alias(self, name: str, values: list[Any]) -> str:
        """A named ``Literal`` per enum (the parser's enum class name), so callers can annotate with it too."""
        flat = f"Literal[{', '.join(pyrepr(value) for value in values)}]"
        code = (
            flat if len(name) + len(flat) <= 96 else "Literal[\n" + "".join(f"    {pyrepr(v)},\n" for v in values) + "]"
        )
        if self.aliases.setdefault(name, code) != code:
            raise GenerateError(f"{self.root_name}: two different enums named {name}")
        return name

    def py_type(self, prop: Property | None, raw: Mapping[str, Any], parent_description: str = "") -> str:
        """Python annotation: the parser's property kind, refined with the raw enum order and our classes;
        a media-URL string also takes a local file (``v.LocalFile``, uploaded by the client)."""
        if prop is None:
            return "Any"
        if type(prop).__name__ == "StringProperty" and uri_rule(raw, parent_description) is not None:
            return "str | v.LocalFile"
        if isinstance(prop, LiteralEnumProperty):
            values = [value for value in raw.get("enum") or sorted(prop.values, key=repr) if value is not None]
            self.uses_literal = True
            alias = self.alias(str(prop.class_info.name), values)
            return f"{alias} | None" if None in (raw.get("enum") or []) else alias
        if isinstance(prop, ConstProperty):
            self.uses_literal = True
            return f"Literal[{pyrepr(raw.get('const'))}]"
        if isinstance(prop, ListProperty):
            items: Mapping[str, Any] = raw["items"] if isinstance(raw.get("items"), Mapping) else {}
            item_type = self.py_type(prop.inner_property, items, str(raw.get("description") or ""))
            return f"list[{item_type}]"
        if isinstance(prop, ModelProperty):
            return self.nested_by_id.get(id(raw), "dict[str, Any]")
        if isinstance(prop, UnionProperty):
            parts: list[str] = []
            for inner in prop.inner_properties:
                inner_type = self.py_type(inner, {}) if not isinstance(inner, ModelProperty) else "dict[str, Any]"
                if inner_type not in parts:
                    parts.append(inner_type)
            return "Any" if "Any" in parts else " | ".join(parts)
        return _BASE_TYPES.get(type(prop).__name__, "Any")


_BASE_TYPES = {
    "StringProperty": "str",
    "DateProperty": "str",
    "DateTimeProperty": "str",
    "UuidProperty": "str",
    "FileProperty": "str",
    "IntProperty": "int",
    "FloatProperty": "float",
    "BooleanProperty": "bool",
    "NoneProperty": "None",
    "AnyProperty": "Any",
}


def _is_literal(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or (
        isinstance(value, list) and all(isinstance(item, str | int | float | bool) for item in value)
    )


def _is_nested(schema: Mapping[str, Any]) -> bool:
    return isinstance(schema.get("properties"), Mapping) or schema.get("type") == "object"


def build_model(spec: Mapping[str, Any], models: dict[str, ModelProperty], spec_file: str) -> ModelView:
    cls = class_name(str(spec["model_id"]))
    root = models.get(cls)
    if root is None:
        raise GenerateError(f"{spec['slug']}: parser produced no class {cls}")
    builder = _ModuleBuilder(spec=spec, models=models, root_name=cls)
    builder.build_class(root, request_schema(spec), is_root=True, owner=cls)
    schema_code = pyblock(spec.get("request_schema") or {"type": "object"}, 0, len("_SCHEMA: Final[dict[str, Any]] = "))
    return ModelView(
        spec_file=spec_file,
        slug=str(spec["slug"]),
        provider=str(spec["provider"]),
        package=package_name(str(spec["provider"])),
        module=module_name(str(spec["model_id"])),
        class_name=cls,
        model_id=str(spec["model_id"]),
        title=str(spec.get("title") or spec["model_id"]),
        summary=str(spec.get("summary") or ""),
        task_type=str(spec.get("task_type") or ""),
        method=str(spec.get("method") or "POST"),
        path=str(spec["path"]),
        doc_url=str(spec.get("doc_url") or ""),
        classes=builder.classes,
        constants=builder.ctx.constants,
        functions=builder.ctx.functions,
        patterns=builder.ctx.patterns,
        uses_literal=builder.uses_literal,
        aliases=builder.aliases,
        uses_unset=any(f.kind == "default" for c in builder.classes for f in c.fields),
        schema_code=schema_code,
        attributes={
            f.wire: f.python
            for c in sorted(builder.classes, key=lambda c: c.name)
            for f in c.fields
            if f.wire != f.python
        },
        rules=[rule_literal(rule) for rule in spec.get("rules") or []],
    )


_RULE_PARAMS = (("min", "low"), ("max", "high"), ("divisor", "divisor"), ("then", "then"))


def rule_literal(rule: Mapping[str, Any]) -> str:
    """``Rule(kind, fields, sentence, ...)`` source for one spec rule (one argument per line)."""
    pad = " " * 12
    args = [pyrepr(rule["kind"]), pyrepr(tuple(rule["fields"])), pyrepr(rule.get("sentence") or "")]
    args += [f"{name}={pyrepr(rule[key])}" for key, name in _RULE_PARAMS if rule.get(key) is not None]
    if rule.get("when_values") is not None:
        args.append(f"when_values={pyrepr(tuple(rule['when_values']))}")
    if rule.get("values"):
        args.append(f"values={pyrepr(tuple(rule['values']))}")
    return "Rule(\n" + "".join(f"{pad}{arg},\n" for arg in args) + " " * 8 + ")"


# --- docstrings -------------------------------------------------------------------------------------------


def doc_safe(text: str) -> str:
    """Descriptions go into triple-quoted docstrings: collapse whitespace, escape backslashes and quotes."""
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _wrap(text: str, indent: str, first_indent: str | None = None) -> str:
    return textwrap.fill(
        text,
        width=DOC_WIDTH,
        initial_indent=indent if first_indent is None else first_indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def constraints_text(schema: Mapping[str, Any], name: str, parent_description: str = "") -> list[str]:
    parts: list[str] = []
    labels = {
        "minimum": ">= {}",
        "maximum": "<= {}",
        "exclusiveMinimum": "> {}",
        "exclusiveMaximum": "< {}",
        "minLength": "min length {}",
        "maxLength": "max length {}",
        "minItems": "min items {}",
        "maxItems": "max items {}",
        "pattern": "pattern {!r}",
        "format": "format {}",
    }
    for key, label in labels.items():
        if key in schema and not isinstance(schema[key], Mapping | list):
            parts.append(label.format(schema[key]))
    if isinstance(schema.get("enum"), list):
        parts.append("one of " + ", ".join(repr(value) for value in schema["enum"]))
    separator = size_separator(schema) if isinstance(schema.get("type"), str) else None
    if separator:
        parts.append(f"sizes written W{separator}H")
    uri = uri_rule(schema, parent_description)
    if uri is not None:
        parts.append(f"accepts: {uri.describe()}, or a local file (uploaded first)")
    bounds = size_bounds(name, schema)
    if bounds:
        parts.append("size bounds " + ", ".join(f"{key} {bounds[key]}" for key in sorted(bounds)))
    for combinator in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(combinator), list):
            parts.append(f"{combinator} of {len(schema[combinator])} forms")
    items = schema.get("items")
    if isinstance(items, Mapping):
        inner = constraints_text(items, name, str(schema.get("description") or ""))
        if inner:
            parts.append("each item: " + "; ".join(inner))
    return parts


def _field_doc(wire: str, python: str, schema: Mapping[str, Any], kind: str) -> str:
    head = python if python == wire else f"{python} (``{wire}``)"
    text = str(schema.get("description") or "").strip()
    sentences = [text.rstrip(".") + "." if text else ""]
    sentences.append({"required": "Required.", "default": "Optional.", "optional": "Optional."}[kind])
    constraints = constraints_text(schema, wire)
    if constraints:
        sentences.append("Constraints: " + "; ".join(constraints) + ".")
    if "default" in schema:
        sentences.append(f"Default: {_short_repr(schema['default'])}.")
    example = schema.get("example", (schema.get("examples") or [None])[0] if schema.get("examples") else None)
    if example is not None:
        sentences.append(f"Example: {_short_repr(example)}.")
    body = doc_safe(" ".join(s for s in sentences if s))
    return _wrap(f"{head}: {body}", " " * 12, " " * 8)


def _class_doc(
    spec: Mapping[str, Any], raw: Mapping[str, Any], fields: list[FieldView], *, is_root: bool, owner: str
) -> str:
    if is_root:
        head = doc_safe(f"{spec.get('title') or spec['model_id']} ({spec['slug']}) request body.")
        paragraphs = [head]
        if spec.get("summary"):
            paragraphs.append(_wrap(doc_safe(str(spec["summary"])), "    "))
        where = f"{spec.get('method') or 'POST'} {spec['path']}"
        paragraphs.append(_wrap(doc_safe(f"Endpoint: {where} (task type {spec.get('task_type')})."), "    "))
        paragraphs.append(_wrap(doc_safe(f"Docs: {spec.get('doc_url')}"), "    "))
        sentences = list(
            dict.fromkeys(
                f"{rule['source'] + ': ' if rule.get('source') else ''}{rule.get('sentence') or ''}"
                for rule in spec.get("rules") or []
            )
        )
        if sentences:
            rules = [_wrap(doc_safe(f"- {sentence}"), "      ", "    ") for sentence in sentences]
            paragraphs.append("    Rules the docs state in prose (checked across fields):\n\n" + "\n".join(rules))
    else:
        paragraphs = [doc_safe(f"The ``{owner}`` object.")]
        if raw.get("description"):
            paragraphs.append(_wrap(doc_safe(str(raw["description"])), "    "))
    lines = ["    Attributes:"] if fields or is_root else []
    lines += [field.doc for field in fields]
    if is_root:
        lines.append(
            "        extra_body: Undocumented parameters sent as-is (the spec may lag behind the API). Keys that"
            "\n            name a documented field are rejected, so no documented rule is ever bypassed."
        )
    if lines:
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
