"""Malformed pages: each is reported with its URL and stable reason; none aborts the crawl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from modellix_typed.codegen.cli import EXIT_INDEX_UNAVAILABLE, main
from modellix_typed.codegen.snapshot import SnapshotSummary

Serve = Callable[[Path], str]
Crawl = Callable[[str, Path], SnapshotSummary]

BASE = "https://docs.modellix.ai/acme/"
EXPECTED = {
    BASE + "missing.md": "not_found",
    BASE + "no-fence.md": "no_fence",
    BASE + "two-fences.md": "multiple_fences",
    BASE + "bad-yaml.md": "yaml_error",
    BASE + "invalid-openapi.md": "invalid_openapi",
    BASE + "no-body.md": "no_request_body",
    BASE + "html-page.md": "html_not_markdown",
    BASE + "wrong-operation.md": "operation_not_found",
    BASE + "bad-ref.md": "bad_ref",
    BASE + "huge.md": "too_large",
}


def test_each_malformed_page_reports_its_reason(broken_docs: Path, serve: Serve, crawl: Crawl, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = crawl(serve(broken_docs), out)
    report = json.loads((out / "crawl-report.json").read_text())
    assert {f["url"]: f["reason"] for f in report["failures"]} == EXPECTED
    assert all(f["detail"] for f in report["failures"])
    assert report["failures"] == sorted(report["failures"], key=lambda f: f["url"])
    # the good pages still made it, prose and off-site links were never selected
    assert summary.written == ("acme/acme-good-1.0.json", "acme/acme-tree.json", "common/get-thing.json")
    assert report["pages_listed"] == 13
    index = json.loads((out / "index.json").read_text())
    assert [m["slug"] for m in index["models"]] == ["acme/acme-good-1.0", "acme/acme-tree"]
    assert [c["slug"] for c in index["common"]] == ["common/get-thing"]


def test_failure_details_name_the_problem(broken_docs: Path, serve: Serve, crawl: Crawl, tmp_path: Path) -> None:
    crawl(serve(broken_docs), tmp_path)
    details = {f["url"]: f["detail"] for f in json.loads((tmp_path / "crawl-report.json").read_text())["failures"]}
    assert details[BASE + "missing.md"] == "HTTP 404"
    assert "line 3" in details[BASE + "bad-yaml.md"]
    assert "'info' is a required property" in details[BASE + "invalid-openapi.md"]
    assert "#/components/schemas/Nope" in details[BASE + "bad-ref.md"]
    assert "/acme-elsewhere/async" in details[BASE + "wrong-operation.md"]
    assert "2 spec fences" in details[BASE + "two-fences.md"]


def test_recursive_ref_is_kept_as_a_marked_ref(broken_docs: Path, serve: Serve, crawl: Crawl, tmp_path: Path) -> None:
    crawl(serve(broken_docs), tmp_path)
    spec = json.loads((tmp_path / "acme" / "acme-tree.json").read_text())
    node = spec["request_schema"]["properties"]["tree"]
    assert node["x-order"] == ["label", "children"]
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node", "x-recursive": True}


def test_index_unavailable_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["crawl", "--mirror", str(empty), "--out", str(out), "--retries", "0"])
    assert result.exit_code == EXIT_INDEX_UNAVAILABLE == 1
    assert "llms.txt: not_found" in result.output
    assert not out.exists()


def test_docs_url_and_mirror_are_exclusive(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["crawl", "--mirror", str(tmp_path), "--docs-url", "http://x", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "mutually exclusive" in result.output


def test_docs_url_must_be_http(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", "--docs-url", "docs.modellix.ai", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "'docs.modellix.ai' is not an http(s):// URL" in result.output
