"""Changelog between two specs/ snapshots: models added/removed, parameters added/removed/retyped,
constraints, defaults and required-ness changed, endpoint moved, prose rules added/removed/changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import attrs

from modellix_typed.codegen.snapshot import load_specs

CONSTRAINT_KEYS = (
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
)


ChangeKind = Literal[
    "param_added",
    "param_removed",
    "param_retyped",
    "constraint_changed",
    "default_changed",
    "required_changed",
    "endpoint_changed",
    "rule_added",
    "rule_removed",
    "rule_changed",
]


@attrs.frozen
class Param:
    type: Any
    required: bool
    default: Any
    has_default: bool
    constraints: dict[str, Any]


@attrs.frozen
class Change:
    slug: str
    kind: ChangeKind
    param: str | None
    field: str | None
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def describe(self) -> str:
        where = f"{self.param}" if self.param else ""
        if self.kind == "param_added":
            return f"+ {where} ({_fmt(self.new)})"
        if self.kind == "param_removed":
            return f"- {where} (was {_fmt(self.old)})"
        if self.kind == "rule_added":
            return f"+ rule {where}: {_fmt(self.new)}"
        if self.kind == "rule_removed":
            return f"- rule {where} (was {_fmt(self.old)})"
        if self.kind == "rule_changed":
            return f"~ rule {where}: {_fmt(self.old)} -> {_fmt(self.new)}"
        label = {"param_retyped": "type", "default_changed": "default", "required_changed": "required"}.get(
            self.kind, self.field or self.kind
        )
        return f"~ {where + ' ' if where else ''}{label}: {_fmt(self.old)} -> {_fmt(self.new)}"


@attrs.frozen
class Changelog:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "models_added": list(self.added),
            "models_removed": list(self.removed),
            "changes": [c.to_json() for c in self.changes],
        }


def _fmt(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _type_of(schema: dict[str, Any]) -> Any:
    if "type" in schema:
        return schema["type"]
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list):
            return {combinator: [_type_of(o) if isinstance(o, dict) else None for o in options]}
    return None


def flatten_params(schema: Any, prefix: str = "") -> dict[str, Param]:
    """Every (nested) property as a dotted name: ``a``, ``a.b``, ``a[].b`` for array items."""
    params: dict[str, Param] = {}
    if not isinstance(schema, dict):
        return params
    props = schema.get("properties")
    required = set(schema.get("required") or [])
    if isinstance(props, dict):
        for name, sub in props.items():
            if not isinstance(sub, dict):
                continue
            full = f"{prefix}{name}"
            params[full] = Param(
                type=_type_of(sub),
                required=name in required,
                default=sub.get("default"),
                has_default="default" in sub,
                constraints={k: sub[k] for k in CONSTRAINT_KEYS if k in sub},
            )
            params.update(flatten_params(sub, f"{full}."))
            items = sub.get("items")
            if isinstance(items, dict):
                params.update(flatten_params(items, f"{full}[]."))
    return params


def diff_specs(slug: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    for field in ("method", "path"):
        if old.get(field) != new.get(field):
            changes.append(Change(slug, "endpoint_changed", None, field, old.get(field), new.get(field)))
    before = flatten_params(old.get("request_schema"))
    after = flatten_params(new.get("request_schema"))
    for name in sorted(before.keys() - after.keys()):
        changes.append(Change(slug, "param_removed", name, None, before[name].type, None))
    for name in sorted(after.keys() - before.keys()):
        changes.append(Change(slug, "param_added", name, None, None, after[name].type))
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        if a.type != b.type:
            changes.append(Change(slug, "param_retyped", name, "type", a.type, b.type))
        if a.required != b.required:
            changes.append(Change(slug, "required_changed", name, "required", a.required, b.required))
        if (a.has_default, a.default) != (b.has_default, b.default):
            changes.append(Change(slug, "default_changed", name, "default", a.default, b.default))
        for key in CONSTRAINT_KEYS:
            if a.constraints.get(key) != b.constraints.get(key):
                changes.append(
                    Change(slug, "constraint_changed", name, key, a.constraints.get(key), b.constraints.get(key))
                )
    return changes + diff_rules(slug, old, new)


def diff_rules(slug: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Prose rules by id (``param`` is the rule id): added, removed, or changed (parameters or sentence)."""
    before = {str(rule["id"]): _rule_body(rule) for rule in old.get("rules") or []}
    after = {str(rule["id"]): _rule_body(rule) for rule in new.get("rules") or []}
    changes = [Change(slug, "rule_removed", key, "rule", before[key], None) for key in sorted(before.keys() - after.keys())]
    changes += [Change(slug, "rule_added", key, "rule", None, after[key]) for key in sorted(after.keys() - before.keys())]
    for key in sorted(before.keys() & after.keys()):
        if before[key] != after[key]:
            changes.append(Change(slug, "rule_changed", key, "rule", before[key], after[key]))
    return changes


def _rule_body(rule: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in rule.items() if key not in ("id", "kind", "fields")}


def diff_snapshots(old_dir: Path, new_dir: Path) -> Changelog:
    old = {str(s["slug"]): s for s in load_specs(old_dir).values()}
    new = {str(s["slug"]): s for s in load_specs(new_dir).values()}
    changes: list[Change] = []
    for slug in sorted(old.keys() & new.keys()):
        changes.extend(diff_specs(slug, old[slug], new[slug]))
    return Changelog(
        added=tuple(sorted(new.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - new.keys())),
        changes=tuple(changes),
    )


def render_text(changelog: Changelog) -> str:
    if changelog.empty:
        return "no changes\n"
    lines: list[str] = []
    for slug in changelog.added:
        lines.append(f"model added: {slug}")
    for slug in changelog.removed:
        lines.append(f"model removed: {slug}")
    current = None
    for change in changelog.changes:
        if change.slug != current:
            current = change.slug
            lines.append(f"{change.slug}:")
        lines.append(f"  {change.describe()}")
    return "\n".join(lines) + "\n"
