"""``codegen lint``: docs inconsistencies found in a snapshot, written beside it as ``lint-report.json``.

A finding is never a test failure and never a silent rule: an example that breaks its own schema or a prose
rule, a placeholder example (``"<string>"``), an example using a field the page no longer documents (partial
pages), a required field that a prose rule contradicts, a field the prose calls required but the schema does
not, a review-overlay entry that no longer applies, and where a doc page and the live api_schema of one model
disagree (field by field, both values) and which of them generation follows (:mod:`.two_sources`). Tests read this report to know which documented
examples are not real requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from modellix_typed.codegen.normalize import FORMAT_VERSION
from modellix_typed.codegen.overlay import apply_overlay, load_overlay, overlay_path
from modellix_typed.codegen.rules import extract_rules, sentences_of
from modellix_typed.codegen.snapshot import dump_json, load_specs, write_text_atomic
from modellix_typed.codegen.two_sources import source_findings
from modellix_typed.rules import Rule, violations

LINT_FILE = "lint-report.json"
_PLACEHOLDER = re.compile(r"^<[^<>]+>$")  # "<string>", "<integer>": a docs template, not a value


def placeholders(value: Any, path: str = "") -> Iterator[str]:
    """Paths of placeholder strings in an example body."""
    if isinstance(value, str) and _PLACEHOLDER.match(value.strip()):
        yield path or "(body)"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from placeholders(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from placeholders(item, f"{path}[{index}]")


def example_findings(spec: Mapping[str, Any], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Why the page's request example is not a valid request (empty: it is one)."""
    slug = str(spec["slug"])
    example = (spec.get("examples") or {}).get("request")
    schema = spec.get("request_schema")
    if example is None or not isinstance(schema, Mapping):
        return []
    found: list[dict[str, Any]] = []

    def add(kind: str, path: str, detail: str) -> None:
        found.append({"slug": slug, "kind": kind, "path": path, "detail": detail})

    for path in placeholders(example):
        add("placeholder_example", path, "the request example holds a placeholder, not a real value")
    documented = schema.get("properties")
    properties: Mapping[str, Any] = documented if isinstance(documented, Mapping) else {}
    if isinstance(example, Mapping):
        for key in example:
            if key not in properties:
                add("example_unknown_field", str(key), "the request example uses a field the page does not document")
    validator = jsonschema.Draft202012Validator(dict(schema))
    for error in sorted(validator.iter_errors(example), key=lambda e: (list(e.absolute_path), e.message)):
        path = ".".join(str(part) for part in error.absolute_path) or "(body)"
        add("example_breaks_schema", path, f"{error.validator}: {error.message[:200]}")
    if isinstance(example, Mapping):
        for issue in violations([Rule.from_json(rule) for rule in rules], example):
            add("example_breaks_rule", issue.path, f"{issue.rule}: {issue.message[:300]}")
    return found


def rule_findings(spec: Mapping[str, Any], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A required field that a prose rule says must sometimes be absent: the other field can never be sent."""
    schema = spec.get("request_schema") or {}
    required = set(schema.get("required") or []) if isinstance(schema, Mapping) else set()
    found: list[dict[str, Any]] = []
    for rule in rules:
        fields = list(rule["fields"])
        if rule["kind"] == "excludes":
            blocked = fields[1:] if fields[0] in required else [fields[0]] if required & set(fields[1:]) else []
        elif rule["kind"] == "exactly_one" and required & set(fields):
            blocked = [name for name in fields if name not in required]
        else:
            continue
        for name in blocked:
            detail = f"{name} can never be sent: the schema requires {', '.join(sorted(required & set(fields)))}"
            found.append(
                {
                    "slug": str(spec["slug"]),
                    "kind": "required_contradicts_rule",
                    "path": name,
                    "detail": f"{detail} and the docs say: {rule['sentence']!r}",
                }
            )
    return found


_SAYS_REQUIRED = re.compile(r"^\(?required(?: for [\w-]+)?\)?\.?$|\(required\)", re.IGNORECASE)


def required_findings(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A field whose own description says "Required" while the schema lists it as optional."""
    schema = spec.get("request_schema") if isinstance(spec.get("request_schema"), Mapping) else {}
    required = set(schema.get("required") or []) if schema else set()
    found = []
    for sentence in sentences_of(schema or {}, None):
        if sentence.field and sentence.field not in required and _SAYS_REQUIRED.search(sentence.text):
            detail = f"the description says {sentence.text!r} but the schema does not require it (we follow the schema)"
            found.append({"slug": str(spec["slug"]), "kind": "prose_says_required", "path": sentence.field, "detail": detail})
    return found


def lint_snapshot(specs_dir: Path) -> dict[str, Any]:
    """The lint report of every model spec in ``specs_dir`` (deterministic: no timestamps)."""
    findings: list[dict[str, Any]] = []
    specs = load_specs(specs_dir)
    for spec in specs.values():
        if spec.get("provider") == "common" or not isinstance(spec.get("request_schema"), Mapping):
            continue
        extracted = extract_rules(spec["request_schema"], spec.get("body_notes"))
        _, overlay_findings = apply_overlay(spec, extracted, load_overlay(overlay_path(specs_dir, spec)))
        findings += overlay_findings
        findings += example_findings(spec, list(spec.get("rules") or []))
        findings += rule_findings(spec, list(spec.get("rules") or []))
        findings += required_findings(spec)
    findings += source_findings(specs_dir, specs)  # a model with both a doc page and an api_schema
    findings.sort(key=lambda f: (f["slug"], f["kind"], f.get("path", f.get("rule", "")), f["detail"]))
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["kind"]] = counts.get(finding["kind"], 0) + 1
    return {"format_version": FORMAT_VERSION, "counts": dict(sorted(counts.items())), "findings": findings}


def write_lint_report(specs_dir: Path) -> dict[str, Any]:
    report = lint_snapshot(specs_dir)
    write_text_atomic(specs_dir / LINT_FILE, dump_json(report))
    return report
