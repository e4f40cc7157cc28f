"""Tests derived from the specs themselves: every documented rule of every model, checked on its generated class.

Each case is also run through jsonschema (an independent validator of the same documented schema), so a
wrong expectation here or a wrong generated check shows up as a disagreement.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest

from modellix_typed import registry
from modellix_typed.request import RequestModel
from modellix_typed.validation import ValidationError

from .conftest import is_placeholder, load_index, load_lint_report, load_spec

ENTRIES = load_index()
SPECS = {entry["slug"]: load_spec(entry) for entry in ENTRIES}
LINTED = {
    finding["slug"]
    for finding in load_lint_report()["findings"]
    if finding["kind"] in ("placeholder_example", "example_breaks_schema", "example_breaks_rule", "example_unknown_field")
}
"""Models whose page example is not a real valid request (placeholder, breaks its schema or a prose rule)."""
SLUGS = sorted(SPECS)
NOT_IN_ENUM = "__not-a-documented-value__"


def schema(slug: str) -> dict[str, Any]:
    request: dict[str, Any] = SPECS[slug]["request_schema"]
    return request


def schema_accepts(slug: str, body: Any) -> bool:
    return bool(jsonschema.Draft202012Validator(schema(slug)).is_valid(body))


def node_accepts(node: Mapping[str, Any], value: Any) -> bool:
    return bool(jsonschema.Draft202012Validator(node).is_valid(value))


PROSE_RULES = frozenset(
    {"pixels", "aspect_ratio", "side", "multiple_of", "requires", "excludes", "exactly_one", "at_least_one", "when"}
)


def issues_of(slug: str, body: Any, *, prose: bool = False) -> list[tuple[str, str]]:
    """(path, rule) of every issue; cross-field prose rules (tested in test_generated_prose_rules) only with
    ``prose=True``, since these tests change one field at a time against the schema."""
    try:
        registry.validate(slug, body)
    except ValidationError as exc:
        return [(issue.path, issue.rule) for issue in exc.issues if prose or issue.rule not in PROSE_RULES]
    return []


def prose_uri_kind(node: Mapping[str, Any], parent_description: str = "") -> str | None:
    """What the docs' prose says a string field takes: "url", "url_or_data", "data" or None (not a URL field).

    Written independently of the generator (codegen.gen_checks.uri_rule) on purpose: the two must agree.
    """
    if node.get("type") not in ("string", None) or "enum" in node:
        return None
    text = " ".join(
        word for word in f"{node.get('description') or ''} {parent_description}".lower().split()
        if not word.startswith(("http://", "https://"))  # a link to docs says nothing about the value
    )
    shown = [node.get(key) for key in ("example", "default") if isinstance(node.get(key), str)]
    if any(not is_placeholder(value) and not value.startswith(("http", "data:")) for value in shown):
        return None  # the docs' own example is not a URL
    if "include 'data:' prefix" in text or "include base64 prefix" in text:
        return None  # raw Base64 (no data: prefix) is allowed too: nothing URL-shaped to require
    data = "base64" in text or "data uri" in text or "data url" in text
    plain = text.replace("base64 data url", "").replace("base64 data uri", "").replace("data uri", "")
    plain = plain.replace("data url", "")
    url = "url" in plain or "uri" in plain or "http" in plain or node.get("format") == "uri"
    if url:
        return "url_or_data" if data else "url"
    return "data" if "data uri" in text or "data url" in text else None


def valid_value(node: Mapping[str, Any], parent_description: str = "") -> Any:
    """A value the documented node accepts (its example, default or first enum value, else synthesized)."""
    candidates: list[Any] = []
    for key in ("example", "default"):
        if key in node:
            candidates.append(node[key])
    candidates += list(node.get("enum") or [])[:1]
    candidates += list(node.get("examples") or [])
    candidates.append(_synthesize(node, parent_description))
    for candidate in candidates:
        if node_accepts(node, candidate) and not is_placeholder(candidate):
            return candidate
    raise AssertionError(f"no valid value found for {node}")


def _synthesize(node: Mapping[str, Any], parent_description: str = "") -> Any:
    kind = node.get("type")
    uri = prose_uri_kind(node, parent_description)
    if uri is not None:  # beyond the schema: URL fields documented in prose only (see test_generated_uri_rules)
        return "data:image/png;base64,iVBORw0KGgo=" if uri == "data" else "https://example.com/a.png"
    if kind == "string":
        size = max(node.get("minLength", 1), 1)
        return "x" * min(size, node.get("maxLength", size))
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in node else 1)
        return low
    if kind == "boolean":
        return True
    if kind == "array":
        items = node.get("items") or {}
        return [valid_value(items, str(node.get("description") or ""))] * max(node.get("minItems", 1), 1)
    if kind == "object":
        properties = node.get("properties") or {}
        return {name: valid_value(properties[name]) for name in node.get("required") or []}
    return "x"


def base_body(slug: str) -> dict[str, Any]:
    """The page's example body when the lint report has nothing against it, else the required fields only
    (completed so that the page's prose rules hold)."""
    example = SPECS[slug]["examples"].get("request")
    if isinstance(example, dict) and slug not in LINTED:
        assert schema_accepts(slug, example), f"{slug}: example breaks its schema but the lint report misses it"
        return dict(example)
    return satisfy_rules(slug, valid_value(schema(slug)))


def ruled(slug: str, name: str) -> bool:
    """``name`` takes part in one of the model's prose rules (changing it alone may break one)."""
    return any(name in rule["fields"] for rule in SPECS[slug].get("rules") or [])


def satisfy_rules(slug: str, body: dict[str, Any], keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``body`` completed so the model's cross-field rules hold, never dropping a ``keep`` or required field."""
    props, fixed = properties(slug), keep | set(schema(slug).get("required") or [])
    body = dict(body)
    for rule in SPECS[slug].get("rules") or []:
        kind, fields = rule["kind"], rule["fields"]
        present = [name for name in fields if name in body]
        if kind == "requires" and fields[0] in body:
            for name in fields[1:]:
                body.setdefault(name, valid_value(props[name]))
        elif kind == "excludes" and fields[0] in body:
            for name in [n for n in fields[1:] if n in body and n not in fixed]:
                del body[name]
        elif kind in ("exactly_one", "at_least_one") and not present:
            body[fields[0]] = valid_value(props[fields[0]])
        elif kind == "when" and fields[0] in body and body[fields[0]] in (rule.get("when_values") or [body[fields[0]]]):
            target = fields[1]
            if rule["then"] == "present":
                body.setdefault(target, valid_value(props[target]))
            elif rule["then"] == "absent" and target not in fixed:
                body.pop(target, None)
            elif rule["then"] == "one_of" and target in body and target not in fixed:
                body[target] = rule["values"][0]
    return body


def with_field(slug: str, name: str, value: Any) -> dict[str, Any]:
    """The base body with one field set, other fields adjusted to the prose rules around it."""
    return satisfy_rules(slug, {**base_body(slug), name: value}, frozenset({name}))


def properties(slug: str) -> dict[str, dict[str, Any]]:
    props: dict[str, dict[str, Any]] = schema(slug).get("properties") or {}
    return props


def wrong_type(node: Mapping[str, Any]) -> Any:
    return {"string": 12345, "integer": "1", "number": "1.5", "boolean": "yes", "array": "x", "object": "x"}.get(
        str(node.get("type")), None
    )


# --- case tables (built from the specs at collection time) --------------------------------------------------


def enum_cases() -> Iterator[Any]:
    for slug in SLUGS:
        for name, node in properties(slug).items():
            enum = node.get("enum")
            if isinstance(enum, list):
                numbers = [value for value in enum if isinstance(value, int | float) and not isinstance(value, bool)]
                bad = max(numbers) + 1 if numbers and len(numbers) == len(enum) else NOT_IN_ENUM
                yield pytest.param(slug, name, bad, id=f"{slug}:{name}")


def _past(node: Mapping[str, Any], rule: str, bound: Any) -> tuple[Any, Any]:
    """(value exactly at the bound or the first accepted value, first value past the bound)."""
    integer = node.get("type") == "integer"
    down, up = (
        (bound - 1, bound + 1) if integer else (math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf))
    )
    return {
        "minimum": (bound, down),
        "maximum": (bound, up),
        "exclusiveMinimum": (up, bound),
        "exclusiveMaximum": (down, bound),
    }[rule]


def bound_cases() -> Iterator[Any]:
    for slug in SLUGS:
        for name, node in properties(slug).items():
            for rule in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if rule in node:
                    ok, bad = _past(node, rule, node[rule])
                    yield pytest.param(slug, name, rule, ok, bad, id=f"{slug}:{name}:{rule}")
            for rule, grow in (("minLength", -1), ("maxLength", 1)):
                if rule in node and node[rule] + grow >= 0:
                    ok, bad = sized_string(node, node[rule]), sized_string(node, node[rule] + grow)
                    yield pytest.param(slug, name, rule, ok, bad, id=f"{slug}:{name}:{rule}")
            for rule, grow in (("minItems", -1), ("maxItems", 1)):
                if rule in node and node[rule] + grow >= 0:
                    item = valid_value(node.get("items") or {}, str(node.get("description") or ""))
                    ok, bad = [item] * node[rule], [item] * (node[rule] + grow)
                    yield pytest.param(slug, name, rule, ok, bad, id=f"{slug}:{name}:{rule}")


def sized_string(node: Mapping[str, Any], length: int) -> str:
    """A string of exactly ``length`` characters; a well-formed URL when the field is a URL field and it fits."""
    kind = prose_uri_kind(node)
    head = "data:a/b;base64," if kind == "data" else "https://e.co/"
    if kind is not None and length > len(head):
        return head + "a" * (length - len(head))
    return "a" * length


def url_shaped(node: Mapping[str, Any], value: Any) -> bool:
    """False for a string a URL field rejects anyway (a length-bound value too short to be a URL)."""
    return prose_uri_kind(node) is None or not isinstance(value, str) or value.startswith(("https://", "data:"))


def required_cases() -> Iterator[Any]:
    for slug in SLUGS:
        for name in schema(slug).get("required") or []:
            yield pytest.param(slug, name, id=f"{slug}:{name}")


def field_cases() -> Iterator[Any]:
    for slug in SLUGS:
        for name, node in properties(slug).items():
            if wrong_type(node) is not None:
                yield pytest.param(slug, name, id=f"{slug}:{name}")


# --- the tests ----------------------------------------------------------------------------------------------


def test_every_indexed_model_has_a_class() -> None:
    assert SLUGS, "specs/index.json lists no models"
    for slug in SLUGS:
        cls = registry.get(slug)
        assert issubclass(cls, RequestModel)
        assert cls.ENDPOINT.slug == slug
        assert cls.ENDPOINT.documented_path == SPECS[slug]["path"]
        assert cls.ENDPOINT.path == f"/api/v1/{cls.ENDPOINT.provider}/{cls.ENDPOINT.model_id}"
        assert cls.json_schema() == schema(slug)


@pytest.mark.parametrize("slug", SLUGS)
def test_example_body_verdict_matches_the_schema(slug: str) -> None:
    """The page's example is accepted whenever it satisfies the page's own schema (some don't: see report)."""
    example = SPECS[slug]["examples"].get("request")
    if example is None:
        pytest.skip("page has no request example")
    if slug in LINTED:
        pytest.skip("the lint report says why this example is not a valid request (test_generated_prose_rules)")
    problems = issues_of(slug, example)
    assert (problems == []) == schema_accepts(slug, example), problems
    if not problems:
        model = registry.validate(slug, example)
        assert model.to_dict() == example
        assert type(model).from_dict(model.to_dict()) == model


@pytest.mark.parametrize("slug", SLUGS)
def test_base_body_round_trips(slug: str) -> None:
    body = base_body(slug)
    model = registry.validate(slug, body)
    assert model.to_dict() == body
    again = type(model).from_dict(model.to_dict())
    assert again == model and again.to_dict() == body


@pytest.mark.parametrize(("slug", "name", "bad"), list(enum_cases()))
def test_enum_rejects_a_value_outside_it(slug: str, name: str, bad: Any) -> None:
    body = {**base_body(slug), name: bad}
    assert not schema_accepts(slug, body)
    assert issues_of(slug, body) == [(name, "enum")]
    for allowed in properties(slug)[name]["enum"]:
        assert issues_of(slug, {**base_body(slug), name: allowed}) == []


@pytest.mark.parametrize(("slug", "name", "rule", "ok", "bad"), list(bound_cases()))
def test_bound_accepts_its_edge_and_rejects_the_first_value_past_it(
    slug: str, name: str, rule: str, ok: Any, bad: Any
) -> None:
    body_bad = {**base_body(slug), name: bad}
    assert not schema_accepts(slug, body_bad)
    node = properties(slug)[name]
    also_format = [] if url_shaped(node, bad) else [(name, "format")]  # beyond the schema: prose URL rule
    outside_enum = isinstance(node.get("enum"), list) and bad not in node["enum"]
    expected = "enum" if outside_enum else rule  # one issue per value: a value outside the enum is just that
    assert sorted(issues_of(slug, body_bad)) == sorted([(name, expected), *also_format])
    body_ok = {**base_body(slug), name: ok}
    if not schema_accepts(slug, body_ok):
        assert issues_of(slug, body_ok) != []
    else:
        assert issues_of(slug, body_ok) == ([] if url_shaped(node, ok) else [(name, "format")])


@pytest.mark.parametrize(("slug", "name"), list(required_cases()))
def test_required_field_is_enforced(slug: str, name: str) -> None:
    body = {key: value for key, value in base_body(slug).items() if key != name}
    assert not schema_accepts(slug, body)
    assert issues_of(slug, body) == [(name, "required")]
    cls = registry.get(slug)
    kwargs = {cls._DOCUMENTED[key]: value for key, value in body.items()}  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=cls._DOCUMENTED[name]):  # type: ignore[attr-defined]
        cls(**kwargs)


