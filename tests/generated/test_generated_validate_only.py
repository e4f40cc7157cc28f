"""The validate-only path (``Class.validate_dict``, ``registry.check``) reports exactly what ``from_dict`` does
(same issues, same order, same messages) without building the request object, and the inline fast checks of
``from_dict`` and the constructor agree with the full check functions on every candidate value."""

from __future__ import annotations

from typing import Any

import pytest

from modellix_typed import registry
from modellix_typed.validation import ValidationError

from modellix_typed.json_checks import add_json_issues, check_json, check_validated_json

from .test_generated_differential import IDS, MODELS, base_body, classes, one_field_bodies

__all__ = ["classes"]  # the fixture, shared with the differential test


def outcome(call: Any, body: Any) -> list[tuple[str, str, str, str]] | None:
    """None when accepted, else every issue as (path, rule, repr(value), message), in order."""
    try:
        call(body)
    except ValidationError as exc:
        return [(i.path, i.rule, repr(i.value), i.message) for i in exc.issues]
    return None


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_validate_dict_reports_exactly_what_from_dict_does(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]
) -> None:
    cls = classes[f"{kind}:{slug}"]
    bodies = [*one_field_bodies(spec), {"unknownA": 1, "unknownB": 2}, dict((spec.get("examples") or {}).get("request") or {})]
    differ = [
        (body, built, checked)
        for body in bodies
        if (built := outcome(cls.from_dict, body)) != (checked := outcome(cls.validate_dict, body))
    ]
    assert differ == []
    if kind == "specs":
        assert all(outcome(cls.from_dict, b) == outcome(lambda b: registry.check(slug, b), b) for b in bodies[:20])


NON_JSON = [float("nan"), float("-inf"), "a \ud800 cat", {"k": "\udc00"}, [1.5, float("inf")], [[[]]] * 3]
CATALOG = [(kind, slug, spec) for kind, slug, spec in MODELS if kind == "specs"]


def full_walk(slug: str, body: dict[str, Any]) -> None:
    """What ``registry.check`` did before its fast path: the class's check, then the whole body walked."""
    cls = registry.get(slug)
    try:
        cls.validate_dict(body)
    except ValidationError as exc:
        raise add_json_issues(exc, body) from None
    check_json(slug, body)


@pytest.mark.parametrize(("kind", "slug", "spec"), CATALOG, ids=[f"{kind}:{slug}" for kind, slug, _ in CATALOG])
def test_registry_check_reports_what_walking_the_whole_body_does(kind: str, slug: str, spec: dict[str, Any]) -> None:
    """``registry.check`` walks only the fields whose accepted values can still be non-JSON (not enums,
    integers, booleans): NaN, ±Infinity, lone surrogates and deep nesting in any field give the same issues."""
    body = base_body(spec)
    bodies = [body, *({**body, key: bad} for key in spec["request_schema"].get("properties", {}) for bad in NON_JSON)]
    bodies += [{**body, key: [body[key]] * 2} for key in body]  # a list where a scalar goes
    differ = [b for b in bodies if outcome(lambda b: registry.check(slug, b), b) != outcome(lambda b: full_walk(slug, b), b)]
    assert differ == []
    assert outcome(lambda b: registry.check(slug, b), {**body, "zz": 1.0}) is not None  # an unknown key: refused


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_every_body_a_class_accepts_gets_the_whole_walks_json_issues(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]
) -> None:
    """The per-field walk after a class accepted a body finds what walking the whole body finds, also for a class
    that accepts undocumented keys (``additionalProperties: true``, e.g. the fixture ``alibaba/wan-open-t2i``)."""
    cls = classes[f"{kind}:{slug}"]
    body = base_body(spec)
    keys = [*spec["request_schema"].get("properties", {}), "undocumentedKey"]
    accepted = [b for b in ({**body, key: bad} for key in keys for bad in NON_JSON) if outcome(cls.validate_dict, b) is None]
    differ = [
        b for b in accepted
        if outcome(lambda b: check_validated_json(slug, cls, b), b) != outcome(lambda b: check_json(slug, b), b)
    ]
    assert differ == []


def test_only_fields_that_can_hold_non_json_are_walked() -> None:
    from modellix_typed.json_checks import _loose_fields

    cls: Any = registry.get("google/imagen-4.0-generate-001")  # prompt (free text), sampleCount (integer), enums
    assert _loose_fields(cls) == ("prompt",)
    with pytest.raises(ValidationError, match=r"prompt: lone surrogate U\+D800"):
        registry.check("google/imagen-4.0-generate-001", {"prompt": "a \ud800 cat", "sampleCount": 2})


def test_validate_dict_builds_no_object() -> None:
    base: Any = registry.get("google/imagen-4.0-generate-001")

    class NoInstances(base):  # type: ignore[misc]
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("an object was built")

    body = {"prompt": "a cat", "sampleCount": 2}
    NoInstances.validate_dict(body)
    with pytest.raises(ValidationError, match=r"sampleCount: must be <= 4"):
        NoInstances.validate_dict({**body, "sampleCount": 9})
    with pytest.raises(AssertionError, match="an object was built"):
        NoInstances.from_dict(body)  # the control: from_dict does build one
    registry.check(base.ENDPOINT.slug, body)
    with pytest.raises(ValidationError, match=r"sampleCount: must be <= 4"):
        registry.check(base.ENDPOINT.slug, {**body, "sampleCount": 9})


def test_unknown_keys_are_reported_first_whatever_the_path(classes: dict[str, Any]) -> None:
    """from_dict notices unknown keys by counting the documented ones it found; the issue order is unchanged."""
    cls = registry.get("google/imagen-4.0-generate-001")
    body = {"sampleCount": 9, "promt": "typo", "prompt": ""}
    expected = [("promt", "unknown_field"), ("prompt", "minLength"), ("sampleCount", "maximum")]
    for call in (cls.from_dict, cls.validate_dict):
        found = outcome(call, body)
        assert found is not None and [(path, rule) for path, rule, _, _ in found] == expected


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_constructor_fast_path_agrees_with_from_dict(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]
) -> None:
    """Class(**attributes) runs the same inline checks as from_dict: same acceptance, same rules and paths."""
    cls = classes[f"{kind}:{slug}"]
    documented: dict[str, str] = cls._DOCUMENTED
    required = set(spec["request_schema"].get("required") or [])
    mismatches = []
    for body in one_field_bodies(spec):
        if not isinstance(body, dict) or not required <= set(body) <= set(documented) or None in body.values():
            continue  # a missing required argument is a TypeError; None means "unset" to the constructor
        built = outcome(cls.from_dict, body)
        made = outcome(lambda b: cls(**{documented[k]: v for k, v in b.items()}), body)
        if (built is None) != (made is None) or (built and made and {x[:2] for x in built} != {x[:2] for x in made}):
            mismatches.append((body, built, made))
    assert mismatches == []
