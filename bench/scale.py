"""Scale: crawl + generate a synthetic docs site of many models, built from the mirror's model pages.

Copy ``k`` of every provider folder becomes provider ``<provider>-s<k>`` (copy 0 keeps the real names), so a
site of 2,000 models has the mirror's providers many times over, each with the mirror's own models: slugs are
renamed, page contents are the real pages. The cost per model must stay flat as the catalog grows (a ratio of
per-model times measured in the same run), and importing one class must load the same modules whatever the
catalog's size (``tests/codegen/test_codegen_scale.py`` checks both on a smaller site).
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from modellix_typed.codegen.crawl import crawl_docs
from modellix_typed.codegen.fetch import FetchPolicy
from modellix_typed.codegen.generate import generate
from modellix_typed.codegen.mirror_server import serve_directory
from modellix_typed.codegen.snapshot import write_snapshot

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "modellix-docs"
BASE = "https://docs.modellix.ai/"
_LINK = re.compile(r"^- \[(?P<title>[^\]]+)\]\(https://docs\.modellix\.ai/(?P<folder>[^/)]+)/(?P<page>[^/)]+)\.md\)")
POLICY = FetchPolicy(concurrency=8, timeout=30.0, retries=1, backoff_base=0.01, backoff_max=0.05)
SIZES = (76, 2000)


def model_pages(mirror: Path = MIRROR) -> list[tuple[str, str, str]]:
    """(title, provider folder, page) of every model page the mirror stores, in llms.txt order."""
    pages = []
    for line in (mirror / "llms.txt").read_text(encoding="utf-8").splitlines():
        match = _LINK.match(line)
        if match and match["folder"] != "api" and (mirror / match["folder"] / f"{match['page']}.md").is_file():
            pages.append((match["title"], match["folder"], match["page"]))
    return pages


def build_site(out: Path, models: int, mirror: Path = MIRROR) -> int:
    """Write a docs site of ``models`` model pages into ``out`` (llms.txt + <provider>/<page>.md); returns the
    number of pages written (``models``, unless the mirror has none)."""
    pages = model_pages(mirror)
    lines = ["# Modellix (synthetic scale site)", "", "## Docs", ""]
    for number in range(models if pages else 0):
        copy, (title, folder, page) = divmod(number, len(pages))[0], pages[number % len(pages)]
        provider = folder if copy == 0 else f"{folder}-s{copy}"
        target = out / provider / f"{page}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((mirror / folder / f"{page}.md").read_bytes())
        label = title if copy == 0 else f"{title} (copy {copy})"
        lines.append(f"- [{label}]({BASE}{provider}/{page}.md): synthetic copy of {folder}/{page}")
    (out / "llms.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return min(models, models if pages else 0)


def crawl_and_generate(site: Path, specs: Path, generated: Path) -> tuple[float, int]:
    """Serve ``site`` on 127.0.0.1, crawl it into ``specs`` and generate ``generated``; (seconds, models)."""
    with serve_directory(site) as url:
        started = time.perf_counter()
        write_snapshot(specs, asyncio.run(crawl_docs(url, POLICY)))
        result, _, _ = generate(specs, generated)
        elapsed = time.perf_counter() - started
    return elapsed, result.models


def per_model_seconds(models: int, root: Path) -> tuple[float, int]:
    """Build a site of ``models`` pages under ``root``, crawl and generate it; (seconds per model, models)."""
    site = root / f"site-{models}"
    build_site(site, models)
    elapsed, generated = crawl_and_generate(site, root / f"specs-{models}", root / f"gen-{models}" / "scale_gen")
    return elapsed / max(generated, 1), generated


def run() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        per_model = {}
        for size in SIZES:
            seconds, generated = per_model_seconds(size, Path(tmp))
            per_model[size] = seconds
            figures[f"models_{size}"] = generated
            figures[f"crawl_generate_per_model_ms_at_{size}"] = round(seconds * 1000, 2)
    small, large = SIZES
    figures[f"ratio_per_model_{large}_vs_{small}"] = round(per_model[large] / per_model[small], 2)
    figures["goal_ratio_at_most"] = 2.0
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
