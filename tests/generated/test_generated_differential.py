"""Differential test: our generated validation vs jsonschema (Draft 2020-12) on the same documented schema.

Bodies are built near each model's schema (documented values, every bound and length ±1, wrong JSON types,
other size separators, non-URL strings, unknown and missing keys, nested objects) and each one goes through
``Class.from_dict`` and ``Draft202012Validator(request_schema).is_valid``. They must agree, except where we are
stricter on purpose (``BEYOND_SCHEMA``). When both reject, every jsonschema error path must be among ours;
accepted bodies must round-trip through ``to_dict`` unchanged.

Runs on every model of specs/index.json and on the fixture specs (generated into a tmp dir).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modellix_typed import registry
from modellix_typed.validation import Issue, ValidationError

from .conftest import FIXTURE_PACKAGE, FIXTURE_SPECS, load_index, load_spec

PROSE_RULES = frozenset(
    {"pixels", "aspect_ratio", "side", "multiple_of", "requires", "excludes", "exactly_one", "at_least_one", "when"}
)
BEYOND_SCHEMA = frozenset({"size_format", "size_bounds", "format", "unknown_field"}) | PROSE_RULES
"""Rules we enforce although plain JSON Schema does not: the W*H/WxH separator rule and documented pixel
bounds of sizes, URL/data-URI shape (``format`` is an annotation for jsonschema; prose-derived URL rules),
unknown keys (rejected unless the schema says ``additionalProperties: true``), and the rules the prose states
(``specs/<provider>/<model>.json`` "rules", checked against the emulator's own checker elsewhere)."""

MODELS = [("specs", entry["slug"], load_spec(entry)) for entry in load_index()]
MODELS += [("fixture", entry["slug"], load_spec(entry, FIXTURE_SPECS)) for entry in load_index(FIXTURE_SPECS)]
IDS = [f"{kind}:{slug}" for kind, slug, _ in MODELS]
NOT_JSON = object()


# --- comparing ------------------------------------------------------------------------------------------


def class_of(kind: str, slug: str, fixture_models: ModuleType | None) -> Any:
    if kind == "specs":
        return registry.get(slug)
    assert fixture_models is not None
    entry = importlib.import_module(f"{FIXTURE_PACKAGE}.models._catalog").CATALOG[slug]
    return getattr(importlib.import_module(f"{FIXTURE_PACKAGE}.models.{entry['module']}"), entry["class_name"])


def json_path(error: jsonschema.ValidationError) -> str:
    """jsonschema's error location in our Issue.path spelling (``a.b[0].c``; a missing key names the key)."""
    parts = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required: list[str] = list(error.validator_value) if isinstance(error.validator_value, list) else []
        missing = [key for key in required if key not in error.instance]
        parts.append(missing[0])
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(body)"


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``2.0 == 2`` (jsonschema counts it an integer; we send it as ``2``), but ``True != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def disagreement(cls: Any, validator: jsonschema.Draft202012Validator, body: Any) -> str | None:
    """None when both validators agree (modulo BEYOND_SCHEMA), else a readable description of the bug."""
    try:
        model = cls.from_dict(body)
    except ValidationError as exc:
        ours: list[Issue] = exc.issues
    else:
        ours = []
    theirs = list(validator.iter_errors(body))
    if not ours and theirs:
        return f"we accept, jsonschema rejects: {[(json_path(e), e.message) for e in theirs]}"
    if ours and not theirs:
        real = [issue for issue in ours if issue.rule not in BEYOND_SCHEMA]
        if real:
            return f"we reject, jsonschema accepts: {[(i.path, i.rule, i.message) for i in real]}"
        return None
    if ours:
        paths = {issue.path for issue in ours}
        uncovered = sorted({json_path(e) for e in theirs} - paths)
        if uncovered:
            return f"jsonschema error paths {uncovered} missing from ours {sorted(paths)}"
        return None
    dumped = model.to_dict()
    if not json_equal(dumped, body):
        return f"to_dict() changed the body: {dumped!r}"
    return None


# --- candidate values ------------------------------------------------------------------------------------


def types_of(node: Mapping[str, Any]) -> list[str]:
    raw = node.get("type")
    return [raw] if isinstance(raw, str) else list(raw or [])


def size_like(node: Mapping[str, Any]) -> list[str]:
    samples = [*(node.get("enum") or []), node.get("default"), node.get("example")]
    return [s for s in samples if isinstance(s, str) and any(sep in s for sep in "*xX×")]


def string_values(node: Mapping[str, Any]) -> Iterator[Any]:
    low, high = node.get("minLength"), node.get("maxLength")
    for n in {0, 1, 2, 5, *(b + d for b in (low, high) if isinstance(b, int) for d in (-1, 0, 1))}:
        if n >= 0:
            yield "a" * n
    for sample in size_like(node):
        for sep in "*xX×":
            for old in "*xX×":
                yield sample.replace(old, sep)
        yield f" {sample} "
    yield from ("1024x1024", "1024*1024", "1x1", "99999x99999", "2K", "abc*def")
    yield from ("https://example.com/a.png", "http://example.com", "ftp://example.com/a", "//example.com/a")
    yield from ("not a url", "https://", "http://exa mple.com", "data:image/png;base64,iVBOR", "data:,x")
    yield from ("data:image/png,abc", "data:image/png;base64,", "<anime>", "<Anime>", "anime")
    for value in node.get("enum") or []:
        if isinstance(value, str):
            yield from (value.upper(), value + " ", value[:-1])


def number_values(node: Mapping[str, Any]) -> Iterator[Any]:
    integer = types_of(node) == ["integer"]
    yield from (0, 1, -1, 2.0, 2.5, 0.5)
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = node.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            yield from (bound - 1, bound, bound + 1, float(bound), bound - 0.5, bound + 0.5)
            if not integer:
                yield from (bound - 1e-9, bound + 1e-9)
    for value in node.get("enum") or []:
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield from (value + 1, float(value))


def wrong_types() -> Iterator[Any]:
    yield from (None, True, False, "2", 2, 2.0, 2.5, [], {}, ["a"], {"k": 1})


def candidates(node: Mapping[str, Any], depth: int = 0) -> list[Any]:
    """Documented values of ``node`` plus mutations around every documented rule (valid and invalid mixed)."""
    out: list[Any] = []
    out += list(node.get("enum") or [])
    out += [node[k] for k in ("default", "example", "const") if k in node]
    out += list(node.get("examples") or [])
    out += list(wrong_types())
    types = types_of(node)
    if "string" in types or not types:
        out += list(string_values(node))
    if "integer" in types or "number" in types or not types:
        out += list(number_values(node))
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in node.get(keyword) or []:
            out += candidates(branch, depth + 1)
    if depth < 3 and ("array" in types or isinstance(node.get("items"), Mapping)):
        out += array_values(node, depth)
    if depth < 3 and isinstance(node.get("properties"), Mapping):
        out += object_values(node, depth)
    unique: list[Any] = []
    for value in out:
        if not any(type(value) is type(seen) and json_equal(value, seen) for seen in unique):
            unique.append(value)
    return unique


def array_values(node: Mapping[str, Any], depth: int) -> list[Any]:
    raw = node.get("items")
    items: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    item_values = candidates(items, depth + 1)
    good = next((v for v in [*(node.get("example") or []), *item_values] if valid(items, v)), "a")
    lengths = {0, 1, 2}
    for key in ("minItems", "maxItems"):
        if isinstance(node.get(key), int):
            lengths |= {node[key] - 1, node[key], node[key] + 1}
    out: list[Any] = [[good] * n for n in sorted(lengths) if n >= 0]
    out += [[good, value] for value in item_values]
    return out


def object_values(node: Mapping[str, Any], depth: int) -> list[Any]:
    minimal = valid_object(node, depth)
    out: list[Any] = [minimal, {**minimal, "unknownKey": 1}, {}]
    for key in node.get("required") or []:
        out.append({k: v for k, v in minimal.items() if k != key})
    for key, child in node["properties"].items():
        for value in candidates(child, depth + 1):
            out.append({**minimal, key: value})
    return out


def valid(node: Mapping[str, Any], value: Any) -> bool:
    return bool(jsonschema.Draft202012Validator(node).is_valid(value))


def valid_object(node: Mapping[str, Any], depth: int) -> dict[str, Any]:
    """A body with every required key set to a documented value jsonschema accepts (URL-shaped if possible)."""
    body: dict[str, Any] = {}
    for key in node.get("required") or []:
        child = node["properties"].get(key, {})
        preferred = ["https://example.com/a.png", "A cat", *candidates(child, depth + 1)]
        body[key] = next((v for v in preferred if valid(child, v) and not isinstance(v, bool)), "x")
    return body


def base_body(spec: Mapping[str, Any]) -> dict[str, Any]:
    example = (spec.get("examples") or {}).get("request")
    schema = spec["request_schema"]
    if isinstance(example, Mapping) and valid(schema, example):
        return dict(example)
    return valid_object(schema, 0)


# --- the tests --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classes(fixture_models: ModuleType) -> dict[str, Any]:
    return {f"{kind}:{slug}": class_of(kind, slug, fixture_models) for kind, slug, _ in MODELS}


def one_field_bodies(spec: Mapping[str, Any]) -> Iterator[Any]:
    """The documented example with one change: each candidate in each field, each key removed, one key added."""
    schema = spec["request_schema"]
    body = base_body(spec)
    yield body
    yield {**body, "promt": "typo"}
    yield from ([], "body", None)
    for key, node in schema.get("properties", {}).items():
        yield {k: v for k, v in body.items() if k != key}
        for value in candidates(node):
            yield {**body, key: value}


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_every_single_field_change_agrees_with_jsonschema(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]
) -> None:
    cls = classes[f"{kind}:{slug}"]
    validator = jsonschema.Draft202012Validator(spec["request_schema"])
    found = [(body, problem) for body in one_field_bodies(spec) if (problem := disagreement(cls, validator, body))]
    assert found == []


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
"""Arbitrary JSON: whatever the candidates above didn't think of."""


