"""Cross-field and prose rules of a request body (pixel counts, aspect ratios, paired or exclusive fields...).

Generated classes carry their rules as data (``_RULES``, built from :class:`Rule` literals); this one module
evaluates them, after the per-field checks, at construction, in ``from_dict`` and on assignment. A rule whose
field already failed its own check is skipped, so one bad value is reported once. Only what is sent counts:
a field that was not set is absent, whatever its documented default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import attrs

from .validation import Issue, ValidationError, json_in, name_attributes, short, validate_assignment

_SIZE: Final = re.compile(r"^\s*(\d+)\s*[*xX×]\s*(\d+)\s*$")
_TOLERANCE: Final = 1e-9


@attrs.frozen
class Rule:
    """One documented rule; ``sentence`` is the docs' own words, quoted in every error it causes.

    ``kind`` (see ``modellix_typed/codegen/SPEC_FORMAT.md``): ``pixels``/``aspect_ratio``/``side`` (``low``..``high``) of a
    ``W*H`` size string, ``multiple_of`` (``divisor``), ``requires``/``excludes`` (the first field needs / rules
    out each other one), ``exactly_one``/``at_least_one`` (of ``fields``), ``when`` (``fields[0]`` is present,
    or has one of ``when_values`` -> ``fields[1]`` must be ``then``: ``present``, ``absent`` or ``one_of``
    ``values``).
    """

    kind: str
    fields: tuple[str, ...]
    sentence: str
    low: float | None = None
    high: float | None = None
    divisor: int | None = None
    when_values: tuple[Any, ...] | None = None
    then: str | None = None
    values: tuple[Any, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        """A rule as stored in a spec's ``rules`` list."""
        when = data.get("when_values")
        return cls(
            kind=str(data["kind"]),
            fields=tuple(str(name) for name in data["fields"]),
            sentence=str(data.get("sentence") or ""),
            low=data.get("min"),
            high=data.get("max"),
            divisor=data.get("divisor"),
            when_values=tuple(when) if isinstance(when, list) else None,
            then=data.get("then"),
            values=tuple(data.get("values") or ()),
        )


def violations(rules: Iterable[Rule], body: Mapping[str, Any], skip: frozenset[str] = frozenset()) -> list[Issue]:
    """Issues for every rule ``body`` (the wire names that are sent -> values) breaks; rules naming a field in
    ``skip`` (already reported by its own check) are not evaluated."""
    issues: list[Issue] = []
    clashed: set[frozenset[str]] = set()  # "a excludes b" and "b excludes a" are one clash, reported once
    for rule in rules:
        if skip and not skip.isdisjoint(rule.fields):
            continue
        issue = _CHECKS[rule.kind](rule, body)
        if issue is None:
            continue
        if rule.kind == "excludes":
            pairs = {frozenset((rule.fields[0], name)) for name in rule.fields[1:] if name in body}
            if pairs <= clashed:
                continue
            clashed |= pairs
        issues.append(issue)
    return issues


def _docs(rule: Rule) -> str:
    return f' (docs: "{short(rule.sentence, 160)}")'


def _size(rule: Rule, body: Mapping[str, Any]) -> tuple[str, int, int] | None:
    value = body.get(rule.fields[0])
    if not isinstance(value, str) or (match := _SIZE.match(value)) is None:
        return None
    return value, int(match.group(1)), int(match.group(2))


def _outside(value: float, rule: Rule) -> bool:
    return (rule.low is not None and value < rule.low * (1 - _TOLERANCE)) or (
        rule.high is not None and value > rule.high * (1 + _TOLERANCE)
    )


def _range(rule: Rule) -> str:
    from .wording import exact_number  # only when a rule is broken: importing a model class never loads it

    low = exact_number(rule.low) if rule.low is not None else None
    high = exact_number(rule.high) if rule.high is not None else None
    return f"between {low} and {high}" if low is not None and high is not None else (
        f">= {low}" if low is not None else f"<= {high}"
    )


