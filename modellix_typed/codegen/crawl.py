"""The docs crawl: fetch llms.txt, fetch every selected page concurrently, turn each into a spec or a Failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import httpx

from modellix_typed.codegen.docs_index import (
    CANONICAL_DOCS_URL,
    DocsIndex,
    IndexEntry,
    crawl_url,
    parse_llms_txt,
)
from modellix_typed.codegen.failures import Failure, PageError, Reason
from modellix_typed.codegen.fetch import Fetched, Fetcher, FetchPolicy
from modellix_typed.codegen.page import spec_from_page

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

    @classmethod
    def from_pages(
        cls, source: str, index_url: str, pages: Sequence[tuple[PageOutcome, bool]], requests_sent: int
    ) -> CrawlResult:
        """One ``(outcome, body fetched)`` per listed page; a second page claiming a model becomes a failure."""
        return cls(
            source=source,
            index_url=index_url,
            pages_listed=len(pages),
            pages_fetched=sum(1 for _, got in pages if got),
            outcomes=tuple(dedupe_models([outcome for outcome, _ in pages])),
            requests_sent=requests_sent,
        )

    @property
    def specs(self) -> list[dict[str, Any]]:
        return [o.spec for o in self.outcomes if o.spec is not None]

    @property
    def failures(self) -> list[Failure]:
        return [o.failure for o in self.outcomes if o.failure is not None]


async def fetch_page(
    fetcher: Fetcher,
    canonical: str,
    url: Callable[[], str],
    to_spec: Callable[[Fetched], dict[str, Any]],
    slug: str | None = None,
) -> tuple[PageOutcome, bool]:
    """The page's spec or Failure (named by ``canonical``), and whether its body was fetched (pages_fetched).

    ``url()`` runs inside the guard, so a page whose crawl URL can't be built fails alone, like any other.
    """
    fetched = None
    try:
        fetched = await fetcher.get(url())
        return PageOutcome(canonical, to_spec(fetched), None), True
    except PageError as exc:
        return PageOutcome(canonical, None, Failure(canonical, exc.reason, exc.detail, slug=slug)), fetched is not None
    except Exception as exc:  # noqa: BLE001 - one odd page must not abort the crawl of all the others
        failure = Failure(canonical, Reason.UNEXPECTED, f"{type(exc).__name__}: {exc}", slug=slug)
        return PageOutcome(canonical, None, failure), fetched is not None


async def _crawl_page(
    fetcher: Fetcher, entry: IndexEntry, docs_url: str, canonical_base: str
) -> tuple[PageOutcome, bool]:
    return await fetch_page(
        fetcher,
        entry.url,
        lambda: crawl_url(entry.url, docs_url, canonical_base),
        lambda fetched: spec_from_page(entry, fetched),
    )


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
        return CrawlResult.from_pages("docs", canonical_base.rstrip("/") + INDEX_PATH, pages, fetcher.requests_sent)
