"""Rules the docs state only in words, on real mirror pages: each kind accepts its edge and rejects the first
value past it, at construction, in ``from_dict`` and on assignment; and no documented example is rejected
unless the docs lint report says why it is not a valid request."""

from __future__ import annotations

import itertools
from typing import Any

import jsonschema
import pytest

from modellix_typed import registry
from modellix_typed.rules import Rule, violations
from modellix_typed.validation import ValidationError

from .conftest import load_lint_report
from .test_generated_spec_rules import SLUGS, SPECS

LINT = load_lint_report()
EXAMPLE_FINDINGS = {"placeholder_example", "example_breaks_schema", "example_breaks_rule", "example_unknown_field"}


def problems(slug: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        registry.validate(slug, body)
    except ValidationError as exc:
        return [(issue.path, issue.rule) for issue in exc.issues]
    return []


def test_every_documented_example_is_accepted_or_linted_with_its_reason() -> None:
    linted: dict[str, list[dict[str, Any]]] = {}
    for finding in LINT["findings"]:
        if finding["kind"] in EXAMPLE_FINDINGS:
            linted.setdefault(finding["slug"], []).append(finding)
    rejected_unexplained = []
    examples = 0
    for slug in SLUGS:
        example = SPECS[slug]["examples"].get("request")
        if not isinstance(example, dict):
            continue
        examples += 1
        found = problems(slug, example)
        if found and slug not in linted:
            rejected_unexplained.append((slug, found))
        for finding in linted.get(slug, []):
            assert finding["detail"], finding  # every listed example says why
    assert examples > 60
    assert rejected_unexplained == []


def test_rules_are_extracted_for_most_rule_kinds_on_the_mirror() -> None:
    kinds = {rule["kind"] for slug in SLUGS for rule in SPECS[slug].get("rules") or []}
    assert kinds >= {"pixels", "aspect_ratio", "multiple_of", "requires", "excludes", "exactly_one", "when"}
    assert kinds >= {"at_least_one"}
    for slug in SLUGS:
        for rule in SPECS[slug].get("rules") or []:
            assert rule["sentence"] and rule["id"], rule


WAN = "alibaba/wan2.6-t2i"  # Total pixels between 768×768 and 1440×1440, aspect ratio between 1:4 and 4:1
SEEDREAM = "bytedance/seedream-4.5-t2i"  # Total pixels 3,686,400 to 16,777,216, aspect ratio 1/16 to 16


@pytest.mark.parametrize(
    ("slug", "size", "expected"),
    [
        (WAN, "768*768", []),
        (WAN, "767*768", [("size", "pixels")]),
        (WAN, "1440*1440", []),
        (WAN, "1441*1440", [("size", "pixels")]),
        (WAN, "2048*512", []),  # exactly 4:1
        (WAN, "2056*512", [("size", "aspect_ratio")]),
        (WAN, "512*2048", []),
        (WAN, "512*2056", [("size", "aspect_ratio")]),
        (SEEDREAM, "2560x1440", []),
        (SEEDREAM, "2559x1440", [("size", "pixels")]),
        (SEEDREAM, "4096x4096", []),
        (SEEDREAM, "4097x4096", [("size", "pixels")]),
        (SEEDREAM, "1024x16384", []),  # exactly 1/16 and the maximum pixel count
        (SEEDREAM, "1023x16384", [("size", "aspect_ratio")]),
    ],
)
def test_size_pixels_and_aspect_ratio_edges(slug: str, size: str, expected: list[tuple[str, str]]) -> None:
    assert problems(slug, {"prompt": "x", "size": size}) == expected


def test_a_size_error_quotes_the_docs_sentence() -> None:
    with pytest.raises(ValidationError) as caught:
        registry.get(WAN)(prompt="x", size="3000*600")  # type: ignore[call-arg]
    [issue] = caught.value.issues
    assert issue.rule == "aspect_ratio" and issue.value == "3000*600"
    assert "aspect ratio between 1:4 and 4:1" in issue.message


MINIMAX = "minimax/minimax-image-01-t2i"  # Must be divisible by 8; must be used with height/width


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"width": 1024, "height": 512}, []),
        ({"width": 1028, "height": 512}, [("width", "multiple_of")]),
        ({"width": 1024, "height": 2044}, [("height", "multiple_of")]),
        ({"width": 1024}, [("width", "requires")]),
        ({"height": 1024}, [("height", "requires")]),
        ({"width": 1025}, [("width", "multiple_of"), ("width", "requires")]),
        ({"width": 2056, "height": 512}, [("width", "maximum")]),  # the schema bound, reported once
    ],
)
def test_divisible_by_and_paired_fields(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems(MINIMAX, {"prompt": "x", **body}) == expected


KLING_V1 = "kling/kling-v1-i2v"  # static_mask / dynamic_masks: mutually exclusive with image_tail


def test_mutually_exclusive_fields() -> None:
    image = "https://example.com/a.png"
    assert problems(KLING_V1, {"image": image, "static_mask": image}) == []
    assert problems(KLING_V1, {"image": image, "image_tail": image}) == []
    # two sentences say it (static_mask's from prose, image_tail's by review): one clash, one issue
    assert problems(KLING_V1, {"image": image, "static_mask": image, "image_tail": image}) == [
        ("image_tail", "excludes")
    ]
    assert problems(KLING_V1, {"image": image, "dynamic_masks": [{}], "image_tail": image}) == [
        ("dynamic_masks", "excludes")
    ]
    assert problems(KLING_V1, {"image": image, "dynamic_masks": [{}], "static_mask": image}) == []


def test_the_review_overlay_adds_a_rule_that_keeps_its_sentence() -> None:
    [rule] = [r for r in SPECS[KLING_V1]["rules"] if r["origin"] == "overlay"]
    assert rule["id"] == "excludes:image_tail+static_mask+dynamic_masks"
    image = "https://example.com/a.png"
    body = {"image": image, "image_tail": image, "static_mask": image}
    cls: Any = registry.get(KLING_V1)
    with pytest.raises(ValidationError) as caught:
        cls(**body)
    assert any("mutually exclusive with" in issue.message for issue in caught.value.issues)


VEO = "google/veo-3.1-i2v"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"lastFrame": "https://e.co/l.png", "durationSeconds": "8"}, []),
        ({"lastFrame": "https://e.co/l.png", "durationSeconds": "6"}, [("durationSeconds", "when")]),
        ({"lastFrame": "https://e.co/l.png"}, []),  # durationSeconds not sent: nothing to contradict
        ({"referenceImages": ["https://e.co/r.png"]}, [("image", "excludes")]),  # two sentences, one clash
        ({"negativePrompt": "blur"}, []),
    ],
)
def test_veo_conditionals(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    base = {"prompt": "x", "image": "https://e.co/i.png"}
    assert sorted(problems(VEO, {**base, **body})) == sorted(expected)


OMNI = "kling/kling-v3-omni-video"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"videos": ["https://e.co/v.mp4"], "sound": "off"}, []),
        ({"videos": ["https://e.co/v.mp4"], "sound": "on"}, [("sound", "when")]),
        ({"sound": "on"}, []),
        ({"multi_shot": True, "shot_type": "intelligence"}, []),
        ({"multi_shot": True}, [("shot_type", "when")]),
        ({"multi_shot": False, "shot_type": "intelligence"}, [("shot_type", "when")]),
        ({"multi_shot": False}, []),
    ],
)
def test_kling_omni_conditionals(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems(OMNI, {"prompt": "x", **body}) == expected


def test_exactly_one_and_at_least_one() -> None:
    avatar = {"image": "https://e.co/a.png", "audio_id": "a1"}
    assert problems("kling/kling-avatar", avatar) == []
    assert problems("kling/kling-avatar", {**avatar, "sound_file": "https://e.co/a.mp3"}) == [
        ("audio_id", "exactly_one")
    ]
    assert problems("alibaba/wan2.7-r2v", {"prompt": "x"}) == [("first_frame_image", "at_least_one")]
    assert problems("alibaba/wan2.7-r2v", {"prompt": "x", "reference_images": ["https://e.co/a.png"]}) == []


def test_an_assignment_that_breaks_a_cross_field_rule_is_refused_and_changes_nothing() -> None:
    model: Any = registry.validate(VEO, {"prompt": "x", "image": "https://e.co/i.png", "durationSeconds": "6"})
    with pytest.raises(ValidationError) as caught:
        model.last_frame = "https://e.co/l.png"
    assert [(i.path, i.rule) for i in caught.value.issues] == [("durationSeconds", "when")]
    assert "lastFrame" not in model.to_dict() and model.last_frame is None
    model.duration_seconds = "8"
    model.last_frame = "https://e.co/l.png"
    assert model.to_dict()["lastFrame"] == "https://e.co/l.png"
    with pytest.raises(ValidationError):
        model.duration_seconds = "4"
    assert model.to_dict()["durationSeconds"] == "8"
    model.last_frame = None  # unsetting is checked too, and here allowed
    model.duration_seconds = "4"
    assert model.to_dict() == {"prompt": "x", "image": "https://e.co/i.png", "durationSeconds": "4"}


def test_construction_checks_rules_with_python_names_in_messages() -> None:
    cls: Any = registry.get(VEO)
    with pytest.raises(ValidationError) as caught:
        cls(prompt="x", image="https://e.co/i.png", last_frame="https://e.co/l.png", duration_seconds="4")
    [issue] = caught.value.issues
    assert issue.path == "durationSeconds" and "(duration_seconds)" in issue.message
    assert "durationSeconds must be 8 when using this parameter" in issue.message


def test_side_rule_and_rule_evaluation_without_a_class() -> None:
    """``side`` has no page in today's mirror (its sentences are about remote images): checked on a Rule."""
    rule = Rule("side", ("size",), "Width and height both in [512, 1440]", low=512, high=1440)
    assert violations([rule], {"size": "512x1440"}) == []
    assert [i.rule for i in violations([rule], {"size": "511x1440"})] == ["side"]
    assert [i.rule for i in violations([rule], {"size": "512x1441"})] == ["side"]
    assert violations([rule], {"size": "2K"}) == []  # other spellings are the enum's business


# --- JSON Schema export -----------------------------------------------------------------------------------

RULED = [slug for slug in SLUGS if SPECS[slug].get("rules")]
PROBE_VALUES: list[Any] = [True, False, 1024, 1028, "8", "6", "off", "intelligence"]


def presence_probes(fields: list[str]) -> list[dict[str, Any]]:
    out = []
    for sent in itertools.product((False, True), repeat=len(fields)):
        names = [name for name, on in zip(fields, sent, strict=True) if on]
        out += [dict(zip(names, combo, strict=True)) for combo in itertools.product(PROBE_VALUES, repeat=len(names))]
    return out


@pytest.mark.parametrize("slug", RULED)
def test_exported_json_schema_states_the_rules_it_can(slug: str) -> None:
    exported = registry.json_schema(slug)
    cls: Any = registry.get(slug)
    assert {key: value for key, value in exported.items() if key not in ("dependentRequired", "allOf", "x-modellix-rules")} == cls.json_schema()
    unexpressed = {(rule["kind"], tuple(rule["fields"])) for rule in exported.get("x-modellix-rules", [])}
    assert {kind for kind, _ in unexpressed} <= {"pixels", "aspect_ratio", "side"}
    expressed = [rule for rule in cls._RULES if (rule.kind, rule.fields) not in unexpressed]
    only_rules = {key: exported[key] for key in ("dependentRequired", "allOf") if key in exported}
    validator = jsonschema.Draft202012Validator({"type": "object", **only_rules})
    disagreements = [
        body
        for rule in expressed
        for body in presence_probes(list(rule.fields))
        if validator.is_valid(body) != (violations(expressed, body) == [])
    ]
    assert disagreements[:5] == []


def test_json_schema_export_of_veo_uses_dependent_required_and_if_then() -> None:
    exported = registry.json_schema(VEO)
    assert exported["dependentRequired"] == {"lastFrame": ["image"]}
    sentences = [entry["description"] for entry in exported["allOf"]]
    assert "durationSeconds must be 8 when using this parameter." in sentences
    assert "x-modellix-rules" not in exported
    assert registry.json_schema(WAN)["x-modellix-rules"][0]["kind"] in ("aspect_ratio", "pixels")


HAILUO = "minimax/hailuo-2.3-i2v"  # "10 seconds only supports 768P", "1080P only supports 6 seconds"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"duration": 10, "resolution": "768P"}, []),
        ({"duration": 10}, []),  # resolution not sent: the API's default decides
        ({"duration": 6, "resolution": "1080P"}, []),
        ({"duration": 10, "resolution": "1080P"}, [("duration", "when"), ("resolution", "when")]),
    ],
)
def test_value_to_value_conditionals(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    base = {"prompt": "x", "first_frame_image": "https://e.co/f.png"}
    assert sorted(problems(HAILUO, {**base, **body})) == expected
    veo = {"prompt": "x", "resolution": "4k"}
    assert problems("google/veo-3.1-t2v", {**veo, "durationSeconds": "8"}) == []
    assert problems("google/veo-3.1-t2v", {**veo, "durationSeconds": "6"}) == [("durationSeconds", "when")]


def test_the_class_docstring_lists_the_rules_with_their_field() -> None:
    doc = " ".join(str(registry.get(VEO).__doc__).split())
    assert "Rules the docs state in prose" in doc
    assert "- lastFrame: durationSeconds must be 8 when using this parameter." in doc
