"""codegen diff: a changelog between the committed snapshot and a modified copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


from modellix_typed.codegen.cli import main
from modellix_typed.codegen.diff import diff_snapshots, render_text

from .conftest import cli_runner

SPECS = Path(__file__).resolve().parents[2] / "specs"
IMAGEN = "google/imagen-4.0-generate-001.json"


def _edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _modified_copy(tmp_path: Path) -> Path:
    new = tmp_path / "new"
    shutil.copytree(SPECS, new)

    def change(spec: dict) -> None:  # type: ignore[type-arg]
        props = spec["request_schema"]["properties"]
        del props["personGeneration"]
        props["seed"] = {"type": "integer", "minimum": 0}
        props["sampleCount"]["maximum"] = 8
        props["aspectRatio"]["default"] = "16:9"
        props["aspectRatio"]["enum"].append("21:9")
        props["imageSize"]["type"] = "integer"
        spec["request_schema"]["required"] = ["prompt", "seed"]

    _edit(new / IMAGEN, change)
    (new / "google" / "veo-2-t2v.json").unlink()
    copy = json.loads((new / "minimax" / "minimax-t2v-01.json").read_text())
    copy.update(slug="minimax/minimax-t2v-02", model_id="minimax-t2v-02")
    (new / "minimax" / "minimax-t2v-02.json").write_text(json.dumps(copy))
    return new


def test_diff_reports_models_and_parameter_changes(tmp_path: Path) -> None:
    changelog = diff_snapshots(SPECS, _modified_copy(tmp_path))
    assert changelog.added == ("minimax/minimax-t2v-02",)
    assert changelog.removed == ("google/veo-2-t2v",)
    got = {(c.kind, c.param, c.field, json.dumps(c.old), json.dumps(c.new)) for c in changelog.changes}
    slug = "google/imagen-4.0-generate-001"
    assert {c.slug for c in changelog.changes} == {slug}
    assert got == {
        ("param_removed", "personGeneration", None, '"string"', "null"),
        ("param_added", "seed", None, "null", '"integer"'),
        ("constraint_changed", "sampleCount", "maximum", "4", "8"),
        ("default_changed", "aspectRatio", "default", '"1:1"', '"16:9"'),
        (
            "constraint_changed",
            "aspectRatio",
            "enum",
            json.dumps(["1:1", "3:4", "4:3", "9:16", "16:9"]),
            json.dumps(["1:1", "3:4", "4:3", "9:16", "16:9", "21:9"]),
        ),
        ("param_retyped", "imageSize", "type", '"string"', '"integer"'),
    }
    text = render_text(changelog)
    assert "model added: minimax/minimax-t2v-02" in text
    assert "model removed: google/veo-2-t2v" in text
    assert "~ sampleCount maximum: 4 -> 8" in text
    assert '~ imageSize type: "string" -> "integer"' in text


def test_required_and_endpoint_changes(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(SPECS, new)

    def change(spec: dict) -> None:  # type: ignore[type-arg]
        spec["request_schema"]["required"] = []
        spec["path"] = spec["path"].removesuffix("/async")

    _edit(new / IMAGEN, change)
    kinds = {(c.kind, c.param, c.field) for c in diff_snapshots(SPECS, new).changes}
    assert kinds == {("required_changed", "prompt", "required"), ("endpoint_changed", None, "path")}


def test_diff_cli_text_and_json(tmp_path: Path, mirror_dir: Path) -> None:
    new = _modified_copy(tmp_path)
    as_json = cli_runner().invoke(main, ["diff", str(new), "--specs", str(SPECS), "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["models_added"] == ["minimax/minimax-t2v-02"]
    assert data["models_removed"] == ["google/veo-2-t2v"]
    assert len(data["changes"]) == 6
    # a fresh crawl of the mirror against the committed snapshot: nothing changed
    second = ("--api-schema-mirror", str(SPECS.parents[1] / "shared" / "modellix-api-schema"))
    fresh = cli_runner().invoke(main, ["diff", "--mirror", str(mirror_dir), "--specs", str(SPECS), *second])
    assert fresh.exit_code == 0, fresh.output
    assert fresh.stdout == "no changes\n"
