"""How generated classes treat values beyond plain accept/reject: integral floats, attrs.evolve and the set-field
record, Python attribute names in errors, and ``additionalProperties: true`` (specs parametrized; the fixture
spec alibaba/wan-open-t2i covers what today's specs lack). Verdicts are cross-checked against jsonschema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import attrs
import pytest

from modellix_typed import registry
from modellix_typed.validation import ValidationError

from .conftest import FIXTURE_SPECS
from .test_generated_spec_rules import (
    SLUGS,
    base_body,
    issues_of,
    node_accepts,
    properties,
    ruled,
    schema,
    schema_accepts,
    valid_value,
    with_field,
)


def integer_fields() -> Iterator[Any]:
    for slug in SLUGS:
        for name, node in properties(slug).items():
            if node.get("type") == "integer":
                yield pytest.param(slug, name, id=f"{slug}:{name}")


def renamed_fields() -> Iterator[Any]:
    """Fields whose Python attribute differs from the wire name (camelCase pages) and that have a bound or enum."""
    for slug in SLUGS:
        documented: dict[str, str] = registry.get(slug)._DOCUMENTED  # type: ignore[attr-defined]
        for name, node in properties(slug).items():
            if documented[name] != name and ("enum" in node or "maximum" in node):
                yield pytest.param(slug, name, id=f"{slug}:{name}")


def default_fields() -> Iterator[Any]:
    for slug in SLUGS:
        for name, node in properties(slug).items():
            if (
                "default" in node
                and not isinstance(node["default"], dict | list)
                and name not in base_body(slug)
                and not ruled(slug, name)  # changing it alone may break a cross-field rule
            ):
                yield pytest.param(slug, name, id=f"{slug}:{name}")


INTEGERS = list(integer_fields())
RENAMED = list(renamed_fields())
DEFAULTS = list(default_fields())


def test_the_specs_exercise_every_case() -> None:
    assert INTEGERS and RENAMED, "the parametrized tests below would run on nothing"


# --- integers: jsonschema counts 2.0 as an integer, not 2.5 nor true ----------------------------------------


@pytest.mark.parametrize(("slug", "name"), INTEGERS)
def test_integer_field_accepts_integral_floats_as_jsonschema_does(slug: str, name: str) -> None:
    good = valid_value(properties(slug)[name])
    body = with_field(slug, name, float(good))
    assert schema_accepts(slug, body)
    model = registry.validate(slug, body)
    sent = model.to_dict()[name]
    assert sent == good and type(sent) is int  # normalized: the API receives 2, not 2.0
    python = type(model)._DOCUMENTED[name]  # type: ignore[attr-defined]
    setattr(model, python, float(good))
    assert type(getattr(model, python)) is int


@pytest.mark.parametrize(("slug", "name"), INTEGERS)
def test_integer_field_rejects_fractions_and_booleans_as_jsonschema_does(slug: str, name: str) -> None:
    good = valid_value(properties(slug)[name])
    for bad in (good + 0.5, True, float("nan"), float("inf")):
        body = {**base_body(slug), name: bad}
        assert not schema_accepts(slug, body), bad
        assert issues_of(slug, body) == [(name, "type")], bad


# --- attrs.evolve keeps the record of which fields were set ------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_evolve_without_changes_sends_the_same_body(slug: str) -> None:
    model: Any = registry.validate(slug, base_body(slug))
    assert attrs.evolve(model).to_dict() == model.to_dict() == base_body(slug)


@pytest.mark.parametrize(("slug", "name"), DEFAULTS)
def test_evolve_sends_only_what_was_set_plus_the_change(slug: str, name: str) -> None:
    """A field with a documented default stays unsent through evolve until it is changed."""
    model: Any = registry.validate(slug, base_body(slug))
    other = next(iter(base_body(slug)))
    python_other = type(model)._DOCUMENTED[other]
    changed = attrs.evolve(model, **{python_other: getattr(model, python_other)})
    assert name not in changed.to_dict()
    assert changed.to_dict() == base_body(slug)
    python = type(model)._DOCUMENTED[name]
    node = properties(slug)[name]
    default = node["default"]
    candidates = [*(node.get("enum") or []), not default if isinstance(default, bool) else None]
    if isinstance(default, int | float) and not isinstance(default, bool):
        candidates += [default + 1, default - 1]
    alternatives = [v for v in candidates if v is not None and v != default and node_accepts(node, v)]
    if not alternatives:
        pytest.skip("no second documented value to change to")
    evolved = attrs.evolve(model, **{python: alternatives[0]})
    assert evolved.to_dict() == {**base_body(slug), name: alternatives[0]}
    # ...and the evolved instance keeps that record through a second evolve
    assert attrs.evolve(evolved).to_dict() == evolved.to_dict()
    with pytest.raises(ValidationError):
        attrs.evolve(model, **{python: "__not-a-documented-value__"})


def test_evolve_on_fixture_keeps_explicit_defaults_and_unsets_optionals(fixture_models: ModuleType) -> None:
    from modellix_fixture_gen.models.alibaba import WanOpenT2I  # type: ignore[import-not-found]

    model = WanOpenT2I(prompt="fox", watermark=False, frame_url="https://e.com/f.png")
    assert attrs.evolve(model, prompt="cat").to_dict() == {
        "prompt": "cat",
        "watermark": False,  # set explicitly (to its default) before: still sent
        "frameUrl": "https://e.com/f.png",
    }
    assert attrs.evolve(model, frame_url=None).to_dict() == {"prompt": "fox", "watermark": False}
    assert attrs.evolve(model, sample_count=3).to_dict()["sampleCount"] == 3
    assert "sampleCount" not in attrs.evolve(model, sample_count=1).to_dict()  # unchanged default: same request
    assert model.to_dict() == {"prompt": "fox", "watermark": False, "frameUrl": "https://e.com/f.png"}


# --- errors name the wire path and the Python attribute ---------------------------------------------------


@pytest.mark.parametrize(("slug", "name"), RENAMED)
def test_constructor_and_assignment_errors_name_the_python_attribute(slug: str, name: str) -> None:
    cls: Any = registry.get(slug)
    node = properties(slug)[name]
    python = cls._DOCUMENTED[name]
    bad = node["maximum"] + 1 if "maximum" in node else "__not-a-documented-value__"
    kwargs = {cls._DOCUMENTED[key]: value for key, value in base_body(slug).items()}
    with pytest.raises(ValidationError) as caught:
        cls(**{**kwargs, python: bad})
    [issue] = caught.value.issues
    assert issue.path == name and issue.value == bad  # the path stays the wire name
    assert issue.message.startswith(f"({python}) ")
    assert f"  - {python} ({name}): " in str(caught.value)  # the name the caller wrote comes first
    model = cls(**kwargs)
    with pytest.raises(ValidationError, match=rf"{python} \({name}\): "):
        setattr(model, python, bad)
    # from_dict speaks wire names only: no attribute note there
    [plain] = pytest.raises(ValidationError, cls.from_dict, {**base_body(slug), name: bad}).value.issues
    assert (plain.path, plain.rule) == (issue.path, issue.rule) and not plain.message.startswith("(")


def test_nested_paths_name_each_python_segment(fixture_models: ModuleType) -> None:
    from modellix_fixture_gen.models.alibaba import WanOpenT2I

    with pytest.raises(ValidationError) as caught:
        WanOpenT2I(prompt="p", style_images=["data:image/png;base64,AA", "https://e.com/a.png"], sample_count=5)
    by_path = {issue.path: issue.message for issue in caught.value.issues}
    assert by_path["styleImages[1]"].startswith("(style_images[1]) must be a data:")
    assert by_path["sampleCount"] == "(sample_count) must be <= 4"


# --- additionalProperties: true keeps unknown keys -----------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_unknown_keys_follow_the_root_additional_properties(slug: str) -> None:
    body = {**base_body(slug), "not_documented_yet": {"a": 1}}
    if schema(slug).get("additionalProperties") is True:
        assert registry.validate(slug, body).to_dict() == body
    else:  # absent or false: rejected (with a did-you-mean) — beyond the schema when it is absent
        assert issues_of(slug, body) == [("not_documented_yet", "unknown_field")]


def test_additional_properties_true_keeps_and_sends_unknown_keys(fixture_models: ModuleType) -> None:
    from modellix_fixture_gen.models.alibaba import WanOpenT2I

    example = json.loads((FIXTURE_SPECS / "alibaba/wan-open-t2i.json").read_text())["examples"]["request"]
    model = WanOpenT2I.from_dict(example)
    assert model.to_dict() == example
    assert model.extra_body == {"seed_extra": 7}
    assert WanOpenT2I.from_dict(model.to_dict()) == model
    # documented rules still apply, and every issue is reported together
    with pytest.raises(ValidationError) as caught:
        WanOpenT2I.from_dict({"prompt": "", "sampleCount": 2.5, "new_thing": True})
    assert sorted((i.path, i.rule) for i in caught.value.issues) == [("prompt", "minLength"), ("sampleCount", "type")]


def test_additional_properties_is_not_inherited_by_other_models(fixture_models: ModuleType) -> None:
    from modellix_fixture_gen.models.alibaba import QwenImagePlus

    with pytest.raises(ValidationError, match="unknown_field"):
        QwenImagePlus.from_dict({"prompt": "p", "seed_extra": 7})
