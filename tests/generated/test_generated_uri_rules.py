"""URL-typed string fields, derived from the specs' prose ("Image URL or Base64 Data URL", "Each item must be a
base64 data URI", ...) or ``format: uri``.

These rules go BEYOND the documented JSON Schema (today's pages describe URL fields in prose only, so jsonschema
accepts any string there): every rejection below asserts that jsonschema still accepts the body, so it is clear
which verdicts are ours alone, and every page example (body and field examples) must still pass.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from modellix_typed import registry
from modellix_typed.validation import ValidationError

from .test_generated_spec_rules import (
    LINTED,
    PROSE_RULES,
    SLUGS,
    SPECS,
    base_body,
    issues_of,
    properties,
    prose_uri_kind,
    schema_accepts,
    valid_value,
    with_field,
)

HTTP = "https://cdn.example.com/images/cat.png?x=1"
DATA = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
NOT_URLS = {
    "relative path": "images/cat.png",
    "absolute path": "/tmp/cat.png",
    "space": "https://example.com/my cat.png",
    "no host": "https:///cat.png",
    "ftp scheme": "ftp://example.com/cat.png",
    "bare host": "example.com/cat.png",
    "raw base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB",
}
BAD_DATA = {
    "empty payload": "data:image/png;base64,",
    "no mime": "data:;base64,AAAA",
    "not base64": "data:image/png,AAAA",
    "no comma": "data:image/png;base64AAAA",
}


def uri_fields() -> Iterator[tuple[str, str, str, bool]]:
    """(slug, wire name, kind, is an array of URLs) for every URL field the prose documents."""
    for slug in SLUGS:
        for name, node in properties(slug).items():
            if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
                kind = prose_uri_kind(node["items"], str(node.get("description") or ""))
                if kind is not None:
                    yield slug, name, kind, True
            else:
                kind = prose_uri_kind(node)
                if kind is not None:
                    yield slug, name, kind, False


URI_FIELDS = list(uri_fields())
IDS = [f"{slug}:{name}" for slug, name, _, _ in URI_FIELDS]


def body_with(slug: str, name: str, value: str, is_array: bool) -> dict[str, Any]:
    if not is_array:
        return with_field(slug, name, value)
    node = properties(slug)[name]
    others = [valid_value(node["items"], str(node.get("description") or ""))] * (node.get("minItems", 1) - 1)
    return with_field(slug, name, [value, *others])


def test_the_specs_have_url_fields_of_every_kind() -> None:
    """Guards the parametrization below: the current specs document URL-only, URL-or-data and data-only fields."""
    assert {kind for _, _, kind, _ in URI_FIELDS} == {"url", "url_or_data", "data"}


@pytest.mark.parametrize(("slug", "name", "kind", "is_array"), URI_FIELDS, ids=IDS)
def test_url_field_accepts_what_its_page_says_and_rejects_the_rest(
    slug: str, name: str, kind: str, is_array: bool
) -> None:
    path = f"{name}[0]" if is_array else name
    expected_ok = {"url": [HTTP], "url_or_data": [HTTP, DATA], "data": [DATA]}[kind]
    for value in (HTTP, DATA):
        body = body_with(slug, name, value, is_array)
        assert schema_accepts(slug, body)  # the documented schema has no opinion: the rule is prose-derived
        assert issues_of(slug, body) == ([] if value in expected_ok else [(path, "format")]), value
    for label, value in {**NOT_URLS, **(BAD_DATA if kind != "url" else {})}.items():
        body = body_with(slug, name, value, is_array)
        assert schema_accepts(slug, body), label
        assert issues_of(slug, body) == [(path, "format")], label


@pytest.mark.parametrize(("slug", "name", "kind", "is_array"), URI_FIELDS, ids=IDS)
def test_url_error_names_field_rule_kind_and_a_truncated_value(
    slug: str, name: str, kind: str, is_array: bool
) -> None:
    huge = "data:image/png;base64" + "A" * 2_000_000  # no comma: malformed, and far too long to print
    bad = "ftp://example.com/" + "a" * 200 if kind != "data" else huge
    with pytest.raises(ValidationError) as caught:
        registry.validate(slug, body_with(slug, name, bad, is_array))
    [issue] = [found for found in caught.value.issues if found.rule not in PROSE_RULES]
    assert issue.rule == "format"
    assert "(format: data-uri)" in issue.message if kind == "data" else "(format: uri)" in issue.message
    assert "http(s) URL" in issue.message if kind != "data" else "data:" in issue.message
    text = str(caught.value)
    assert issue.path in text and bad[:40] in text
    assert len(text) < 600  # the value is shortened, never dumped whole


@pytest.mark.parametrize(("slug", "name", "kind", "is_array"), URI_FIELDS, ids=IDS)
def test_url_rule_is_in_the_field_docstring(slug: str, name: str, kind: str, is_array: bool) -> None:
    cls = registry.get(slug)
    doc = inspect.getdoc(cls) or ""
    python = cls._DOCUMENTED[name]  # type: ignore[attr-defined]
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith((f"    {python}:", f"    {python} (")))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("        "))
    entry = " ".join(" ".join(lines[start:end]).split())
    wanted = {"url": "accepts: http(s) URL, or a local file (uploaded first).", "url_or_data": "accepts: http(s) URL or data:", "data": "accepts: data:"}
    assert wanted[kind] in entry, entry


def field_examples() -> Iterator[Any]:
    for slug in SLUGS:
        for name, node in properties(slug).items():
            if "example" in node:
                yield pytest.param(slug, name, node["example"], id=f"{slug}:{name}")


@pytest.mark.parametrize(("slug", "name", "example"), list(field_examples()))
def test_every_documented_field_example_is_accepted(slug: str, name: str, example: Any) -> None:
    """Prose-derived rules must never reject what the page itself shows (e.g. ``data:image/jpeg;base64,/9j/...``)."""
    body = {**base_body(slug), name: example}
    assert issues_of(slug, body) == [] if schema_accepts(slug, body) else issues_of(slug, body) != []


def test_example_bodies_with_url_fields_are_accepted() -> None:
    seen = 0
    for slug, name, _, _ in URI_FIELDS:
        example = SPECS[slug]["examples"].get("request")
        if isinstance(example, dict) and name in example and schema_accepts(slug, example) and slug not in LINTED:
            assert issues_of(slug, example) == [], slug
            seen += 1
    assert seen > 0


@pytest.mark.parametrize(
    ("description", "parent", "accept", "base64"),
    [
        ("Image URL or Base64 Data URL", "", "url_or_data", True),
        ("Input image in data URI format (e.g. data:image/png;base64,...)", "", "data", True),
        ("Starting frame in data URI format", "", "data", False),
        ("URL or Base64 Data URL", "", "url_or_data", True),
        ("image URL", "", "url", False),
        ("", "Reference images (up to 3). Each item is an image URL (e.g. `https://e.com/ref.jpg`).", "url", False),
        ("Image URL (e.g. https://e.com/image.jpg).", "Supports HTTPS URLs or Base64 Data URLs", "url_or_data", True),
        ("Each item must be a base64 data URI.", "", "data", True),
    ],
)
def test_rule_derivation_from_prose(description: str, parent: str, accept: str, base64: bool) -> None:
    from modellix_typed.codegen.gen_checks import UriRule, uri_rule

    assert uri_rule({"type": "string", "description": description}, parent) == UriRule(accept, base64)


@pytest.mark.parametrize(
    "description",
    ["Text prompt", "Base64 encoded audio", "Seed for reproducibility", "Output format: url or b64_json"],
)
def test_no_url_rule_where_the_prose_is_not_about_a_url_value(description: str) -> None:
    """Only unambiguous text restricts a field: raw base64, or an enum that merely mentions 'url', stay free."""
    from modellix_typed.codegen.gen_checks import uri_rule

    node: dict[str, Any] = {"type": "string", "description": description}
    if "url" in description:
        node["enum"] = ["url", "b64_json"]
    assert uri_rule(node) is None
