"""The emulator's own prose-rule checker against the generated classes' one (modellix_typed.rules), on every rule
of the mirror: the same verdict on every probe body, so a mistake in either shows up here. And the emulator
answers a rule violation with a 400 quoting the docs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from modellix_typed.emulator.prose_rules import broken, first_broken
from modellix_typed.emulator.validator import BodyRejected, RequestValidator
from modellix_typed.rules import Rule, violations

from .conftest import REPO_SPECS, KEY, StartEmulator, client_for

SPECS = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(REPO_SPECS.glob("*/*.json"))]
RULES = [(spec["slug"], rule) for spec in SPECS if spec.get("provider") != "common" for rule in spec.get("rules") or []]
SIZES = [f"{w}{sep}{h}" for w, h in itertools.product((511, 512, 768, 1023, 1024, 1440, 2048, 2056, 2560), (512, 767, 768, 1440, 16384)) for sep in "*x"]
VALUES: list[Any] = [True, False, 0, 4, 8, 1024, 1028, "8", "6", "on", "off", "intelligence", "x", ["x"], *SIZES]


def probes(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every presence pattern of the rule's fields, each sent field trying every probe value (bounded)."""
    fields = rule["fields"]
    values = [*VALUES, *rule.get("values", []), *rule.get("when_values", [])]
    for sent in itertools.product((False, True), repeat=len(fields)):
        names = [name for name, on in zip(fields, sent, strict=True) if on]
        for combo in itertools.islice(itertools.product(values, repeat=len(names)), 2000):
            yield dict(zip(names, combo, strict=True))


def test_the_mirror_has_rules_of_every_extracted_kind() -> None:
    assert len(RULES) > 30
    assert {rule["kind"] for _, rule in RULES} >= {"pixels", "aspect_ratio", "multiple_of", "requires", "excludes", "when"}


@pytest.mark.parametrize(("slug", "rule"), RULES, ids=[f"{slug}:{rule['id']}" for slug, rule in RULES])
def test_both_checkers_agree_on_every_probe(slug: str, rule: dict[str, Any]) -> None:
    ours = Rule.from_json(rule)
    disagreements = [
        body for body in probes(rule) if bool(violations([ours], body)) != (broken(rule, body) is not None)
    ]
    assert disagreements[:5] == []


def test_a_kind_the_emulator_does_not_know_is_never_a_rejection() -> None:
    assert first_broken([{"kind": "future_kind", "fields": ["a"], "sentence": "s"}], {"a": 1}) is None


def test_validator_checks_rules_after_the_schema() -> None:
    veo = next(spec for spec in SPECS if spec["slug"] == "google/veo-3.1-i2v")
    validator = RequestValidator(veo["request_schema"], rules=veo["rules"])
    base = {"prompt": "x", "image": "https://e.co/i.png"}
    validator.check({**base, "lastFrame": "https://e.co/l.png", "durationSeconds": "8"})
    with pytest.raises(BodyRejected, match="durationSeconds must be 8 when using this parameter"):
        validator.check({**base, "lastFrame": "https://e.co/l.png", "durationSeconds": "6"})
    with pytest.raises(BodyRejected, match="Missing required parameter"):  # the schema speaks first
        validator.check({"lastFrame": "https://e.co/l.png", "durationSeconds": "6"})


def test_emulator_answers_400_quoting_the_docs(start_emulator: StartEmulator) -> None:
    emulator = start_emulator(specs_dir=REPO_SPECS)
    with client_for(emulator, KEY) as http:
        path = "/api/v1/minimax/minimax-image-01-t2i"
        response = http.post(path, json={"prompt": "a cat", "width": 1028, "height": 512})
        assert response.status_code == 400
        assert response.json()["message"] == (
            "Invalid parameters: parameter 'width' must be a multiple of 8, got 1028 (Must be divisible by 8.)"
        )
        ok = http.post(path, json={"prompt": "a cat", "width": 1024, "height": 512})
        assert ok.status_code == 200, ok.text
        assert isinstance(ok.json(), dict)
        assert emulator.stats()["tasks_created"] == 1

