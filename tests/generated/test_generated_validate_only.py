"""The validate-only path (``Class.validate_dict``, ``registry.check``) reports exactly what ``from_dict`` does
(same issues, same order, same messages) without building the request object, and the inline fast checks of
``from_dict`` and the constructor agree with the full check functions on every candidate value."""

from __future__ import annotations

from typing import Any

import pytest

from modellix_typed import registry
from modellix_typed.validation import ValidationError

from .test_generated_differential import IDS, MODELS, classes, one_field_bodies

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
