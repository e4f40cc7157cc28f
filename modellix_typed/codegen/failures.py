"""Stable reason codes for pages that could not become a spec.

The codes are part of specs/crawl-report.json, so they never change spelling; the free-text detail may.
"""

from __future__ import annotations

import enum

import attrs


class Reason(str, enum.Enum):
    NOT_FOUND = "not_found"  # HTTP 404/410
    HTTP_STATUS = "http_status"  # any other non-2xx after retries
    NETWORK_ERROR = "network_error"  # connection/timeout errors after retries
    TOO_LARGE = "too_large"  # body exceeds the size cap
    HTML_NOT_MARKDOWN = "html_not_markdown"  # an HTML page where markdown was expected
    NOT_JSON = "not_json"  # api_schema source answered something that is not a JSON object
    NO_FENCE = "no_fence"  # no ````yaml <spec> <method> <path> fence
    MULTIPLE_FENCES = "multiple_fences"  # more than one spec fence: ambiguous
    YAML_ERROR = "yaml_error"  # the fence body is not YAML / not a mapping
    INVALID_OPENAPI = "invalid_openapi"  # openapi-spec-validator rejected the document
    BAD_REF = "bad_ref"  # a $ref that points outside the document or nowhere
    OPERATION_NOT_FOUND = "operation_not_found"  # the fence's method+path is not in the document
    NO_REQUEST_BODY = "no_request_body"  # a model operation without a JSON request body
    DUPLICATE_MODEL = "duplicate_model"  # two pages claim the same provider/model_id
    UNEXPECTED = "unexpected_error"  # a bug or a shape we did not foresee; reported, never fatal


class PageError(Exception):
    """A page failed for a known reason; the crawl records it and moves on."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@attrs.frozen
class Failure:
    """One failed page, as written to the crawl report (canonical URL, never the crawled origin)."""

    url: str
    reason: Reason
    detail: str
    slug: str | None = None  # known up front only for the api-schema source (lets a stale spec be kept)

    def to_json(self) -> dict[str, str]:
        return {"url": self.url, "reason": self.reason.value, "detail": self.detail}
