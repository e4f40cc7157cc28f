"""Two sources, one truth: where a model has both a doc page and a live ``api_schema``, compare and choose.

Both sources are kept in the snapshot (``specs/sources/docs/...`` and ``specs/sources/api-schema/...``, the
normalized spec of each); ``codegen lint`` compares them field by field (names, types, enums, bounds,
required) and lists every disagreement with both values (``sources_disagree``). Generation follows the newer
source and the lint report says which (``source_followed``): the api_schema, the live endpoint the platform
publishes uncached and its newest client reads before every submit (FACTS.md 3.4, 4), where a doc page is a
rendering of an older, shared spec file (``vidu-t2i.json`` for a video model). The page keeps what only it
has: title, description, docs URL, task type, documented field order and response.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from modellix_typed.codegen.crawl import CrawlResult
from modellix_typed.codegen.diff import CONSTRAINT_KEYS
from modellix_typed.codegen.snapshot import (
    build_index,
    dump_json,
    load_specs,
    spec_relpath,
    with_overlay,
    write_text_atomic,
)
from modellix_typed.validation import json_equal

SOURCES_DIR = "sources"
DOCS, API_SCHEMA = "docs", "api-schema"
ASPECTS = ("type", *CONSTRAINT_KEYS, "default")  # what the changelog compares, plus type and default
NEWER = API_SCHEMA
_ABSENT = "(absent)"


def source_path(specs_dir: Path, kind: str, slug: str) -> Path:
    provider, model_id = slug.split("/", 1)
    return specs_dir / SOURCES_DIR / kind / provider / f"{model_id}.json"


def compare(docs: Mapping[str, Any], api: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every disagreement between the two request schemas of one model, with both values."""
    slug = str(docs["slug"])
    found: list[dict[str, Any]] = []

    def add(path: str, aspect: str, in_docs: Any, in_api: Any) -> None:
        found.append(
            {
                "slug": slug,
                "kind": "sources_disagree",
                "path": path or "(body)",
                "aspect": aspect,
                "docs": in_docs,
                "api_schema": in_api,
                "detail": f"{aspect}: the docs page says {_show(in_docs)}, the api_schema says {_show(in_api)}",
            }
        )

    for path, aspect, in_docs, in_api in _differences(docs.get("request_schema"), api.get("request_schema"), ""):
        add(path, aspect, in_docs, in_api)
    if not json_equal(docs.get("request_required"), api.get("request_required")):
        add("", "body required", docs.get("request_required"), api.get("request_required"))
    return found


def _show(value: Any) -> str:
    return value if value == _ABSENT else repr(value)


def _differences(docs: Any, api: Any, path: str) -> Iterator[tuple[str, str, Any, Any]]:
    docs = docs if isinstance(docs, Mapping) else {}
    api = api if isinstance(api, Mapping) else {}
    for aspect in ASPECTS:
        in_docs, in_api = docs.get(aspect, _ABSENT), api.get(aspect, _ABSENT)
        if not json_equal(in_docs, in_api):
            yield path, aspect, in_docs, in_api
    doc_props = docs.get("properties") if isinstance(docs.get("properties"), Mapping) else {}
    api_props = api.get("properties") if isinstance(api.get("properties"), Mapping) else {}
    doc_required, api_required = set(docs.get("required") or []), set(api.get("required") or [])
    prefix = f"{path}." if path else ""
    for name in [*doc_props, *(n for n in api_props if n not in doc_props)]:
        where = prefix + name
        if name not in api_props:
            yield where, "field", "documented", _ABSENT
            continue
        if name not in doc_props:
            yield where, "field", _ABSENT, "documented"
            continue
        if (name in doc_required) != (name in api_required):
            yield where, "required", name in doc_required, name in api_required
        yield from _differences(doc_props[name], api_props[name], where)
    if isinstance(docs.get("items"), Mapping) or isinstance(api.get("items"), Mapping):
        yield from _differences(docs.get("items"), api.get("items"), f"{path}[]")


def followed(docs: Mapping[str, Any], api: Mapping[str, Any]) -> dict[str, Any]:
    """The spec generation uses: the api_schema's request (the newer source), the page's descriptive fields."""
    schema = dict(api.get("request_schema") or {})
    page_order = [name for name in (docs.get("request_schema") or {}).get("x-order") or [] if name in (schema.get("properties") or {})]
    if page_order:  # the live JSON's keys come sorted: the page's order is the documented one
        schema["x-order"] = page_order + [n for n in schema.get("x-order") or [] if n not in page_order]
    examples = dict(api.get("examples") or {})
    if examples.get("response") is None:
        examples["response"] = (docs.get("examples") or {}).get("response")
    return {
        **api,
        "title": docs.get("title") or api.get("title"),
        "summary": docs.get("summary") or api.get("summary"),
        "doc_url": docs.get("doc_url") or api.get("doc_url"),
        "task_type": docs.get("task_type") or api.get("task_type"),
        "request_schema": schema,
        "response_schema": api.get("response_schema") or docs.get("response_schema"),
        "examples": examples,
    }


def follow_newer_sources(specs_dir: Path, api_result: CrawlResult) -> list[str]:
    """After a docs crawl into ``specs_dir``: keep both sources of every model the api_schema crawl found and
    rewrite its main spec from the newer one; returns the slugs now generated from their api_schema."""
    specs = load_specs(specs_dir)
    by_slug = {spec["slug"]: rel for rel, spec in specs.items()}
    switched: list[str] = []
    for outcome in api_result.outcomes:
        api = outcome.spec
        if api is None or api["slug"] not in by_slug:
            continue
        rel = by_slug[api["slug"]]
        docs = specs[rel]
        if docs.get("source", {}).get("kind") != DOCS:
            docs_copy = source_path(specs_dir, DOCS, api["slug"])
            if not docs_copy.is_file():
                continue
            docs = _load(docs_copy)
        write_text_atomic(source_path(specs_dir, DOCS, api["slug"]), dump_json(docs))
        write_text_atomic(source_path(specs_dir, API_SCHEMA, api["slug"]), dump_json(api))
        chosen = with_overlay(specs_dir, followed(docs, api))
        write_text_atomic(specs_dir / rel, dump_json(chosen))
        specs[rel] = chosen
        switched.append(str(api["slug"]))
    if switched:
        write_text_atomic(specs_dir / "index.json", dump_json(build_index(specs)))
    return sorted(switched)


def _load(path: Path) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def source_findings(specs_dir: Path, specs: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Lint findings of every model kept with both sources: each disagreement, and which source was followed
    (``specs``: :func:`.snapshot.load_specs` of ``specs_dir``)."""
    found: list[dict[str, Any]] = []
    root = specs_dir / SOURCES_DIR / API_SCHEMA
    for api_file in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        api = _load(api_file)
        docs_file = source_path(specs_dir, DOCS, str(api["slug"]))
        if not docs_file.is_file():
            continue
        docs = _load(docs_file)
        disagreements = compare(docs, api)
        found += disagreements
        main = specs.get(spec_relpath(api), {})
        if main.get("source", {}).get("kind") == API_SCHEMA:
            said = f"generated from the api_schema {api['source']['url']} (the newer source: the live endpoint)"
            said += f" over the docs page {docs['source']['url']}"
        else:
            said = f"generated from the docs page {docs['source']['url']}: this crawl did not fetch the api_schema"
        found.append(
            {
                "slug": api["slug"],
                "kind": "source_followed",
                "path": "(spec)",
                "detail": f"{said}; {len(disagreements)} disagreement(s) between the sources listed",
            }
        )
    return found
