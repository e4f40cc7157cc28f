"""One fetched doc page -> one normalized spec (or a PageError with a stable reason)."""

from __future__ import annotations

from typing import Any

from modellix_typed.codegen.docs_index import IndexEntry
from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.codegen.fence import extract_fence, page_summary, page_title
from modellix_typed.codegen.fetch import Fetched, looks_like_html
from modellix_typed.codegen.normalize import (
    PageContext,
    SourceInfo,
    normalize_operation,
    task_type_from_spec_file,
)
from modellix_typed.codegen.openapi_doc import load_openapi
from modellix_typed.codegen.task_kind import kind_from_docs

COMMON_PROVIDER = "common"


def spec_from_page(entry: IndexEntry, fetched: Fetched) -> dict[str, Any]:
    if looks_like_html(fetched.content_type, fetched.text):
        raise PageError(Reason.HTML_NOT_MARKDOWN, f"got HTML (Content-Type {fetched.content_type or 'none'!r})")
    markdown = fetched.text
    fence = extract_fence(markdown)
    doc = load_openapi(fence.body)
    title = page_title(markdown) or entry.title or None
    summary = page_summary(markdown)
    is_model = entry.kind == "model"
    context = PageContext(
        provider=entry.folder if is_model else COMMON_PROVIDER,
        page=entry.page,
        doc_url=entry.doc_url,
        title=title,
        summary=summary,
        is_model=is_model,
        # the docs' words, not the shared spec file's suffix (see task_kind)
        task_type=kind_from_docs(title, summary, task_type_from_spec_file(fence.spec_file)) if is_model else None,
    )
    source = SourceInfo(kind="docs", url=entry.url, spec_file=fence.spec_file)
    return normalize_operation(doc, fence.method, fence.path, context, source)
