"""Every model in specs/ gets the canonical path (plus, with legacy_paths, its documented path and the alias
forms), and the common endpoints answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from modellix_typed.emulator import Catalog, EmulatorConfig, running_emulator

from .conftest import FIXTURE_SPECS, I2V_OLD, IMAGEN, REPO_SPECS, StartEmulator, client_for


def test_by_default_only_the_canonical_path_is_served(start_emulator: StartEmulator) -> None:
    emu = start_emulator(concurrency_limit=None)
    with client_for(emu) as http:
        for path in (f"{IMAGEN}/async", I2V_OLD, "/api/v1/text-to-image/google/imagen-4.0-generate-001"):
            response = http.post(path, json={"prompt": "x"})
            assert response.status_code == 404 and "no model endpoint" in response.json()["message"], path
        assert http.post(IMAGEN, json={"prompt": "x"}).status_code == 200
    assert emu.stats()["tasks_created"] == 1


def test_documented_path_and_aliases_accept_the_example_with_legacy_paths(start_emulator: StartEmulator) -> None:
    emu = start_emulator(concurrency_limit=None, legacy_paths=True)
    catalog = Catalog.load(FIXTURE_SPECS)
    with client_for(emu) as http:
        for model in catalog.models:
            paths = model.submit_paths()
            assert paths[0] == f"/api/v1/{model.provider}/{model.model_id}" and model.path in paths
            for path in paths:
                response = http.post(path, json=model.example_request)
                assert response.status_code == 200, (path, response.text)
                data = response.json()["data"]
                assert data["status"] == "pending"
                assert data["model_id"] == f"{model.provider}/{model.model_id}"
                assert data["get_result"] == {"method": "GET", "url": f"{emu.base_url}/api/v1/tasks/{data['task_id']}"}
    by_slug = emu.stats()["tasks_by_slug"]
    assert by_slug == {m.slug: len(m.submit_paths()) for m in catalog.models}


def test_old_and_new_path_forms_are_both_served() -> None:
    catalog = Catalog.load(FIXTURE_SPECS)
    old = catalog.find("/api/v1/image-to-video/minimax/minimax-i2v-01/async")
    new = catalog.find("/api/v1/minimax/minimax-i2v-01/async")
    assert old is not None and old is new
    imagen = catalog.find("/api/v1/text-to-image/google/imagen-4.0-generate-001/async")
    assert imagen is not None and imagen.slug == "google/imagen-4.0-generate-001"
    assert catalog.find("/api/v1/google/no-such-model/async") is None


def test_unknown_model_is_404_in_api_format(client: httpx.Client) -> None:
    response = client.post("/api/v1/google/no-such-model", json={"prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "message": "Resource not found: no model endpoint at POST /api/v1/google/no-such-model (the emulator "
        "serves the models in its specs; start it with --accept-unknown-models to accept any provider/model-id)",
    }


def test_list_models_has_top_level_models_array(client: httpx.Client) -> None:
    response = client.get("/api/v1/models")
    assert response.status_code == 200
    models = response.json()["models"]
    assert [m["slug"] for m in models] == [
        "google/imagen-4.0-generate-001", "google/veo-3-fast-t2v", "minimax/minimax-i2v-01",
    ]
    assert models[0] == {
        "slug": "google/imagen-4.0-generate-001",
        "type": "text-to-image",
        "docs_url": "https://docs.modellix.ai/google/imagen-4-0-generate-001",
        "description": "Imagen 4.0 test fixture.",
    }
    assert models[2]["type"] == "image-to-video"


def test_team_balance(start_emulator: StartEmulator) -> None:
    emu = start_emulator(balance=12.34567)
    with client_for(emu) as http:
        assert http.get("/api/v1/team/balance").json() == {
            "code": 0, "message": "success", "data": {"balance": 12.3457},
        }


def test_missing_specs_dir_names_the_path(tmp_path: Path) -> None:
    from modellix_typed.emulator import CatalogError

    with pytest.raises(CatalogError, match="specs directory not found: .*nowhere"):
        Catalog.load(tmp_path / "nowhere")


# --- the real crawled specs/ (skipped until the crawler has written them) ---

def _minimal_body(schema: dict[str, Any]) -> dict[str, Any]:
    """Required properties filled from the schema's own example/default/enum values."""
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        for key in ("example", "default"):
            if key in prop:
                body[name] = prop[key]
                break
        else:
            if "enum" in prop:
                body[name] = prop["enum"][0]
            elif prop.get("type") == "array":
                body[name] = ["https://example.com/image.jpg"] * max(1, prop.get("minItems", 1))
            else:
                body[name] = "https://example.com/image.jpg"
    return body


