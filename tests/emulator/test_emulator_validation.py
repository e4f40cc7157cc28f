"""Bodies are checked with jsonschema against the spec; the 400 names the parameter like the API does."""

from __future__ import annotations

import httpx
import pytest

from modellix_typed.emulator.validator import BodyRejected, RequestValidator

from .conftest import IMAGEN, T2V


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing required parameter: parameter 'prompt' is required"),
        ({"prompt": "x", "sampleCount": 9}, "Value out of range: parameter 'sampleCount' must be between 1 and 4, got 9"),
        ({"prompt": "x", "sampleCount": "two"}, "Invalid format: parameter 'sampleCount' must be of type integer, got two"),
        ({"prompt": "x", "aspectRatio": "2:1"},
         "Invalid parameters: parameter 'aspectRatio' must be one of [1:1, 3:4, 4:3, 9:16, 16:9], got 2:1"),
        ({"prompt": ""}, "Value out of range: parameter 'prompt' must have at least 1 characters, got "),
        ([1, 2], "Invalid format: request body must be a JSON object"),
    ],
)
def test_schema_violation_is_400_naming_the_parameter(client: httpx.Client, body: object, message: str) -> None:
    response = client.post(IMAGEN, json=body)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": message}


def test_pattern_violation(client: httpx.Client) -> None:
    response = client.post(T2V, json={"prompt": "x", "size": "1024"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Invalid format: parameter 'size' must match pattern '^[0-9]+\\*[0-9]+$', got 1024"
    )


def test_invalid_json_and_empty_body(client: httpx.Client) -> None:
    bad = client.post(IMAGEN, content=b"{prompt: nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert bad.json() == {"code": 400, "message": "Invalid format: invalid JSON format"}
    empty = client.post(IMAGEN, content=b"")
    assert empty.status_code == 400
    assert empty.json()["message"].startswith("Invalid format: request body is required")


def test_rejected_bodies_create_no_task(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    client.post(IMAGEN, json={"sampleCount": 1})
    assert emulator.stats()["tasks_created"] == 0


def test_nested_parameter_path_is_named() -> None:
    validator = RequestValidator({
        "type": "object",
        "properties": {"images": {"type": "array", "maxItems": 2, "items": {"type": "string", "minLength": 1}},
                       "opts": {"type": "object", "required": ["seed"],
                                "properties": {"seed": {"type": "integer", "exclusiveMinimum": 0}}}},
    })
    with pytest.raises(BodyRejected, match=r"parameter 'images\[1\]' must have at least 1 characters"):
        validator.check({"images": ["a", ""]})
    with pytest.raises(BodyRejected, match=r"parameter 'images' must have at most 2 items"):
        validator.check({"images": ["a", "b", "c"]})
    with pytest.raises(BodyRejected, match=r"Missing required parameter: parameter 'opts.seed' is required"):
        validator.check({"opts": {}})
    with pytest.raises(BodyRejected, match=r"Value out of range: parameter 'opts.seed' must be greater than 0, got 0"):
        validator.check({"opts": {"seed": 0}})
    validator.check({"images": ["a"], "opts": {"seed": 3}})


def test_size_rules_name_their_own_unit_and_bounds() -> None:
    """minProperties/maxProperties count properties; each size rule reads only its own family's bounds."""
    validator = RequestValidator({
        "type": "object",
        "properties": {"extra": {"type": "object", "minProperties": 1, "maxProperties": 2},
                       "tags": {"type": ["array", "string"], "minLength": 3, "maxItems": 1}},
    })
    with pytest.raises(BodyRejected) as few:
        validator.check({"extra": {}})
    assert few.value.message == "Value out of range: parameter 'extra' must have between 1 and 2 properties, got {}"
    with pytest.raises(BodyRejected, match=r"parameter 'extra' must have between 1 and 2 properties, got"):
        validator.check({"extra": {"a": 1, "b": 2, "c": 3}})
    with pytest.raises(BodyRejected, match=r"parameter 'tags' must have at most 1 items, got"):
        validator.check({"tags": ["a", "b"]})
    with pytest.raises(BodyRejected, match=r"parameter 'tags' must have at least 3 characters, got ab$"):
        validator.check({"tags": "ab"})