@pytest.mark.parametrize(("slug", "name"), list(field_cases()))
def test_wrong_type_is_rejected_and_assignment_is_validated(slug: str, name: str) -> None:
    node = properties(slug)[name]
    bad = wrong_type(node)
    assert issues_of(slug, {**base_body(slug), name: bad}) == [(name, "type")]
    model = registry.validate(slug, base_body(slug))
    python = type(model)._DOCUMENTED[name]  # type: ignore[attr-defined]
    before = getattr(model, python)
    with pytest.raises(ValidationError) as caught:
        setattr(model, python, bad)
    assert [(issue.path, issue.rule) for issue in caught.value.issues] == [(name, "type")]
    assert getattr(model, python) == before
    if ruled(slug, name):
        return  # assigning it alone may break a cross-field rule: see test_generated_prose_rules
    setattr(model, python, valid_value(node))
    assert model.to_dict()[name] == valid_value(node)


@pytest.mark.parametrize("slug", SLUGS)
def test_all_issues_are_reported_at_once(slug: str) -> None:
    broken = {name: wrong_type(node) for name, node in properties(slug).items() if wrong_type(node) is not None}
    body = {**base_body(slug), **broken, "definitely_unknown_key": 1}
    found = issues_of(slug, body)
    expected = sorted([(name, "type") for name in broken] + [("definitely_unknown_key", "unknown_field")])
    assert sorted(found) == expected


