"""A page that breaks after a good crawl keeps its previous spec, marked stale; fixing it clears the mark."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from modellix_typed.codegen.snapshot import SnapshotSummary

Serve = Callable[[Path], str]
Crawl = Callable[[str, Path], SnapshotSummary]

GOOD_URL = "https://docs.modellix.ai/acme/good.md"


def test_broken_page_keeps_previous_spec_marked_stale(
    broken_docs: Path, serve: Serve, crawl: Crawl, tmp_path: Path
) -> None:
    out = tmp_path / "specs"
    url = serve(broken_docs)
    crawl(url, out)
    spec_path = out / "acme" / "acme-good-1.0.json"
    good = json.loads(spec_path.read_text())
    assert good["stale"] is False

    page = broken_docs / "acme" / "good.md"
    original = page.read_text()
    page.write_text(original.replace("````yaml", "```yaml"))  # the fence is gone
    summary = crawl(url, out)

    kept = json.loads(spec_path.read_text())
    assert kept["stale"] is True
    assert kept["stale_reason"] == f"{GOOD_URL}: no_fence"
    assert {k: v for k, v in kept.items() if not k.startswith("stale")} == {
        k: v for k, v in good.items() if not k.startswith("stale")
    }
    assert summary.stale == ("acme/acme-good-1.0",)
    report = json.loads((out / "crawl-report.json").read_text())
    assert report["stale"] == ["acme/acme-good-1.0"]
    assert {"url": GOOD_URL, "reason": "no_fence"}.items() <= next(
        f for f in report["failures"] if f["url"] == GOOD_URL
    ).items()
    index = {m["slug"]: m for m in json.loads((out / "index.json").read_text())["models"]}
    assert index["acme/acme-good-1.0"]["stale"] is True

    page.unlink()  # now a 404: still kept
    crawl(url, out)
    assert json.loads(spec_path.read_text())["stale_reason"] == f"{GOOD_URL}: not_found"

    page.write_text(original)  # fixed: fresh again, byte-identical to the first crawl
    crawl(url, out)
    assert json.loads(spec_path.read_text()) == good


def test_model_dropped_from_the_index_is_removed(broken_docs: Path, serve: Serve, crawl: Crawl, tmp_path: Path) -> None:
    out = tmp_path / "specs"
    url = serve(broken_docs)
    crawl(url, out)
    llms = broken_docs / "llms.txt"
    llms.write_text("\n".join(line for line in llms.read_text().splitlines() if "recursive.md" not in line) + "\n")
    summary = crawl(url, out)
    assert summary.removed == ("acme/acme-tree.json",)
    assert not (out / "acme" / "acme-tree.json").exists()
    assert (out / "acme" / "acme-good-1.0.json").exists()
