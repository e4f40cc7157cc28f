"""The emulator's own reading of a spec's prose ``rules`` (modellix_typed/codegen/SPEC_FORMAT.md), worded like the API.

Deliberately independent of ``modellix_typed.rules`` (which the generated classes use): written from the format
description alone, over the plain JSON rule dicts, so a test comparing the two catches a mistake in either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

Rule = Mapping[str, Any]


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 8 is 8.0."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _dimensions(value: Any) -> tuple[int, int] | None:
    """``"1280*720"`` / ``"1280x720"`` -> (1280, 720); anything else -> None (not this rule's business)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("×", "x").replace("*", "x")
    parts = text.split("x")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        return None
    return int(parts[0]), int(parts[1])


def _within(value: Fraction, rule: Rule) -> bool:
    low, high = rule.get("min"), rule.get("max")
    slack = Fraction(1, 10**9)
    if low is not None and value < Fraction(low) * (1 - slack):
        return False
    return high is None or value <= Fraction(high) * (1 + slack)


def broken(rule: Rule, body: Mapping[str, Any]) -> str | None:
    """The API-style detail of why ``body`` breaks ``rule``, or None when it holds."""
    kind, fields = rule["kind"], list(rule["fields"])
    sent = [name for name in fields if name in body]
    first = fields[0]
    if kind in ("pixels", "aspect_ratio", "side"):
        dims = _dimensions(body.get(first))
        if dims is None:
            return None
        width, height = dims
        if kind == "pixels" and not _within(Fraction(width * height), rule):
            return f"parameter '{first}' has {width * height} pixels, outside [{rule.get('min')}, {rule.get('max')}]"
        if kind == "aspect_ratio" and height and not _within(Fraction(width, height), rule):
            return f"parameter '{first}' aspect ratio {width}:{height} is outside [{rule.get('min')}, {rule.get('max')}]"
        if kind == "side" and not (_within(Fraction(width), rule) and _within(Fraction(height), rule)):
            return f"parameter '{first}' width/height must be within [{rule.get('min')}, {rule.get('max')}]"
        return None
    if kind == "multiple_of":
        value = body.get(first)
        if isinstance(value, int) and not isinstance(value, bool) and value % int(rule["divisor"]):
            return f"parameter '{first}' must be a multiple of {rule['divisor']}, got {value}"
        return None
    if kind == "requires":
        if first in body and len(sent) < len(fields):
            missing = [name for name in fields[1:] if name not in body]
            return f"parameter '{first}' requires {', '.join(missing)}"
        return None
    if kind == "excludes":
        if first in body and len(sent) > 1:
            return f"parameter '{first}' cannot be used with {', '.join(sent[1:])}"
        return None
    if kind == "exactly_one":
        return None if len(sent) == 1 else f"exactly one of {', '.join(fields)} must be provided"
    if kind == "at_least_one":
        return None if sent else f"at least one of {', '.join(fields)} must be provided"
    if kind == "when":
        trigger, target = fields
        if trigger not in body:
            return None
        if "when_values" in rule and not any(_same(body[trigger], v) for v in rule["when_values"]):
            return None
        then = rule["then"]
        if then == "present" and target not in body:
            return f"parameter '{target}' is required here"
        if then == "absent" and target in body:
            return f"parameter '{target}' must be omitted here"
        if then == "one_of" and target in body and not any(_same(body[target], v) for v in rule["values"]):
            return f"parameter '{target}' must be {json.dumps(rule['values'])}, got {json.dumps(body[target])}"
        return None
    return None  # a kind this emulator does not know yet accepts (never reject what the docs allow)


def first_broken(rules: Iterable[Rule], body: Any) -> str | None:
    """The first rule ``body`` breaks, as ``Invalid parameters: <detail> (<the docs' sentence>)``."""
    if not isinstance(body, Mapping):
        return None
    for rule in rules:
        detail = broken(rule, body)
        if detail is not None:
            return f"Invalid parameters: {detail} ({rule.get('sentence', '')})"
    return None