def _pixels(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    size = _size(rule, body)
    if size is None or not _outside(size[1] * size[2], rule):
        return None
    from .wording import exact_number

    total = size[1] * size[2]
    return Issue(rule.fields[0], "pixels", size[0], f"total pixels {exact_number(total)} must be {_range(rule)}{_docs(rule)}")


def _aspect_ratio(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    size = _size(rule, body)
    if size is None or size[2] == 0 or not _outside(size[1] / size[2], rule):
        return None
    ratio = size[1] / size[2]
    message = f"aspect ratio width/height {ratio:.4g} must be {_range(rule)}{_docs(rule)}"
    return Issue(rule.fields[0], "aspect_ratio", size[0], message)


def _side(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    size = _size(rule, body)
    if size is None or not (_outside(size[1], rule) or _outside(size[2], rule)):
        return None
    return Issue(rule.fields[0], "side", size[0], f"width and height must each be {_range(rule)}{_docs(rule)}")


def _multiple_of(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    value = body.get(rule.fields[0])
    if not isinstance(value, int) or isinstance(value, bool) or not rule.divisor or value % rule.divisor == 0:
        return None
    return Issue(rule.fields[0], "multiple_of", value, f"must be divisible by {rule.divisor}{_docs(rule)}")


def _requires(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    head, *others = rule.fields
    missing = [name for name in others if name not in body]
    if head not in body or not missing:
        return None
    return Issue(head, "requires", body[head], f"requires {', '.join(missing)} to be set too{_docs(rule)}")


def _excludes(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    head, *others = rule.fields
    clashing = [name for name in others if name in body]
    if head not in body or not clashing:
        return None
    values = {name: short(repr(body[name])) for name in (head, *clashing)}
    return Issue(head, "excludes", values, f"cannot be combined with {', '.join(clashing)}{_docs(rule)}")


def _count(rule: Rule, body: Mapping[str, Any], exactly: bool) -> Issue | None:
    present = [name for name in rule.fields if name in body]
    if len(present) == 1 or (present and not exactly):
        return None
    wanted = "exactly one" if exactly else "at least one"
    got = f"got {', '.join(present)}" if present else "got none"
    values = {name: short(repr(body[name])) for name in present}
    kind = "exactly_one" if exactly else "at_least_one"
    return Issue(rule.fields[0], kind, values, f"{wanted} of {', '.join(rule.fields)} must be set ({got}){_docs(rule)}")


def _when(rule: Rule, body: Mapping[str, Any]) -> Issue | None:
    trigger, target = rule.fields
    if trigger not in body or (rule.when_values is not None and not json_in(body[trigger], rule.when_values)):
        return None
    condition = f"{trigger} is set" if rule.when_values is None else f"{trigger} is {body[trigger]!r}"
    if rule.then == "present" and target not in body:
        return Issue(target, "when", None, f"is required when {condition}{_docs(rule)}")
    if rule.then == "absent" and target in body:
        return Issue(target, "when", body[target], f"must be omitted when {condition}{_docs(rule)}")
    if rule.then == "one_of" and target in body and not json_in(body[target], rule.values):
        allowed = ", ".join(repr(value) for value in rule.values)
        allowed = allowed if len(rule.values) == 1 else f"one of {allowed}"
        return Issue(target, "when", body[target], f"must be {allowed} when {condition}{_docs(rule)}")
    return None


_CHECKS: Final = {
    "pixels": _pixels,
    "aspect_ratio": _aspect_ratio,
    "side": _side,
    "multiple_of": _multiple_of,
    "requires": _requires,
    "excludes": _excludes,
    "exactly_one": lambda rule, body: _count(rule, body, True),
    "at_least_one": lambda rule, body: _count(rule, body, False),
    "when": _when,
}


# --- generated classes ------------------------------------------------------------------------------------


def sent_fields(instance: Any) -> dict[str, Any]:
    """Wire name -> value of every field ``to_dict`` would send (the body the rules are about)."""
    fields: Mapping[str, tuple[str, Any, bool]] = type(instance)._FIELDS
    return {fields[name][0]: getattr(instance, name) for name in instance._fields_set if name in fields}


def check_rules(instance: Any, issues: list[Issue]) -> None:
    """After the field checks of ``__init__``/``from_dict``: append an Issue per broken rule."""
    check_body_rules(type(instance), sent_fields(instance), issues)


def check_body_rules(cls: Any, body: Mapping[str, Any], issues: list[Issue]) -> None:
    """The same for a body that was only checked (``validate_dict``): rules on a field whose own check already
    failed are not evaluated, so each bad value is reported once."""
    skip = frozenset(issue.path.split(".")[0].split("[")[0] for issue in issues)
    issues.extend(violations(cls._RULES, _as_built(cls, body), skip))


def _as_built(cls: Any, body: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the fields the rules name as ``from_dict`` would store them (``512.0`` -> ``512`` for an
    integer), so both paths report the same values; each field's own check does the conversion."""
    fields: Mapping[str, tuple[str, Any, bool]] = cls._FIELDS
    documented: Mapping[str, str] = cls._DOCUMENTED
    named = {wire for rule in cls._RULES for wire in rule.fields}
    built: dict[str, Any] = {}
    for wire in named.intersection(body):
        spec = fields.get(documented.get(wire, ""))
        built[wire] = body[wire] if spec is None else spec[1](body[wire], wire, [])
    return built


def validate_assignment_with_rules(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> Any:
    """``on_setattr`` of a class with rules: the field's own check, then the rules that name it, on the body as
    it would be after the assignment (nothing changes when one is broken)."""
    cls = type(instance)
    spec = cls._FIELDS.get(attribute.name)
    was_set = attribute.name in instance._fields_set
    value = validate_assignment(instance, attribute, value)
    if spec is None:
        return value
    wire = spec[0]
    body = sent_fields(instance)
    if attribute.name in instance._fields_set:
        body[wire] = value
    broken = violations((rule for rule in cls._RULES if wire in rule.fields), body)
    if broken:
        (instance._fields_set.add if was_set else instance._fields_set.discard)(attribute.name)
        raise ValidationError(cls._MODEL_NAME, name_attributes(broken, cls._ATTRIBUTES))
    return value


# --- JSON Schema export -----------------------------------------------------------------------------------


def _present(name: str) -> dict[str, Any]:
    return {"required": [name]}


def _expressed(rule: Rule) -> dict[str, Any] | None:
    """The rule as a JSON Schema 2020-12 subschema (for ``allOf``), or None when it can't be one."""
    head = rule.fields[0]
    if rule.kind == "multiple_of" and rule.divisor:
        return {"properties": {head: {"multipleOf": rule.divisor}}}
    if rule.kind == "excludes":
        return {"if": _present(head), "then": {"not": {"anyOf": [_present(name) for name in rule.fields[1:]]}}}
    if rule.kind == "exactly_one":
        return {"oneOf": [_present(name) for name in rule.fields]}
    if rule.kind == "at_least_one":
        return {"anyOf": [_present(name) for name in rule.fields]}
    if rule.kind == "when":
        condition: dict[str, Any] = _present(head)
        if rule.when_values is not None:
            condition = {**condition, "properties": {head: {"enum": list(rule.when_values)}}}
        target = rule.fields[1]
        then = {
            "present": _present(target),
            "absent": {"not": _present(target)},
            "one_of": {"properties": {target: {"enum": list(rule.values)}}},
        }.get(rule.then or "")
        return None if then is None else {"if": condition, "then": then}
    return None


def _as_json(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind, "fields": list(rule.fields), "sentence": rule.sentence}
    for key, value in (("min", rule.low), ("max", rule.high), ("divisor", rule.divisor), ("then", rule.then)):
        if value is not None:
            out[key] = value
    if rule.when_values is not None:
        out["when_values"] = list(rule.when_values)
    if rule.values:
        out["values"] = list(rule.values)
    return out


def schema_with_rules(schema: dict[str, Any], rules: Iterable[Rule]) -> dict[str, Any]:
    """``schema`` plus its prose rules: ``dependentRequired`` for paired fields, ``allOf`` of ``if``/``then``,
    ``not``, ``oneOf``/``anyOf`` and ``multipleOf`` where JSON Schema can say it, ``x-modellix-rules`` for the
    rest (pixel counts and aspect ratios of ``W*H`` strings). Each entry keeps the docs' sentence."""
    out = dict(schema)
    dependent: dict[str, list[str]] = {key: list(value) for key, value in (schema.get("dependentRequired") or {}).items()}
    all_of: list[Any] = list(schema.get("allOf") or [])
    rest: list[dict[str, Any]] = []
    for rule in rules:
        if rule.kind == "requires":
            needed = dependent.setdefault(rule.fields[0], [])
            needed += [name for name in rule.fields[1:] if name not in needed]
        elif (expressed := _expressed(rule)) is not None:
            all_of.append({**expressed, "description": rule.sentence})
        else:
            rest.append(_as_json(rule))
    if dependent:
        out["dependentRequired"] = dependent
    if all_of:
        out["allOf"] = all_of
    if rest:
        out["x-modellix-rules"] = rest
    return out
