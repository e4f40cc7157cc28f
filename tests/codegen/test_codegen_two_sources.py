"""Two sources, one truth: a model with a doc page and a live api_schema is compared field by field in the
lint report (every disagreement, both values), generated from the newer source (the api_schema), and said so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from modellix_typed.codegen.cli import main
from modellix_typed.codegen.two_sources import compare

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO.parent / "shared" / "modellix-api-schema"


def _spec(schema: dict[str, Any], required_body: bool = True) -> dict[str, Any]:
    return {"slug": "acme/m", "request_schema": schema, "request_required": required_body}


def test_compare_lists_every_disagreement_with_both_values() -> None:
    docs = _spec(
        {
            "type": "object",
            "required": ["prompt", "size"],
            "properties": {
                "prompt": {"type": "string", "maxLength": 100},
                "size": {"type": "string", "enum": ["1K", "2K"]},
                "n": {"type": "integer", "minimum": 1, "maximum": 4},
                "images": {"type": "array", "items": {"type": "string", "format": "uri"}, "maxItems": 3},
                "old": {"type": "string"},
            },
        }
    )
    api = _spec(
        {
            "type": "object",
            "required": ["prompt"],
            "properties": {
                "prompt": {"type": "string", "maxLength": 200},
                "size": {"type": "string", "enum": ["1K", "2K", "4K"]},
                "n": {"type": "number", "minimum": 1, "maximum": 4},
                "images": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                "seed": {"type": "integer"},
            },
        },
        required_body=False,
    )
    found = {(f["path"], f["aspect"]): (f["docs"], f["api_schema"]) for f in compare(docs, api)}
    assert found == {
        ("prompt", "maxLength"): (100, 200),
        ("size", "required"): (True, False),
        ("size", "enum"): (["1K", "2K"], ["1K", "2K", "4K"]),
        ("n", "type"): ("integer", "number"),
        ("images[]", "format"): ("uri", "(absent)"),
        ("old", "field"): ("documented", "(absent)"),
        ("seed", "field"): ("(absent)", "documented"),
        ("(body)", "body required"): (True, False),
    }
    assert all(f["kind"] == "sources_disagree" and f["slug"] == "acme/m" for f in compare(docs, api))
    assert compare(docs, docs) == []


def test_crawl_keeps_both_sources_reports_disagreements_and_follows_the_api_schema(
    mirror_dir: Path, tmp_path: Path
) -> None:
    schemas = tmp_path / "api-schema"
    shutil.copytree(SCHEMAS, schemas)
    path = schemas / "models" / "vidu" / "lip-sync" / "api_schema"
    path.chmod(0o644)
    live = json.loads(path.read_text())
    body = live["post"]["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["video_url"]["minLength"] = 10
    body["properties"]["sync_mode"] = {"type": "string", "enum": ["lips", "face"]}
    body["required"] = ["video_url", "audio_url"]
    path.write_text(json.dumps(live))
    out = tmp_path / "specs"
    args = ["crawl", "--mirror", str(mirror_dir), "--out", str(out), "--api-schema-mirror", str(schemas)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "vidu/lip-sync: generated from its api_schema" in result.output

    report = json.loads((out / "lint-report.json").read_text())
    mine = [f for f in report["findings"] if f["slug"] == "vidu/lip-sync"]
    disagreements = {(f["path"], f["aspect"]): (f["docs"], f["api_schema"]) for f in mine if f["kind"] == "sources_disagree"}
    assert disagreements == {
        ("video_url", "minLength"): (1, 10),
        ("audio_url", "required"): (False, True),
        ("sync_mode", "field"): ("(absent)", "documented"),
    }
    followed = next(f for f in mine if f["kind"] == "source_followed")
    assert "generated from the api_schema" in followed["detail"] and "3 disagreement(s)" in followed["detail"]

    spec = json.loads((out / "vidu" / "lip-sync.json").read_text())
    assert spec["source"]["kind"] == "api-schema"
    assert spec["request_schema"]["properties"]["video_url"]["minLength"] == 10  # the newer source's rule
    assert spec["request_schema"]["x-order"][:3] == ["video_url", "audio_url", "reference_face_image_url"]
    assert spec["title"] == "Vidu Lip Sync" and spec["task_type"] == "v2v" and spec["doc_url"].startswith("https://docs")
    for kind in ("docs", "api-schema"):
        assert (out / "sources" / kind / "vidu" / "lip-sync.json").is_file()

    generated = CliRunner().invoke(main, ["generate", "--specs", str(out), "--out", str(tmp_path / "gen")])
    assert generated.exit_code == 0, generated.output
    assert "vidu/lip-sync: from its api_schema, newer than its docs page" in generated.output


def test_the_committed_snapshot_follows_the_api_schema_of_vidu_lip_sync() -> None:
    report = json.loads((REPO / "specs" / "lint-report.json").read_text())
    followed = [f for f in report["findings"] if f["kind"] == "source_followed"]
    assert [f["slug"] for f in followed] == ["vidu/lip-sync"]
    assert "0 disagreement(s)" in followed[0]["detail"]  # the stored copies agree field by field
    spec = json.loads((REPO / "specs" / "vidu" / "lip-sync.json").read_text())
    assert spec["source"]["url"] == "https://www.modellix.ai/models/vidu/lip-sync/api_schema"
