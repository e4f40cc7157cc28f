"""Write a crawl into specs/ deterministically, keeping (and marking stale) good specs whose page failed."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import attrs

from modellix_typed.codegen.crawl import CrawlResult
from modellix_typed.codegen.normalize import FORMAT_VERSION
from modellix_typed.codegen.overlay import apply_overlay, load_overlay, overlay_path

INDEX_FILE = "index.json"
REPORT_FILE = "crawl-report.json"
INDEX_FIELDS = ("slug", "provider", "model_id", "title", "task_type", "method", "path", "doc_url")


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write via a temp file + rename so an interrupted crawl never leaves half a spec behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def spec_relpath(spec: dict[str, Any]) -> str:
    return f"{spec['provider']}/{spec['model_id']}.json"


def load_specs(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Existing spec files, keyed by relative path (files that are not specs are ignored)."""
    found: dict[str, dict[str, Any]] = {}
    if not out_dir.is_dir():
        return found
    for path in sorted(out_dir.glob("*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format_version") == FORMAT_VERSION and "slug" in data:
            found[path.relative_to(out_dir).as_posix()] = data
    return found


@attrs.frozen
class SnapshotSummary:
    written: tuple[str, ...]  # relative paths of fresh specs
    stale: tuple[str, ...]  # slugs kept from the previous snapshot
    removed: tuple[str, ...]  # relative paths deleted (models no longer listed)
    report: dict[str, Any]


def with_overlay(out_dir: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with its review overlay (specs/rules/...) applied; entries that no longer apply are left out
    (``codegen lint`` reports them)."""
    if spec.get("provider") == "common":
        return spec
    overlay = load_overlay(overlay_path(out_dir, spec))
    if not overlay:
        return spec
    rules, _ = apply_overlay(spec, list(spec.get("rules") or []), overlay)
    return {**spec, "rules": rules}


def build_index(specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    models: list[dict[str, Any]] = []
    common: list[dict[str, Any]] = []
    for rel, spec in specs.items():
        row = {field: spec.get(field) for field in INDEX_FIELDS}
        row["file"] = rel
        row["stale"] = bool(spec.get("stale"))
        (common if spec["provider"] == "common" else models).append(row)
    return {
        "format_version": FORMAT_VERSION,
        "models": sorted(models, key=lambda r: str(r["slug"])),
        "common": sorted(common, key=lambda r: str(r["slug"])),
    }


def write_snapshot(out_dir: Path, result: CrawlResult) -> SnapshotSummary:
    previous = load_specs(out_dir)
    fresh = {spec_relpath(spec): with_overlay(out_dir, spec) for spec in result.specs}
    by_source = {str(spec["source"]["url"]): (rel, spec) for rel, spec in previous.items()}
    by_slug = {str(spec["slug"]): (rel, spec) for rel, spec in previous.items()}

    final: dict[str, dict[str, Any]] = dict(fresh)
    stale: list[str] = []
    for failure in result.failures:
        kept = by_source.get(failure.url) or (by_slug.get(failure.slug) if failure.slug else None)
        if kept is None or kept[0] in final:
            continue
        rel, spec = kept
        final[rel] = {**spec, "stale": True, "stale_reason": f"{failure.url}: {failure.reason.value}"}
        stale.append(str(spec["slug"]))

    removed = sorted(rel for rel in previous if rel not in final)
    for rel in removed:
        (out_dir / rel).unlink(missing_ok=True)
        parent = (out_dir / rel).parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
    for rel in sorted(final):
        write_text_atomic(out_dir / rel, dump_json(final[rel]))

    report = {
        "format_version": FORMAT_VERSION,
        "source": result.source,
        "index_url": result.index_url,
        "pages_listed": result.pages_listed,
        "pages_fetched": result.pages_fetched,
        "models_written": sum(1 for s in fresh.values() if s["provider"] != "common"),
        "common_written": sum(1 for s in fresh.values() if s["provider"] == "common"),
        "failures": [f.to_json() for f in sorted(result.failures, key=lambda f: (f.url, f.reason.value))],
        "stale": sorted(stale),
    }
    write_text_atomic(out_dir / INDEX_FILE, dump_json(build_index(final)))
    write_text_atomic(out_dir / REPORT_FILE, dump_json(report))
    return SnapshotSummary(
        written=tuple(sorted(fresh)), stale=tuple(sorted(stale)), removed=tuple(removed), report=report
    )
