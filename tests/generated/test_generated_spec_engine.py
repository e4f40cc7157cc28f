"""The spec engine (``modellix_typed.spec_engine``, which validates models newer than the generated classes)
and the generated classes give the same issues, in the same order, with the same messages.

Bodies: each spec's documented example, then the differential test's one-field mutations (every bound ±1, wrong
JSON types, other size separators, non-URL strings, unknown and missing keys, nested objects) and random
several-field bodies. Runs on every model of specs/index.json and on the fixture specs (combinators, nested
objects, patterns), so a generator change the engine does not follow (or the reverse) fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from modellix_typed.spec_engine import SpecModel
from modellix_typed.validation import ValidationError

from .test_generated_differential import IDS, MODELS, bodies, classes, one_field_bodies  # noqa: F401 - fixture

Seen = list[tuple[str, str, str, str]]


def generated_issues(cls: Any, body: Any) -> Seen:
    try:
        cls.validate_dict(body)
    except ValidationError as exc:
        return [(i.path, i.rule, repr(i.value), i.message) for i in exc.issues]
    return []


def engine_issues(engine: SpecModel, body: Any) -> Seen:
    return [(i.path, i.rule, repr(i.value), i.message) for i in engine.issues(body)]


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_engine_and_generated_class_agree_on_examples_and_single_changes(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]  # noqa: F811 - the fixture
) -> None:
    cls = classes[f"{kind}:{slug}"]
    engine = SpecModel.from_spec(spec)
    example = (spec.get("examples") or {}).get("request")
    checked = 0
    rejected = 0
    for body in [example, *one_field_bodies(spec)]:
        ours = generated_issues(cls, body)
        assert engine_issues(engine, body) == ours, body
        checked += 1
        rejected += bool(ours)
    assert checked > 20 and rejected > 0  # the mutations reached the rules


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_engine_and_generated_class_agree_on_random_bodies(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]  # noqa: F811 - the fixture
) -> None:
    cls = classes[f"{kind}:{slug}"]
    engine = SpecModel.from_spec(spec)

    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(body=bodies(spec))
    def check(body: dict[str, Any]) -> None:
        assert engine_issues(engine, body) == generated_issues(cls, body), body

    check()


def test_engine_raises_one_validation_error_naming_field_rule_and_value() -> None:
    spec = next(spec for _, slug, spec in MODELS if slug == "google/imagen-4.0-generate-001")
    engine = SpecModel.from_spec(spec)
    with pytest.raises(ValidationError) as caught:
        engine.validate({"prompt": "x", "sampleCount": 9, "aspectRatio": "2:1"})
    assert caught.value.model == "google/imagen-4.0-generate-001"
    assert [(i.path, i.rule, i.value) for i in caught.value.issues] == [
        ("sampleCount", "maximum", 9),
        ("aspectRatio", "enum", "2:1"),
    ]
