"""Second source: /models/<provider>/<model_id>/api_schema JSON, served by a local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from modellix_typed.codegen.api_schema import wrap_api_schema
from modellix_typed.codegen.cli import main
from modellix_typed.codegen.failures import PageError, Reason

SCHEMA = {
    "servers": [{"url": "https://api.modellix.ai/api/v1/acme/acme-img-1"}],
    "post": {
        "summary": "Acme Img 1",
        "description": "Acme image model.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Req"},
                    "example": {"prompt": "a cat"},
                }
            },
        },
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
    },
    "components": {
        "schemas": {
            "Req": {
                "type": "object",
                "required": ["prompt"],
                "properties": {
                    "prompt": {"type": "string", "minLength": 1},
                    "n": {"type": "integer", "minimum": 1, "maximum": 4, "default": 1},
                },
            }
        }
    },
}


def _index_row(model_id: str) -> dict[str, object]:
    return {
        "slug": f"acme/{model_id}",
        "provider": "acme",
        "model_id": model_id,
        "title": model_id.title(),
        "task_type": "t2i",
        "method": "POST",
        "path": f"/api/v1/acme/{model_id}/async",
        "doc_url": f"https://docs.modellix.ai/acme/{model_id}",
        "file": f"acme/{model_id}.json",
        "stale": False,
    }


def test_api_schema_crawl(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "models" / "acme" / "acme-img-1").mkdir(parents=True)
    (site / "models" / "acme" / "acme-img-1" / "api_schema").write_text(json.dumps(SCHEMA))
    (site / "models" / "acme" / "acme-broken").mkdir(parents=True)
    (site / "models" / "acme" / "acme-broken" / "api_schema").write_text("{not json")
    out = tmp_path / "specs"
    (out / "acme").mkdir(parents=True)
    rows = [_index_row(m) for m in ("acme-broken", "acme-gone", "acme-img-1")]
    (out / "index.json").write_text(json.dumps({"format_version": 1, "models": rows, "common": []}))
    previous = {
        **rows[1],
        "format_version": 1,
        "source": {"kind": "docs", "url": "https://docs.modellix.ai/acme/acme-gone.md"},
    }
    (out / "acme" / "acme-gone.json").write_text(json.dumps(previous))

    result = CliRunner().invoke(
        main, ["crawl", "--source", "api-schema", "--mirror", str(site), "--out", str(out), "--json", "--retries", "0"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {f["url"].rsplit("/", 2)[-2]: f["reason"] for f in report["failures"]} == {
        "acme-broken": "not_json",
        "acme-gone": "not_found",
    }
    assert all(f["url"].startswith("https://www.modellix.ai/models/acme/") for f in report["failures"])
    assert report["stale"] == ["acme/acme-gone"]
    assert json.loads((out / "acme" / "acme-gone.json").read_text())["stale_reason"].endswith(": not_found")

    spec = json.loads((out / "acme" / "acme-img-1.json").read_text())
    assert spec["source"] == {
        "kind": "api-schema",
        "url": "https://www.modellix.ai/models/acme/acme-img-1/api_schema",
        "spec_file": None,
    }
    assert (spec["model_id"], spec["task_type"], spec["method"]) == ("acme-img-1", "t2i", "POST")
    assert spec["path"] == "/api/v1/acme/acme-img-1"
    assert spec["server_origin"] == "https://api.modellix.ai"
    assert spec["request_schema"]["x-order"] == ["prompt", "n"]
    assert spec["request_schema"]["properties"]["n"]["maximum"] == 4
    assert spec["examples"]["request"] == {"prompt": "a cat"}
    assert spec["summary"] == "Acme image model."


def test_api_schema_without_index_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["crawl", "--source", "api-schema", "--mirror", str(tmp_path), "--out", str(tmp_path / "none")]
    )
    assert result.exit_code == 1
    assert "run a docs crawl first" in result.output


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([1, 2], Reason.NOT_JSON),
        ({"post": {}}, Reason.INVALID_OPENAPI),
        ({"servers": [{"url": "https://api.modellix.ai/api/v1/acme/x"}]}, Reason.NO_REQUEST_BODY),
    ],
)
def test_wrap_rejects_bad_shapes(data: object, reason: Reason) -> None:
    with pytest.raises(PageError) as err:
        wrap_api_schema(data, "t")
    assert err.value.reason is reason


def test_wrap_keeps_async_suffix_in_operation_path() -> None:
    doc, op_path = wrap_api_schema({**SCHEMA, "servers": [{"url": "https://api.modellix.ai/api/v1/acme/m/async"}]}, "t")
    assert op_path == "/m/async"
    assert doc["servers"] == [{"url": "https://api.modellix.ai/api/v1/acme"}]
