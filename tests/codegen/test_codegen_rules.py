"""Prose rule extraction, the review overlay, the docs lint report, the coverage report and rule diffs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from modellix_typed.codegen.cli import main
from modellix_typed.codegen.coverage import coverage_report
from modellix_typed.codegen.diff import diff_specs
from modellix_typed.codegen.lint import lint_snapshot
from modellix_typed.codegen.overlay import apply_overlay
from modellix_typed.codegen.rules import classify_sentences, extract_rules
from modellix_typed.codegen.snapshot import dump_json

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"


def schema(**descriptions: str) -> dict[str, Any]:
    props: dict[str, Any] = {name: {"type": "string", "description": text} for name, text in descriptions.items()}
    return {"type": "object", "properties": props}


def ids(rules: list[dict[str, Any]]) -> list[str]:
    return [str(rule["id"]) for rule in rules]


def test_extraction_keeps_each_sentence_and_is_deterministic() -> None:
    node = schema(
        a="Image A. Cannot be combined with b.",
        b="Image B (must be used with c).",
        c="C. Required when a is x.",
    )
    first = extract_rules(node)
    assert ids(first) == ["excludes:a+b", "requires:b+c", "when:a+c=x:present"]
    assert [rule["sentence"] for rule in first] == [
        "Cannot be combined with b.",
        "Image B (must be used with c).",
        "Required when a is x.",
    ]
    assert extract_rules(json.loads(json.dumps(node))) == first


@pytest.mark.parametrize(
    "description",
    [
        "Cannot be combined with image mode.",  # "image mode" is not a field list
        "Mutually exclusive with motion brush and camera control.",  # no documented field named
        "Only available when image_reference='subject'.",  # ambiguous: ignored or rejected?
        "Must be used with care.",
        "When provided, the model uses this face to preserve identity.",
    ],
)
def test_ambiguous_or_unknown_sentences_make_no_rule(description: str) -> None:
    node = schema(image=description, other="x", image_reference="y")
    assert extract_rules(node) == []


def test_size_rules_only_on_size_strings() -> None:
    text = "Total pixels between 768×768 and 1440×1440, aspect ratio between 1:4 and 4:1"
    size = {"type": "object", "properties": {"size": {"type": "string", "description": f"W*H (format: width*height). {text}"}}}
    assert ids(extract_rules(size)) == ["aspect_ratio:size", "pixels:size"]
    url = {"type": "object", "properties": {"image_url": {"type": "string", "description": f"Image URL. {text}"}}}
    assert extract_rules(url) == []  # about a remote file: informational
    [verdict] = classify_sentences(url)
    assert verdict["class"] in ("informational", "not_understood")


def test_a_value_the_field_cannot_take_makes_no_conditional() -> None:
    node = {
        "type": "object",
        "properties": {
            "flag": {"type": "boolean"},
            "mode": {"type": "string", "enum": ["a", "b"], "description": "Mode."},
        },
        "description": "When flag=true, mode must be c. When flag=true, mode must be b.",
    }
    rules = extract_rules(node)
    assert ids(rules) == ["when:flag+mode=true:one_of"]
    assert rules[0]["values"] == ["b"] and rules[0]["when_values"] == [True]


SPEC = {"slug": "acme/m", "request_schema": schema(a="A. Cannot be combined with b.", b="B.")}


def test_overlay_adds_removes_and_corrects_by_id() -> None:
    rules = extract_rules(SPEC["request_schema"])
    overlay = {
        "remove": [{"id": "excludes:a+b", "reason": "wrong"}],
        "add": [{"kind": "requires", "fields": ["b", "a"], "sentence": "B."}],
    }
    final, findings = apply_overlay(SPEC, rules, overlay)
    assert findings == []
    assert [(r["id"], r["origin"]) for r in final] == [("requires:b+a", "overlay")]
    corrected, _ = apply_overlay(SPEC, rules, {"correct": [{"id": "excludes:a+b", "set": {"fields": ["x"]}}]})
    assert corrected == rules  # only parameters may be corrected; the entry is reported instead


def test_overlay_entries_that_no_longer_apply_are_reported_not_kept() -> None:
    rules = extract_rules(SPEC["request_schema"])
    overlay = {
        "remove": ["excludes:a+zz"],
        "add": [{"kind": "requires", "fields": ["b", "a"], "sentence": "A sentence the page dropped."}],
    }
    final, findings = apply_overlay(SPEC, rules, overlay)
    assert final == rules
    assert sorted(f["kind"] for f in findings) == ["overlay_sentence_missing", "overlay_unknown_rule"]


def test_crawl_applies_the_overlay_and_lint_reports_stale_entries(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS, specs)
    overlay = specs / "rules" / "google" / "veo-3.1-i2v.yaml"
    overlay.parent.mkdir(parents=True)
    overlay.write_text(
        "remove:\n  - id: excludes:referenceImages+negativePrompt\n"
        "add:\n  - kind: requires\n    fields: [lastFrame, prompt]\n    sentence: No longer on the page.\n",
        encoding="utf-8",
    )
    report = lint_snapshot(specs)
    kinds = {(f["slug"], f["kind"]) for f in report["findings"]}
    assert ("google/veo-3.1-i2v", "overlay_sentence_missing") in kinds
    assert ("google/veo-3.1-i2v", "overlay_unknown_rule") not in kinds  # the removed id still exists
    result = CliRunner().invoke(main, ["lint", "--specs", str(specs), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["counts"]["overlay_sentence_missing"] == 1


def test_committed_lint_report_matches_the_snapshot() -> None:
    assert (SPECS / "lint-report.json").read_text(encoding="utf-8") == dump_json(lint_snapshot(SPECS))


def test_lint_finds_placeholder_examples_and_contradicted_required_fields() -> None:
    findings = lint_snapshot(SPECS)["findings"]
    assert {"slug": "bytedance/seedance-2.0-fast-v2v", "kind": "placeholder_example", "path": "video_urls[0]"}.items() <= next(
        f for f in findings if f["path"] == "video_urls[0]"
    ).items()
    contradicted = {(f["slug"], f["path"]) for f in findings if f["kind"] == "required_contradicts_rule"}
    assert ("kling/kling-avatar", "sound_file") in contradicted
    says_required = {(f["slug"], f["path"]) for f in findings if f["kind"] == "prose_says_required"}
    assert says_required == {("google/veo-2-i2v", "image")}  # "Required for I2V." on an optional field


def test_coverage_report_classifies_every_sentence() -> None:
    report = coverage_report(SPECS)
    counts = report["counts"]
    assert sum(counts.values()) == report["total"] == len(report["sentences"]) > 100
    assert counts["rule"] > 20 and counts["not_understood"] > 0
    assert report["covered_percent"] == round(100 * (counts["rule"] + counts["informational"]) / report["total"], 1)
    result = CliRunner().invoke(main, ["rules", "--report", "--specs", str(SPECS)])
    assert result.exit_code == 0 and f"{report['covered_percent']}%" in result.output


def test_diff_shows_rules_added_removed_and_changed() -> None:
    old = {"rules": [{"id": "a", "kind": "requires", "fields": ["x", "y"], "sentence": "s"}]}
    new = {"rules": [{"id": "a", "kind": "requires", "fields": ["x", "y"], "sentence": "t"}, {"id": "b", "kind": "excludes", "fields": ["x", "z"], "sentence": "u"}]}
    changes = diff_specs("acme/m", old, new)
    assert [(c.kind, c.param) for c in changes] == [("rule_added", "b"), ("rule_changed", "a")]
    assert [(c.kind, c.param) for c in diff_specs("acme/m", new, old)] == [("rule_removed", "b"), ("rule_changed", "a")]
    assert changes[0].describe().startswith("+ rule b:")
