"""Parse the docs index (llms.txt) into the pages worth crawling.

Model pages live in provider folders (``<provider>/<page>.md``); common API pages in ``api/``. Prose pages
(get-started, changelog, ways-to-use, ...) carry no request schema and are skipped.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

import attrs

CANONICAL_DOCS_URL = "https://docs.modellix.ai"
COMMON_FOLDER = "api"
# Used only when the index has no "OpenAPI Specs" section to derive provider folders from.
PROSE_FOLDERS = frozenset(
    {"get-started", "file-api", "ways-to-use", "changelog", "api-reference", "how-to-use", "common-api", "model-api"}
)

_LINK = re.compile(r"^\s*[-*]\s*\[(?P<title>[^\]]*)\]\((?P<url>[^)\s]+)\)")
_SECTION = re.compile(r"^##\s+(?P<name>.+?)\s*$")

PageKind = Literal["model", "common"]


@attrs.frozen
class IndexEntry:
    title: str
    url: str  # canonical https://docs.modellix.ai/<folder>/<page>.md
    kind: PageKind
    folder: str
    page: str

    @property
    def doc_url(self) -> str:
        """The page URL without the ``.md`` suffix (what a human opens)."""
        return self.url.removesuffix(".md")


@attrs.frozen
class DocsIndex:
    entries: tuple[IndexEntry, ...]
    providers: frozenset[str]
    skipped: int  # listed links that are not model/API pages


def _canonical_path(url: str, canonical_base: str) -> str | None:
    """The path of a docs-site link, or None for links to other sites."""
    parts = urlsplit(url)
    base = urlsplit(canonical_base)
    if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
        return None
    return parts.path


def _spec_providers(spec_paths: list[str]) -> frozenset[str]:
    """Provider folders named by ``model-api/<folder>/<name>-<task>.json`` (folder and name prefix)."""
    found: set[str] = set()
    for path in spec_paths:
        segments = path.strip("/").split("/")
        if len(segments) == 3 and segments[0] == "model-api":
            found.add(segments[1])
            stem = segments[2].rsplit(".", 1)[0]
            if "-" in stem:
                found.add(stem.rsplit("-", 1)[0])
    return frozenset(found)


def parse_llms_txt(text: str, canonical_base: str = CANONICAL_DOCS_URL) -> DocsIndex:
    """Select model and common API pages from llms.txt, in listed order, without duplicates."""
    section = ""
    doc_links: list[tuple[str, str]] = []
    spec_paths: list[str] = []
    skipped = 0
    for line in text.splitlines():
        heading = _SECTION.match(line)
        if heading:
            section = heading.group("name").strip().lower()
            continue
        link = _LINK.match(line)
        if not link:
            continue
        path = _canonical_path(link.group("url"), canonical_base)
        if path is None:
            skipped += 1
            continue
        if path.endswith(".json"):
            spec_paths.append(path)
            continue
        if section == "optional":
            skipped += 1
            continue
        doc_links.append((link.group("title").strip(), path))

    providers = _spec_providers(spec_paths)
    base = canonical_base.rstrip("/")
    entries: list[IndexEntry] = []
    seen: set[str] = set()
    for title, path in doc_links:
        segments = path.strip("/").split("/")
        if len(segments) != 2 or not segments[1].endswith(".md") or path in seen:
            skipped += 1
            continue
        folder, page = segments[0], segments[1][: -len(".md")]
        kind: PageKind
        if folder == COMMON_FOLDER:
            kind = "common"
        elif folder in providers or (not providers and folder not in PROSE_FOLDERS):
            kind = "model"
        else:
            skipped += 1
            continue
        seen.add(path)
        entries.append(IndexEntry(title=title, url=f"{base}{path}", kind=kind, folder=folder, page=page))
    return DocsIndex(entries=tuple(entries), providers=providers, skipped=skipped)


def crawl_url(canonical_url: str, docs_url: str, canonical_base: str = CANONICAL_DOCS_URL) -> str:
    """Map a canonical docs URL onto the base URL actually crawled (a mirror, a proxy, the live site)."""
    base = canonical_base.rstrip("/")
    if not canonical_url.startswith(base + "/"):
        raise ValueError(f"not a docs URL under {base}: {canonical_url}")
    return docs_url.rstrip("/") + canonical_url[len(base) :]
