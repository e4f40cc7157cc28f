"""The docs crawl: fetch llms.txt, fetch every selected page concurrently, turn each into a spec or a Failure."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import httpx

from codegen.docs_index import (
    CANONICAL_DOCS_URL,
    DocsIndex,
    IndexEntry,
    crawl_url,
    parse_llms_txt,
)
from codegen.failures import Failure, PageError, Reason
from codegen.fetch import Fetcher, FetchPolicy
from codegen.page import spec_from_page

INDEX_PATH = "/llms.txt"


class IndexUnavailable(Exception):
    """The docs index itself could not be fetched: nothing can be crawled (exit code 1)."""


@attrs.frozen
class PageOutcome:
    url: str  # canonical
    spec: dict[str, Any] | None
    failure: Failure | None


@attrs.frozen
class CrawlResult:
    source: str  # "docs" | "api-schema"
    index_url: str  # canonical
    pages_listed: int
    pages_fetched: int
    outcomes: tuple[PageOutcome, ...]
    requests_sent: int = 0

    @property
    def specs(self) -> list[dict[str, Any]]:
        return [o.spec for o in self.outcomes if o.spec is not None]

    @property
    def failures(self) -> list[Failure]:
        return [o.failure for o in self.outcomes if o.failure is not None]


async def _crawl_page(
    fetcher: Fetcher, entry: IndexEntry, docs_url: str, canonical_base: str
) -> tuple[PageOutcome, bool]:
    """Returns the outcome and whether the page body was fetched (for the pages_fetched count)."""
    fetched = None
    try:
        fetched = await fetcher.get(crawl_url(entry.url, docs_url, canonical_base))
        return PageOutcome(entry.url, spec_from_page(entry, fetched), None), True
    except PageError as exc:
        return PageOutcome(entry.url, None, Failure(entry.url, exc.reason, exc.detail)), fetched is not None
    except Exception as exc:  # noqa: BLE001 - one odd page must not abort the crawl of all the others
        failure = Failure(entry.url, Reason.UNEXPECTED, f"{type(exc).__name__}: {exc}")
        return PageOutcome(entry.url, None, failure), fetched is not None


def dedupe_models(outcomes: list[PageOutcome]) -> list[PageOutcome]:
    """Two pages claiming one provider/model_id: the first listed wins, the other is a failure."""
    owners: dict[str, str] = {}
    result: list[PageOutcome] = []
    for outcome in outcomes:
        if outcome.spec is not None:
            slug = str(outcome.spec["slug"])
            if slug in owners:
                outcome = PageOutcome(
                    outcome.url,
                    None,
                    Failure(outcome.url, Reason.DUPLICATE_MODEL, f"{slug} already from {owners[slug]}"),
                )
            else:
                owners[slug] = outcome.url
        result.append(outcome)
    return result


async def fetch_index(fetcher: Fetcher, docs_url: str) -> str:
    try:
        fetched = await fetcher.get(docs_url.rstrip("/") + INDEX_PATH)
    except PageError as exc:
        raise IndexUnavailable(f"{docs_url.rstrip('/')}{INDEX_PATH}: {exc.reason.value}: {exc.detail}") from exc
    return fetched.text


async def crawl_docs(
    docs_url: str = CANONICAL_DOCS_URL,
    policy: FetchPolicy | None = None,
    *,
    canonical_base: str = CANONICAL_DOCS_URL,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CrawlResult:
    async with Fetcher(policy, transport=transport) as fetcher:
        index: DocsIndex = parse_llms_txt(await fetch_index(fetcher, docs_url), canonical_base)
        pages = await asyncio.gather(*(_crawl_page(fetcher, e, docs_url, canonical_base) for e in index.entries))
        return CrawlResult(
            source="docs",
            index_url=canonical_base.rstrip("/") + INDEX_PATH,
            pages_listed=len(index.entries),
            pages_fetched=sum(1 for _, got in pages if got),
            outcomes=tuple(dedupe_models([outcome for outcome, _ in pages])),
            requests_sent=fetcher.requests_sent,
        )