def bodies(spec: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Several fields changed at once: each documented key absent, or one of its candidates; maybe extra keys."""
    schema = spec["request_schema"]
    fields = {
        key: st.one_of(st.just(NOT_JSON), st.sampled_from(candidates(node)), ANY_JSON)
        for key, node in schema.get("properties", {}).items()
    }
    names = st.sampled_from(["seeds", "Prompt", "x", "extra_body", "_fields_set", "to_dict"])
    extra = st.dictionaries(names, st.sampled_from([1, "a", None]))

    def build(values: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
        return {**more, **{k: v for k, v in values.items() if v is not NOT_JSON}}

    return st.builds(build, st.fixed_dictionaries(fields), st.one_of(st.just({}), extra))


@pytest.mark.parametrize(("kind", "slug", "spec"), MODELS, ids=IDS)
def test_random_bodies_agree_with_jsonschema(
    classes: dict[str, Any], kind: str, slug: str, spec: dict[str, Any]
) -> None:
    cls = classes[f"{kind}:{slug}"]
    validator = jsonschema.Draft202012Validator(spec["request_schema"])

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(body=bodies(spec))
    def check(body: dict[str, Any]) -> None:
        assert disagreement(cls, validator, body) is None, body

    check()


# --- regressions: disagreements this test found (fixture acme/keyword-zoo) ---------------------------------


@pytest.fixture(scope="module")
def zoo(classes: dict[str, Any]) -> Any:
    return classes["fixture:acme/keyword-zoo"]


ZOO = next(spec for kind, slug, spec in MODELS if slug == "acme/keyword-zoo")
ZOO_VALIDATOR = jsonschema.Draft202012Validator(ZOO["request_schema"])


def rules(cls: Any, body: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        cls.from_dict(body)
    except ValidationError as exc:
        return [(issue.path, issue.rule) for issue in exc.issues]
    return []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # objects inside oneOf/anyOf branches were only checked to be mappings: required/properties ignored
        ({"source": {}}, [("source", "oneOf")]),
        ({"source": {"url": 2}}, [("source", "oneOf")]),
        ({"source": {"text": "too long"}}, [("source", "oneOf")]),
        # oneOf was checked as anyOf: a value matching two branches passed
        ({"weight": 6}, [("weight", "oneOf")]),
        ({"weight": 5.0}, [("weight", "oneOf")]),
        # const/enum compared with Python ==, where True == 1 and False == 0
        ({"version": True}, [("version", "enum")]),
        ({"mode": False}, [("mode", "enum")]),
        ({"flag": 1}, [("flag", "enum")]),
        # uniqueItems was ignored
        ({"options": {"level": 1, "labels": ["a", "a"]}}, [("options.labels", "uniqueItems")]),
    ],
)
def test_found_disagreements_stay_fixed(zoo: Any, change: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    body = {"prompt": "A fox", **change}
    assert not ZOO_VALIDATOR.is_valid(body)
    assert rules(zoo, body) == expected


@pytest.mark.parametrize(
    "change",
    [
        {"source": {"url": "abc"}},
        {"source": {"text": "hi", "extra": 1}},  # a branch object allows other keys, as JSON Schema does
        {"weight": 2},
        {"weight": 5.5},
        {"version": 1},
        {"version": 1.0},
        {"mode": 0},
        {"mode": "auto"},
        {"flag": True},
        {"scale": 0.5},  # enums mixing int and float made openapi-python-client reject the whole model
        {"scale": 2.0},
        {"options": {"level": 1, "labels": ["a", "b"]}},
    ],
)
def test_found_disagreements_valid_side(zoo: Any, change: dict[str, Any]) -> None:
    body = {"prompt": "A fox", **change}
    assert ZOO_VALIDATOR.is_valid(body)
    assert json_equal(zoo.from_dict(body).to_dict(), body)


def test_json_equal_is_strict_about_bools_and_lenient_about_integral_floats() -> None:
    assert json_equal({"a": [2.0]}, {"a": [2]})
    assert not json_equal({"a": True}, {"a": 1})
    assert not json_equal({"a": 1}, {"a": 1, "b": None})