@pytest.mark.parametrize("slug", SLUGS)
def test_unknown_key_gets_a_did_you_mean(slug: str) -> None:
    name = max(properties(slug), key=len)
    typo = name[:-1] if len(name) > 3 else name + "x"
    with pytest.raises(ValidationError) as caught:
        registry.validate(slug, {**base_body(slug), typo: valid_value(properties(slug)[name])})
    [issue] = caught.value.issues
    assert (issue.path, issue.rule) == (typo, "unknown_field")
    assert f"did you mean {name!r}" in issue.message


@pytest.mark.parametrize("slug", SLUGS)
def test_extra_body_sends_undocumented_keys_but_never_overrides_documented_ones(slug: str) -> None:
    cls: Any = registry.get(slug)
    documented: dict[str, str] = cls._DOCUMENTED
    kwargs = {documented[key]: value for key, value in base_body(slug).items()}
    model = cls(**kwargs, extra_body={"x_new_param": [1, 2]})
    assert model.to_dict() == {**base_body(slug), "x_new_param": [1, 2]}
    name = next(iter(properties(slug)))
    with pytest.raises(ValidationError) as caught:
        cls(**kwargs, extra_body={name: valid_value(properties(slug)[name])})
    assert [(issue.path, issue.rule) for issue in caught.value.issues] == [(f"extra_body.{name}", "extra_body")]
    with pytest.raises(ValidationError):
        model.extra_body = {name: "x"}
    assert model.to_dict()["x_new_param"] == [1, 2]
