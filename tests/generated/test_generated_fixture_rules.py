"""Rules the current docs mirror can't show (alibaba ``W*H`` / bytedance ``WxH`` sizes, nested objects, URIs,
patterns, oneOf), on classes generated from tests/generated/fixtures/specs into a temporary folder."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from modellix_typed.validation import ValidationError


def issues(cls: Any, body: dict[str, Any]) -> list[tuple[str, str, str]]:
    try:
        cls.from_dict(body)
    except ValidationError as exc:
        return [(issue.path, issue.rule, issue.message) for issue in exc.issues]
    return []


@pytest.fixture(scope="module")
def qwen(fixture_models: ModuleType) -> Any:
    from modellix_fixture_gen.models.alibaba import QwenImagePlus  # type: ignore[import-not-found]

    return QwenImagePlus


@pytest.fixture(scope="module")
def seedream(fixture_models: ModuleType) -> Any:
    from modellix_fixture_gen.models.bytedance import Seedream45T2I  # type: ignore[import-not-found]

    return Seedream45T2I


def test_alibaba_star_sizes_reject_x_naming_the_fix(qwen: Any) -> None:
    assert issues(qwen, {"prompt": "cat", "size": "1328*1328"}) == []
    [(path, rule, message)] = issues(qwen, {"prompt": "cat", "size": "1328x1328"})
    assert (path, rule) == ("size", "size_format")
    assert message == "use '*' as separator: '1328*1328'"
    with pytest.raises(ValidationError, match=r"use '\*' as separator: '1664\*928'"):
        qwen(prompt="cat", size="1664x928")
    # right separator, but not a documented size: the enum rule speaks
    assert [(p, r) for p, r, _ in issues(qwen, {"prompt": "cat", "size": "1000*1000"})] == [("size", "enum")]


def test_bytedance_x_sizes_reject_star_and_keep_pixel_bounds(seedream: Any) -> None:
    assert issues(seedream, {"prompt": "p", "size": "2048x2048"}) == []
    assert issues(seedream, {"prompt": "p", "size": "2K"}) == []  # presets aren't W?H: not this rule's business
    [(path, rule, message)] = issues(seedream, {"prompt": "p", "size": "2048*2048"})
    assert (path, rule, message) == ("size", "size_format", "use 'x' as separator: '2048x2048'")
    # description: "total pixels in [1280x720, 4096x4096]"
    assert issues(seedream, {"prompt": "p", "size": "1280x720"}) == []
    assert issues(seedream, {"prompt": "p", "size": "4096x4096"}) == []
    assert [(p, r) for p, r, _ in issues(seedream, {"prompt": "p", "size": "1279x720"})] == [("size", "size_bounds")]
    assert [(p, r) for p, r, _ in issues(seedream, {"prompt": "p", "size": "4097x4096"})] == [("size", "size_bounds")]


def test_size_default_is_not_sent_unless_set(qwen: Any) -> None:
    model = qwen(prompt="cat")
    assert model.size == "1328*1328"
    assert model.to_dict() == {"prompt": "cat"}
    model.size = "928*1664"
    assert model.to_dict() == {"prompt": "cat", "size": "928*1664"}
    assert qwen(prompt="cat", size="1328*1328").to_dict() == {"prompt": "cat", "size": "1328*1328"}


def test_nested_object_paths_and_round_trip(qwen: Any) -> None:
    body = {"prompt": "cat", "parameters": {"guidance": 20, "style": "anime", "tags": ["ok", "x"], "sed": 1}}
    found = {(p, r) for p, r, _ in issues(qwen, body)}
    assert found == {
        ("parameters.guidance", "exclusiveMaximum"),
        ("parameters.style", "pattern"),
        ("parameters.tags[1]", "minLength"),
        ("parameters.sed", "unknown_field"),
    }
    assert {(p, r) for p, r, _ in issues(qwen, {"prompt": "cat", "parameters": {}})} == {
        ("parameters.guidance", "required")
    }
    good = {"prompt": "cat", "parameters": {"guidance": 0.5, "style": "<anime>", "tags": ["warm"]}}
    model = qwen.from_dict(good)
    assert type(model.parameters).__name__ == "QwenImagePlusParameters"
    assert model.to_dict() == good
    with pytest.raises(ValidationError, match="guidance: must be > 0"):
        model.parameters.guidance = 0
    # a nested object can also be built directly and assigned
    nested_cls = type(model.parameters)
    model.parameters = nested_cls(guidance=3)
    assert model.to_dict()["parameters"] == {"guidance": 3}


def test_uri_fields_accept_http_and_data_uris_only_where_documented(seedream: Any) -> None:
    ok = {"prompt": "p", "image": "data:image/png;base64,AAAA", "reference_images": ["https://example.com/a.png"]}
    assert issues(seedream, ok) == []
    bad = {"prompt": "p", "image": "ftp://example.com/a.png", "reference_images": ["data:image/png;base64,AAAA"]}
    assert {(p, r) for p, r, _ in issues(seedream, bad)} == {("image", "format"), ("reference_images[0]", "format")}


def test_list_of_nested_objects_reports_item_paths(seedream: Any) -> None:
    body = {"prompt": "p", "layers": [{"url": "https://e.com/a.png"}, {"opacity": 2}, "nope"]}
    found = {(p, r) for p, r, _ in issues(seedream, body)}
    assert found == {("layers[1].url", "required"), ("layers[1].opacity", "maximum"), ("layers[2]", "type")}
    model = seedream.from_dict({"prompt": "p", "layers": [{"url": "https://e.com/a.png", "opacity": 0.5}]})
    assert model.to_dict()["layers"] == [{"url": "https://e.com/a.png", "opacity": 0.5}]


def test_one_of_accepts_each_form_and_rejects_neither(seedream: Any) -> None:
    assert issues(seedream, {"prompt": "p", "strength": 0.4}) == []
    assert issues(seedream, {"prompt": "p", "strength": "high"}) == []
    [(path, rule, message)] = issues(seedream, {"prompt": "p", "strength": 1.5})
    assert (path, rule) == ("strength", "oneOf")
    assert "must be <= 1" in message and "expected string" in message


def test_fixture_examples_are_accepted(fixture_models: ModuleType, qwen: Any, seedream: Any) -> None:
    import json

    from .conftest import FIXTURE_SPECS

    for cls, file in ((qwen, "alibaba/qwen-image-plus.json"), (seedream, "bytedance/seedream-4.5-t2i.json")):
        example = json.loads((FIXTURE_SPECS / file).read_text())["examples"]["request"]
        assert cls.from_dict(example).to_dict() == example
