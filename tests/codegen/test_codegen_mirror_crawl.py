"""Crawl the real docs mirror over HTTP and check it against MANIFEST.jsonl and the committed specs/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit


from modellix_typed.codegen.cli import main
from modellix_typed.codegen.docs_index import parse_llms_txt
from modellix_typed.codegen.snapshot import SnapshotSummary

from .conftest import cli_runner

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
# what `make specs` adds: the stored api_schema copies, the second source (two_sources)
SECOND = ("--api-schema-mirror", str(REPO.parent / "shared" / "modellix-api-schema"))


def _manifest(mirror_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (mirror_dir / "MANIFEST.jsonl").read_text().splitlines() if line.strip()]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_mirrored_model_page_becomes_a_spec(mirror_dir: Path, mirror_crawl: tuple[Path, SnapshotSummary]) -> None:
    out, summary = mirror_crawl
    index = json.loads((out / "index.json").read_text())
    by_doc = {row["doc_url"]: row for row in index["models"]}
    rows = [r for r in _manifest(mirror_dir) if r["file"] and not str(r["file"]).startswith(("api/", "FACTS"))]
    assert len(rows) >= 20
    for row in rows:
        doc_url = str(row["doc_url"]).removesuffix(".md")
        entry = by_doc[doc_url]
        assert entry["model_id"] == row["model_id"], doc_url
        spec = json.loads((out / entry["file"]).read_text())
        server_path = urlsplit(str(row["server"])).path
        assert spec["path"] == server_path + str(row["path"])
        assert spec["source"]["url"] == row["doc_url"]
        assert spec["request_schema"]["type"] == "object"
        assert spec["stale"] is False
    assert summary.report["models_written"] == len(rows) == len(index["models"])


def test_listed_pages_without_a_file_are_reported_as_404(
    mirror_dir: Path, mirror_crawl: tuple[Path, SnapshotSummary]
) -> None:
    out, summary = mirror_crawl
    listed = parse_llms_txt((mirror_dir / "llms.txt").read_text()).entries
    served = {f"https://docs.modellix.ai/{p.relative_to(mirror_dir).as_posix()}" for p in mirror_dir.rglob("*.md")}
    missing = sorted(e.url for e in listed if e.url not in served)
    report = json.loads((out / "crawl-report.json").read_text())
    assert report == summary.report
    not_found = sorted(f["url"] for f in report["failures"] if f["reason"] == "not_found")
    assert not_found == missing
    assert len(missing) > 150  # the mirror stores only a fraction of the listed pages
    assert {f["reason"] for f in report["failures"]} == {"not_found"}
    assert report["pages_listed"] == len(listed)
    assert report["pages_fetched"] == len(listed) - len(missing)


def test_common_get_task_result_page(mirror_crawl: tuple[Path, SnapshotSummary]) -> None:
    out, _ = mirror_crawl
    spec = json.loads((out / "common" / "get-task-result.json").read_text())
    assert (spec["provider"], spec["model_id"], spec["method"]) == ("common", "get-task-result", "GET")
    assert spec["path"] == "/api/v1/tasks/{task_id}"
    assert [p["name"] for p in spec["parameters"]] == ["task_id"]
    assert spec["request_schema"] is None and spec["task_type"] is None
    status = spec["response_schema"]["properties"]["data"]["properties"]["status"]
    assert status["enum"] == ["pending", "processing", "success", "failed"]


def test_spec_content_is_normalized(mirror_crawl: tuple[Path, SnapshotSummary]) -> None:
    out, _ = mirror_crawl
    spec = json.loads((out / "google" / "imagen-4.0-generate-001.json").read_text())
    assert spec["slug"] == "google/imagen-4.0-generate-001"
    assert spec["doc_url"] == "https://docs.modellix.ai/google/imagen-4-0-generate-001"
    assert spec["task_type"] == "t2i"
    assert spec["server_origin"] == "https://api.modellix.ai"
    assert spec["path"] == "/api/v1/google/imagen-4.0-generate-001/async"
    request = spec["request_schema"]
    assert request["x-order"] == ["prompt", "sampleCount", "aspectRatio", "personGeneration", "imageSize"]
    assert request["properties"]["sampleCount"] == {
        "type": "integer",
        "description": "Number of images to generate per request",
        "default": 1,
        "minimum": 1,
        "maximum": 4,
        "example": 1,
    }
    assert "$ref" not in json.dumps(spec)
    assert spec["examples"]["request"] == {"prompt": "A golden retriever playing fetch on the beach at sunset"}
    assert spec["examples"]["response"]["data"]["task_id"] == "task-jkl012"
    text = (out / "google" / "imagen-4.0-generate-001.json").read_text()
    assert text == json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "127.0.0.1" not in "".join(p.read_text() for p in out.rglob("*.json"))


def _with_overlays(out: Path) -> Path:
    """A fresh output dir holding only the committed review overlays (hand-written, read by the crawl)."""
    if (SPECS / "rules").is_dir():
        shutil.copytree(SPECS / "rules", out / "rules")
    return out


def test_crawl_cli_reproduces_committed_specs_byte_for_byte(mirror_dir: Path, tmp_path: Path) -> None:
    out = _with_overlays(tmp_path / "specs")
    result = cli_runner().invoke(main, ["crawl", "--mirror", str(mirror_dir), "--out", str(out), "--json", *SECOND])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["models_written"] > 0
    committed = _tree(SPECS)
    assert committed, "specs/ is empty: run `make specs`"
    assert _tree(out) == committed
    # and a second crawl over an existing snapshot changes nothing
    again = cli_runner().invoke(
        main, ["crawl", "--mirror", str(mirror_dir), "--out", str(out), "--concurrency", "2", *SECOND]
    )
    assert again.exit_code == 0, again.output
    assert _tree(out) == committed


def test_crawl_by_docs_url_reproduces_committed_specs(mirror_url: str, tmp_path: Path) -> None:
    """What `make specs DOCS_URL=<that server>` runs."""
    out = _with_overlays(tmp_path / "specs")
    result = cli_runner().invoke(main, ["crawl", "--docs-url", mirror_url, "--out", str(out), *SECOND])
    assert result.exit_code == 0, result.output
    assert "failures" in result.stderr  # the human summary goes to stderr
    assert _tree(out) == _tree(SPECS)
