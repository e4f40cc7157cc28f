"""What a response or an exception means (no I/O): the request's bytes and headers, the reply's parsing,
retry or give up (asked of :mod:`..retry`), a POST's outcome unknown.

The API key is added per request (never as a client default header), so it is only ever sent to the
configured API origin and never to result-file hosts.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import httpx

from ..config import ClientConfig
from ..errors import (
    APIConnectionError,
    APITimeout,
    ClientClosed,
    InvalidResponse,
    ModellixError,
    ResponseTooLarge,
    SubmissionOutcomeUnknown,
    api_error_for,
)
from ..json_bounds import ReplyNotJSON, load_reply
from ..retry import (
    Decision,
    RequestKind,
    RetryPolicy,
    decide_on_network_error,
    decide_on_status,
    rate_limit_reset,
    retry_after_from,
)
from .deadline import attempt_deadline, bounded_timeout, room_for
from .json_body import (
    encode_json as encode_json,  # re-exported: the transport's import path
)

logger = logging.getLogger("modellix_typed")


# Raised before a single byte of the request left this process: safe to repeat even a paid POST.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_API_RESPONSE_BYTES = 16 * 1024 * 1024  # an API envelope is small; anything bigger is not read (as the CLI)


class TooLarge(Exception):
    """The reply passed MAX_API_RESPONSE_BYTES (announced or counted); turned into a Step by the Exchange."""


def announced_length(headers: httpx.Headers) -> int | None:
    """The Content-Length a reply announces, or None when it announces none we can read (ASCII digits only,
    at most 30 of them: never an int of a million digits)."""
    length = headers.get("content-length", "").strip()
    return int(length) if length.isascii() and length.isdigit() and len(length) <= 30 else None


def declared_too_large(response: httpx.Response, limit: int) -> None:
    length = announced_length(response.headers)
    if length is not None and length > limit:
        raise TooLarge


def add_capped(chunks: list[bytes], size: int, chunk: bytes, limit: int) -> int:
    size += len(chunk)
    if size > limit:
        raise TooLarge
    chunks.append(chunk)
    return size


@attrs.frozen
class Call:
    """One logical API call (possibly several attempts)."""

    method: str
    path: str
    kind: RequestKind = RequestKind.READ
    content: bytes | None = None
    params: Mapping[str, str | int] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    slug: str | None = None  # for submissions: which model, for error messages
    retries: bool = True
    request_id: str | None = None  # sent as x-request-id (a paid POST: one stable id per submission intent)
    # The outer wall-clock deadline (time.monotonic()) no attempt may pass: a wait's or a run's timeout.
    deadline: float | None = attrs.field(default=None, eq=False)
    # Told of each 429 with its Retry-After (submissions: the limiter then takes fewer slots).
    on_rate_limited: Callable[[float | None], None] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def body_sha256(self) -> str:
        digest = hashlib.sha256(self.content or b"")
        for name, (filename, data, _) in sorted((self.files or {}).items()):
            digest.update(f"{name}:{filename}:".encode() + data)
        return digest.hexdigest()


@attrs.frozen
class Step:
    """The verdict on one attempt: a value, an error to raise, or a retry after ``delay``."""

    value: Any = None
    error: ModellixError | None = None
    retry: Decision | None = None


@attrs.frozen
class Reply:
    """A successful answer: the envelope, and the 2xx status it came with (a submit's outcome errors need it)."""

    status: int
    payload: dict[str, Any]


class Exchange:
    """Turns responses and transport exceptions of one :class:`Call` into :class:`Step` verdicts."""

    def __init__(
        self, config: ClientConfig, policy: RetryPolicy, call: Call, rng: random.Random | None = None
    ) -> None:
        self.config = config
        self.policy: RetryPolicy = policy if call.retries else attrs.evolve(policy, max_retries=0)
        self.call = call
        self.rng = rng
        self.attempts: int = 0
        self.server_request_id: str | None = None  # the last reply's x-request-id
        self.deadline: float | None = None  # the current attempt's (see :mod:`.deadline`)

    def request_kwargs(self) -> dict[str, Any]:
        call, t = self.call, self.config.timeouts
        read = t.submit_read if call.kind is not RequestKind.READ else t.read
        self.deadline = attempt_deadline(t.connect + read, call.deadline)
        # httpx.Headers, not a dict: its repr masks Authorization (debuggers, tracebacks that show locals).
        headers = httpx.Headers({"Accept": "application/json", "User-Agent": self.config.user_agent})
        headers.update(self.config.auth_headers())
        if call.request_id is not None:
            headers["x-request-id"] = call.request_id
        kwargs: dict[str, Any] = {
            "method": call.method,
            "url": self.config.url(call.path),
            "headers": headers,
            "params": dict(call.params) if call.params else None,
            "timeout": bounded_timeout(t.connect, read, self.deadline),
        }
        if call.content is not None:
            headers["Content-Type"] = "application/json"
            kwargs["content"] = call.content
        if call.files is not None:
            kwargs["files"] = dict(call.files)
        self.attempts += 1
        return kwargs

    def on_exception(self, exc: httpx.HTTPError) -> Step:
        sent = not isinstance(exc, NOT_SENT_ERRORS)
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return self._no_reply(reason, sent=sent, timed_out=isinstance(exc, httpx.TimeoutException))

    def on_deadline(self) -> Step:
        """The attempt's total deadline passed (connect, headers or body): a submission's outcome is unknown."""
        budget = self.deadline_budget()
        return self._no_reply(f"no complete reply within the request's deadline ({budget})", sent=True, timed_out=True)

    def deadline_budget(self) -> str:
        t = self.config.timeouts
        read = t.submit_read if self.call.kind is not RequestKind.READ else t.read
        outer = " or the caller's timeout" if self.call.deadline is not None else ""
        return f"connect + read = {t.connect + read:g}s{outer}"

    def _no_reply(self, reason: str, *, sent: bool, timed_out: bool) -> Step:
        call = self.call
        decision = decide_on_network_error(call.kind, sent, self.attempts, self.policy, self.rng)
        if decision.retry and room_for(decision.delay, call.deadline):
            return self._retry(decision, reason)
        if decision.outcome_unknown:
            return Step(error=self._unknown(f"no response: {reason}"))
        cls = APITimeout if timed_out else APIConnectionError
        return Step(error=cls(reason, method=call.method, path=call.path))

    def on_too_large(self, status: int) -> Step:
        """A reply over the size cap: a paid POST's outcome is unknown, a read is an invalid response."""
        reason = f"a reply larger than {MAX_API_RESPONSE_BYTES} bytes (not read further)"
        call = self.call
        if call.kind is not RequestKind.READ:
            return Step(error=self._unknown(f"HTTP {status} with {reason}", status))
        return Step(error=ResponseTooLarge(reason, method=call.method, path=call.path, status=status))

    def on_response(self, status: int, headers: Mapping[str, str], content: bytes) -> Step:
        call = self.call
        self.server_request_id = headers.get("x-request-id")
        logger.debug(
            "%s %s -> HTTP %s (attempt %d)%s", call.method, call.path, status, self.attempts, self._ids()
        )
        if 200 <= status < 300:
            return self._on_success(status, headers, content)
        return self._on_error(status, headers, content, what=f"HTTP {status}", http_status=status)

    def _ids(self) -> str:
        """The request ids of the last exchange, for ``-v`` traces (sent by us, returned by the server)."""
        ids = [f"sent {self.call.request_id}"] if self.call.request_id else []
        if self.server_request_id:
            ids.append(f"server {self.server_request_id}")
        return f" [x-request-id {', '.join(ids)}]" if ids else ""

    def _on_error(
        self, code: int, headers: Mapping[str, str], content: bytes, *, what: str, http_status: int
    ) -> Step:
        """An error status (the HTTP one, or the ``code`` of a 2xx envelope): outcome unknown, retry, or raise."""
        call = self.call
        retry_after = retry_after_from(headers)
        self.server_request_id = headers.get("x-request-id")
        error = api_error_for(
            code,
            content,
            method=call.method,
            path=call.path,
            request_id=self.server_request_id,
            retry_after=retry_after,
            reset_at=rate_limit_reset(headers),
        )
        if code == 429 and call.on_rate_limited is not None:
            call.on_rate_limited(retry_after)
        decision = decide_on_status(call.kind, code, self.attempts, self.policy, retry_after, self.rng)
        if decision.outcome_unknown:
            return Step(error=self._unknown(f"{what} after the body was sent: {error.message}", http_status))
        if decision.retry and room_for(decision.delay, call.deadline):
            return self._retry(decision, f"{what} {error.message}")
        return Step(error=error)

    def _on_success(self, status: int, headers: Mapping[str, str], content: bytes) -> Step:
        try:
            payload = load_reply(content) if content.strip() else {}
        except ReplyNotJSON as exc:
            return self._invalid(f"body is {exc}", status, content)
        if not isinstance(payload, dict):
            return self._invalid("body is not a JSON object", status, content)
        code = payload.get("code", 0)
        if code not in (0, 200, None):
            # An error carried in a 200 envelope: the code is the real HTTP status.
            if isinstance(code, int) and 400 <= code < 600:
                return self._on_error(
                    code, headers, content, what=f"error code {code} in a 2xx envelope", http_status=status
                )
            return self._invalid(f"unexpected envelope code {repr(code)[:80]}", status, content)
        return Step(value=payload)

    def _invalid(self, reason: str, status: int, content: bytes) -> Step:
        call = self.call
        if call.kind is not RequestKind.READ:
            partial = {"status": status, "body_excerpt": content[:200].decode("utf-8", "replace")}
            return Step(error=self._unknown(f"HTTP {status} with {reason}", status, partial))
        return Step(error=InvalidResponse(reason, method=call.method, path=call.path, status=status))

    def _unknown(
        self, reason: str, status: int | None = None, partial: Mapping[str, Any] | None = None
    ) -> SubmissionOutcomeUnknown:
        call = self.call
        logger.warning("%s %s: outcome unknown (%s); not retrying", call.method, call.path, reason)
        return SubmissionOutcomeUnknown(
            reason,
            slug=call.slug or call.path,
            body_sha256=call.body_sha256,
            status=status,
            partial=partial,
            request_id=call.request_id,
            server_request_id=self.server_request_id,
        )

    def _retry(self, decision: Decision, reason: str) -> Step:
        logger.info(
            "%s %s: retrying in %.2fs after %s (attempt %d of %d)",
            self.call.method,
            self.call.path,
            decision.delay,
            reason,
            self.attempts,
            self.policy.max_retries + 1,
        )
        return Step(retry=decision)


def data_of(payload: Mapping[str, Any], *, method: str, path: str) -> Mapping[str, Any]:
    """The envelope's ``data`` object, or an InvalidResponse naming what is missing."""
    data = payload.get("data")
    if not isinstance(data, Mapping):
        raise InvalidResponse(f"expected an object at 'data', got {type(data).__name__}", method=method, path=path)
    return data


def check_open(closed: bool) -> None:
    if closed:
        raise ClientClosed("this client is closed (close()/aclose() or the end of its `with` block); create a new one")