def _real_index() -> dict[str, Any]:
    index = REPO_SPECS / "index.json"
    if not index.is_file():
        pytest.skip("specs/ not generated yet")
    data: dict[str, Any] = json.loads(index.read_text(encoding="utf-8"))
    return data


def test_every_real_spec_model_has_a_route_and_accepts_its_documented_request() -> None:
    index = _real_index()
    config = EmulatorConfig(specs_dir=REPO_SPECS, api_keys=("test-key-123",), concurrency_limit=None)
    with running_emulator(config) as emu, client_for(emu) as http:
        assert {m.slug for m in emu.state.catalog.models} == {e["slug"] for e in index["models"]}
        lint = json.loads((REPO_SPECS / "lint-report.json").read_text(encoding="utf-8"))
        breaks_rule = {f["slug"] for f in lint["findings"] if f["kind"] == "example_breaks_rule"}
        contradicted = []
        for entry in index["models"]:
            spec = json.loads((REPO_SPECS / entry["file"]).read_text(encoding="utf-8"))
            example = spec["examples"]["request"]
            body = example if example is not None else _minimal_body(spec["request_schema"])
            response = http.post(f"/api/v1/{entry['provider']}/{entry['model_id']}", json=body)
            errors = list(jsonschema.Draft202012Validator(spec["request_schema"]).iter_errors(body))
            if not errors and entry["slug"] in breaks_rule:
                # the example breaks a rule its own page states in prose (listed in the lint report)
                assert response.status_code == 400, (entry["slug"], response.text)
                assert response.json()["message"].startswith("Invalid parameters:"), response.text
                contradicted.append(entry["slug"])
            elif not errors:
                assert response.status_code == 200, (entry["slug"], response.text)
                assert response.json()["data"]["model_id"] == f"{entry['provider']}/{entry['model_id']}"
            else:
                # The docs' own example breaks the docs' own schema: the emulator must say which parameter.
                assert response.status_code == 400, (entry["slug"], response.text)
                names = {str(e.absolute_path[0]) if e.absolute_path else "" for e in errors}
                message = response.json()["message"]
                assert any(f"'{n}'" in message for n in names if n), (entry["slug"], message, names)
                contradicted.append(entry["slug"])
        assert emu.stats()["tasks_created"] == len(index["models"]) - len(contradicted)


def test_every_real_spec_path_is_documented_form_first() -> None:
    index = _real_index()
    catalog = Catalog.load(REPO_SPECS)
    for entry in index["models"]:
        model = catalog.find(entry["path"])
        assert model is not None and model.slug == entry["slug"]
        new_form = f"/api/v1/{entry['provider']}/{entry['model_id']}/async"
        assert catalog.find(new_form) is model
        canonical = f"/api/v1/{entry['provider']}/{entry['model_id']}"
        assert catalog.find(canonical, legacy=False) is model
        if entry["path"] != canonical:  # newer pages document the canonical path itself
            assert catalog.find(entry["path"], legacy=False) is None


def test_unknown_endpoint_and_method_answer_in_api_format(client: httpx.Client) -> None:
    missing = client.get("/api/v1/nothing/here")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "message": "Resource not found: no endpoint at GET /api/v1/nothing/here"}
    wrong = client.post("/files/task-1/0.png")
    assert wrong.status_code == 405 and wrong.json()["code"] == 405
