"""``codegen rules --report``: how much of the docs' constraint prose the rules cover.

Every constraint-like sentence of every model spec is classified as ``rule`` (a rule was made from it, by
extraction or by a review overlay),
``informational`` (true but not checkable offline or not a rejection: remote file sizes and formats, soft
wording, a bound the schema already enforces) or ``not_understood``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modellix_typed.codegen.rules import classify_sentences
from modellix_typed.codegen.snapshot import load_specs

CLASSES = ("rule", "informational", "not_understood")


def coverage_report(specs_dir: Path) -> dict[str, Any]:
    sentences: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for spec in load_specs(specs_dir).values():
        schema = spec.get("request_schema")
        if spec.get("provider") == "common" or not isinstance(schema, Mapping):
            continue
        reviewed = {rule.get("sentence") for rule in spec.get("rules") or [] if rule.get("origin") == "overlay"}
        for item in classify_sentences(schema, spec.get("body_notes")):
            if item["sentence"] in reviewed:
                item = {**item, "class": "rule"}  # a review overlay made a rule of it
            sentences.append({"slug": spec["slug"], **item})
        rules += [{"slug": spec["slug"], **rule} for rule in spec.get("rules") or []]
    counts = {name: sum(1 for s in sentences if s["class"] == name) for name in CLASSES}
    total = len(sentences)
    covered = counts["rule"] + counts["informational"]
    return {
        "sentences": sentences,
        "rules": rules,
        "counts": counts,
        "total": total,
        "covered_percent": round(100 * covered / total, 1) if total else 100.0,
        "models_with_rules": len({rule["slug"] for rule in rules}),
    }


def render_coverage(report: Mapping[str, Any]) -> str:
    counts = report["counts"]
    lines = [
        f"{report['total']} constraint-like sentences: {counts['rule']} rule, {counts['informational']} "
        f"informational, {counts['not_understood']} not understood; {report['covered_percent']}% classified "
        f"as rule or informational. {len(report['rules'])} rules in {report['models_with_rules']} models.",
        "",
        "not understood:",
    ]
    lines += [
        f"  {s['slug']} {s['field'] or '(body)'}: {s['sentence']}"
        for s in report["sentences"]
        if s["class"] == "not_understood"
    ]
    return "\n".join(lines) + "\n"
