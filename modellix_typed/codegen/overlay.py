"""The review overlay: ``specs/rules/<provider>/<model_id>.yaml`` adds, removes or corrects extracted rules.

Entries are keyed by rule id (``codegen.rules.rule_id``: kind + fields, not positions), so they survive a
re-crawl. An added or corrected rule names its source sentence; when that sentence is no longer in the page, the
entry is not applied and a finding says so (it is never kept silently).

```yaml
remove:                       # extracted rules that are wrong
  - id: excludes:image+images
    reason: the two are alternatives the API picks between
add:                          # rules the extractor misses (kind/fields/params as in SPEC_FORMAT.md)
  - kind: requires
    fields: [lastFrame, image]
    sentence: "Requires image (cannot be used alone)."
correct:                      # change parameters of an extracted rule
  - id: pixels:size
    set: {min: 589824}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from modellix_typed.codegen.rules import RULE_KINDS, rule_id, sentences_of

OVERLAY_DIR = "rules"
_PARAMS = frozenset({"min", "max", "divisor", "when_values", "then", "values"})


def overlay_path(specs_dir: Path, spec: Mapping[str, Any]) -> Path:
    return specs_dir / OVERLAY_DIR / str(spec["provider"]) / f"{spec['model_id']}.yaml"


def load_overlay(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def apply_overlay(
    spec: Mapping[str, Any], rules: list[dict[str, Any]], overlay: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(final rules sorted by id, findings about overlay entries that could not be applied)."""
    slug = str(spec["slug"])
    schema = spec.get("request_schema") if isinstance(spec.get("request_schema"), Mapping) else {}
    sentences = {s.text for s in sentences_of(schema or {}, spec.get("body_notes"))}
    by_id = {str(rule["id"]): dict(rule) for rule in rules}
    findings: list[dict[str, Any]] = []

    def finding(kind: str, key: str, detail: str) -> None:
        findings.append({"slug": slug, "kind": kind, "rule": key, "detail": detail})

    for entry in overlay.get("remove") or []:
        key = str(entry.get("id") if isinstance(entry, Mapping) else entry)
        if by_id.pop(key, None) is None:
            finding("overlay_unknown_rule", key, "remove: no extracted rule has this id (the page changed?)")
    for entry in overlay.get("correct") or []:
        key = str(entry.get("id")) if isinstance(entry, Mapping) else str(entry)
        changes = entry.get("set") if isinstance(entry, Mapping) else None
        if key not in by_id:
            finding("overlay_unknown_rule", key, "correct: no extracted rule has this id (the page changed?)")
        elif not isinstance(changes, Mapping) or not set(changes) <= _PARAMS:
            finding("overlay_invalid", key, f"correct: 'set' may change only {sorted(_PARAMS)}")
        else:
            by_id[key] = {**by_id[key], **changes, "origin": "overlay"}
    for entry in overlay.get("add") or []:
        rule = dict(entry) if isinstance(entry, Mapping) else {}
        if rule.get("kind") not in RULE_KINDS or not isinstance(rule.get("fields"), list) or not rule["fields"]:
            finding("overlay_invalid", str(rule.get("kind")), "add: needs a known kind and a list of fields")
            continue
        key = rule_id(rule)
        if rule.get("sentence") not in sentences:
            finding("overlay_sentence_missing", key, f"add: sentence no longer on the page: {rule.get('sentence')!r}")
            continue
        by_id[key] = {**rule, "id": key, "origin": "overlay", "source": rule.get("source", "")}
    return [by_id[key] for key in sorted(by_id)], findings
