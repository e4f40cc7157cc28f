"""The emulator's ``/models/{provider}/{model_id}/api_schema``: the live shape, read back as the client reads
it, validates like the generated class of every committed model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modellix_typed import registry
from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator
from modellix_typed.emulator.api_schema import api_schema_document
from modellix_typed.emulator.catalog import Catalog
from modellix_typed.live_schema import SchemaSource
from modellix_typed.spec_engine import SpecModel
from modellix_typed.spec_source import spec_from_api_schema_data
from modellix_typed.validation import ValidationError

SPECS = Path(__file__).resolve().parents[2] / "specs"
CATALOG = Catalog.load(SPECS)
REVIEWED = {path.relative_to(SPECS / "rules").with_suffix("").as_posix() for path in (SPECS / "rules").glob("*/*.yaml")}
"""Models with a hand review overlay: their rules are not all on the page, so a live schema carries fewer."""


def issues_of(check: Any, body: Any) -> list[tuple[str, str, str]]:
    try:
        found = check(body)
    except ValidationError as exc:
        found = exc.issues
    return [(issue.path, issue.rule, issue.message) for issue in found or []]


@pytest.mark.parametrize("model", CATALOG.models, ids=[m.slug for m in CATALOG.models])
def test_served_schema_validates_like_the_generated_class(model: Any) -> None:
    document = json.loads(json.dumps(api_schema_document(model, "https://api.modellix.ai", legacy_paths=False)))
    spec = spec_from_api_schema_data(document, model.provider, model.model_id)
    committed = json.loads((SPECS / model.provider / f"{model.model_id}.json").read_text())
    if model.slug not in REVIEWED:
        assert spec["rules"] == committed["rules"]
    engine = SpecModel.from_spec({**spec, "slug": model.slug})
    cls = registry.get(model.slug)
    bodies = [model.example_request, {}, {"prompt": 5, "unknownKey": 1}, {**(model.example_request or {}), "n": -1}]
    for body in bodies:
        expected = issues_of(cls.validate_dict, body)
        if model.slug in REVIEWED and any(rule not in {"type", "required", "unknown_field"} for _, rule, _ in expected):
            continue
        assert issues_of(engine.issues, body) == expected, body


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(api_keys=("k",), time_scale=0.001, schema_api_origin="https://api.example")) as running:
        yield running


def test_route_is_public_and_uses_the_configured_origin(emulator: RunningEmulator) -> None:
    reply = httpx.get(f"{emulator.base_url}/models/google/nano-banana/api_schema", headers={"accept": "application/json"})
    assert reply.status_code == 200  # no key needed
    data = reply.json()
    assert data["servers"] == [{"url": "https://api.example/api/v1/google/nano-banana"}]
    assert list(data["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"])[0] == "prompt"
    model = SchemaSource(origin=emulator.base_url).accept("google/nano-banana", 200, "application/json", reply.content)
    assert model.submit_url == "https://api.example/api/v1/google/nano-banana"
    missing = httpx.get(f"{emulator.base_url}/models/google/nope/api_schema")
    assert missing.status_code == 404
