"""Every error this SDK raises on purpose, rooted at :class:`ModellixError`.

API errors are keyed by HTTP status (:func:`api_error_for`). Messages never contain the API key: they are
built from the status, the server's ``message`` and the request path only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def short(value: str, limit: int = 80) -> str:
    """Data URIs can be megabytes; keep error messages readable."""
    return value if len(value) <= limit else value[: limit - 3] + "..."

class ModellixError(Exception):
    """Base class of every error this SDK raises on purpose."""


class ConfigurationError(ModellixError, ValueError):
    """A client setting is unusable (bad base URL, missing key, bad timeout...)."""


class MissingAPIKey(ConfigurationError):
    """No API key was given and ``MODELLIX_API_KEY`` is unset; raised at the first call that needs one."""


class UnsupportedUpload(ConfigurationError):
    """A file refused before it is uploaded (nothing was sent or paid): empty, over the 16 MiB limit, or not
    PNG/JPEG/WebP by its first bytes (the limits modellix-agent-canvas and dsh-modellix check). ``field`` is
    the body field (or ``file``), ``rule`` the limit broken, ``value`` what was found."""

    def __init__(self, field: str, rule: str, value: object, message: str) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        super().__init__(f"{field}: {message} (rule: {rule}, got {value!r})")


class ClientClosed(ModellixError, RuntimeError):
    """The client (or the ``httpx`` client it was given) is closed; create a new one."""


# --- HTTP / API errors ------------------------------------------------------------------------------------


class APIError(ModellixError):
    """The API answered with an error status. ``category``/``detail`` come from ``"category: detail"``."""

    def __init__(
        self,
        status: int,
        category: str,
        detail: str,
        *,
        method: str = "",
        path: str = "",
        request_id: str | None = None,
        body: str = "",
    ) -> None:
        self.status = status
        self.category = category
        self.detail = detail
        self.method = method
        self.path = path
        self.request_id = request_id
        self.body = body
        where = f" ({method} {path})" if method or path else ""
        rid = f" [request id {request_id}]" if request_id else ""
        text = f"{category}: {detail}" if category and detail else (category or detail or "no error message")
        super().__init__(f"HTTP {status}{where}: {text}{rid}")

    @property
    def message(self) -> str:
        return f"{self.category}: {self.detail}" if self.category else self.detail


class BadRequest(APIError):
    """400: invalid parameters; fix the request, never retried."""


class Conflict(BadRequest):
    """409: the request conflicts with the server's state (a BadRequest, as dsh-modellix maps it).

    To a paid POST or an upload a 409 is not raised as this: its outcome is unknown (SubmissionOutcomeUnknown).
    """


class UnprocessableEntity(BadRequest):
    """422: well-formed but refused parameters (a BadRequest, as dsh-modellix maps it)."""


class AuthenticationError(APIError):
    """401: invalid, missing or expired API key."""


class InsufficientBalance(APIError):
    """402: the team balance is too low; recharge, never retried."""


class PolicyBlocked(APIError):
    """403: the request is refused by a policy (content, region, account restriction); never retried."""


class NotFound(APIError):
    """404: unknown task, model or file (or an expired task)."""


class RateLimited(APIError):
    """429: rate or concurrency limit. To a paid POST it means no task was created, and it is not re-sent
    (unless ``RetryPolicy(retry_submissions=True)``). ``retry_after`` is in seconds when the server said so
    (``Retry-After``, else ``X-RateLimit-Reset`` with no quota left); ``reset_at`` is the raw
    ``X-RateLimit-Reset`` as a Unix time, when sent."""

    def __init__(
        self, *args: Any, retry_after: float | None = None, reset_at: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after
        self.reset_at = reset_at
        hints = []
        if retry_after is not None:
            hints.append(f"Retry-After {retry_after:g}s")
        if reset_at is not None:
            hints.append(f"X-RateLimit-Reset {reset_at:.0f}")
        if hints:
            self.args: tuple[Any, ...] = (f"{self.args[0]} ({', '.join(hints)})",)


class ServerError(APIError):
    """5xx: a server-side problem; reads are retried with backoff."""


class ServiceUnavailable(ServerError):
    """503: temporarily unavailable (e.g. circuit breaker open)."""


class InvalidResponse(ModellixError):
    """A 2xx response whose body is not the documented envelope (not JSON, missing ``data``...)."""

    def __init__(self, reason: str, *, method: str = "", path: str = "", status: int | None = None) -> None:
        self.reason = reason
        self.method = method
        self.path = path
        self.status = status
        super().__init__(f"invalid response to {method} {path} (HTTP {status}): {reason}")


class TaskIdMismatch(InvalidResponse):
    """A status reply names another task than the one asked for (a proxy/cache mix-up): never trusted."""

    def __init__(self, asked: str, got: str, *, method: str = "", path: str = "", status: int | None = None) -> None:
        self.asked = asked
        self.got = got
        super().__init__(f"asked for task {asked!r}, the reply is about task {got!r}", method=method, path=path, status=status)


class ResponseTooLarge(InvalidResponse):
    """An API reply larger than the client's cap (16 MiB): not read further."""


class APIConnectionError(ModellixError):
    """The request did not get an HTTP response (DNS, refused connection, dropped connection...)."""

    def __init__(self, reason: str, *, method: str = "", path: str = "") -> None:
        self.reason = reason
        self.method = method
        self.path = path
        super().__init__(f"{method} {path} failed: {reason}")


class APITimeout(APIConnectionError):
    """The request timed out before a complete response arrived."""


class SubmissionOutcomeUnknown(ModellixError):
    """A paid or side-effecting POST may or may not have been accepted; it is NEVER retried automatically.

    Check your tasks/balance before resubmitting. ``body_sha256`` identifies the exact body that was sent;
    ``partial`` holds whatever the server did return (status, text excerpt), if anything.
    """

    def __init__(
        self,
        reason: str,
        *,
        slug: str,
        body_sha256: str,
        status: int | None = None,
        partial: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        server_request_id: str | None = None,
    ) -> None:
        self.reason = reason
        self.slug = slug
        self.body_sha256 = body_sha256
        self.status = status
        self.partial: dict[str, Any] = dict(partial or {})
        self.request_id = request_id  # the x-request-id this client sent (the journal's key for it)
        self.server_request_id = server_request_id  # the x-request-id of the reply, if any
        ids = "".join(
            f" {name}={value}" for name, value in (("x-request-id", request_id), ("server request id", server_request_id))
            if value
        )
        super().__init__(
            f"outcome of POST for {slug} is unknown ({reason}); it was not retried to avoid a duplicate "
            f"charge. body sha256={body_sha256[:16]}...{ids} Check the task list/balance before resubmitting."
        )


# --- task lifecycle --------------------------------------------------------------------------------------


class TaskError(ModellixError):
    """Base of errors about one submitted task; always carries ``task_id``."""

    task_id: str


class TaskFailed(TaskError):
    """The task ended with status ``failed``; ``message`` is the server's explanation, if any."""

    def __init__(self, task_id: str, message: str, result: Any = None) -> None:
        self.task_id = task_id
        self.message = message
        self.result = result
        super().__init__(f"task {task_id} failed: {message or 'no error message from the server'}")


class TaskCancelled(TaskFailed):
    """The task ended ``canceled``/``cancelled``: a TaskFailed (caught with it) that says it was cancelled."""

    def __init__(self, task_id: str, message: str, result: Any = None) -> None:
        super().__init__(task_id, message, result)
        self.args: tuple[Any, ...] = (f"task {task_id} was cancelled: {message or 'no reason given by the server'}",)


class TaskTimeout(TaskError):
    """The wait deadline passed; the task may still finish. Resume with ``client.tasks.wait(task_id)``.

    ``last_status`` is the status word last read from the server (None only when no poll ever answered;
    then ``last_error`` says what went wrong instead).
    """

    def __init__(self, task_id: str, waited: float, last_status: str | None, last_error: str | None = None) -> None:
        self.task_id = task_id
        self.waited = waited
        self.last_status = last_status
        self.last_error = last_error
        self.seen: str
        if last_status is not None:
            self.seen = f"last status: {last_status}"
        elif last_error is not None:
            self.seen = f"no status read yet; last poll failed: {last_error}"
        else:
            self.seen = "no status read yet"
        super().__init__(
            f"task {task_id} not finished after {waited:.1f}s ({self.seen}); "
            f"resume with client.tasks.wait({task_id!r})"
        )


class ResultExpired(NotFound):
    """A result file (or task) is gone because its retention window passed (the server's ``ASSET_EXPIRED``,
    an HTTP 410, or a download after the known expiry); a NotFound, so existing handlers keep working."""


# --- downloads -------------------------------------------------------------------------------------------


class DownloadError(ModellixError):
    """A result file could not be saved (bad URL, truncated body, I/O error); no partial file is left."""


class FileAlreadyExists(DownloadError):
    """A result file's target exists and ``overwrite`` was not given (nothing was downloaded)."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(f"{path} already exists (pass overwrite=True to replace it)")


class DownloadTooLarge(DownloadError):
    """The file is larger than ``max_bytes``."""


# --- response parsing ------------------------------------------------------------------------------------

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    402: InsufficientBalance,
    403: PolicyBlocked,
    404: NotFound,
    409: Conflict,
    410: ResultExpired,
    422: UnprocessableEntity,
    429: RateLimited,
    503: ServiceUnavailable,
}


ASSET_EXPIRED = "ASSET_EXPIRED"  # dsh-modellix's error code for a result past its retention


def split_message(message: str) -> tuple[str, str]:
    """``"Invalid format: parameter 'size' ..."`` -> ``("Invalid format", "parameter 'size' ...")``."""
    category, sep, detail = message.partition(":")
    if not sep:
        return "", message.strip()
    return category.strip(), detail.strip()


def api_error_for(
    status: int,
    content: bytes,
    *,
    method: str = "",
    path: str = "",
    request_id: str | None = None,
    retry_after: float | None = None,
    reset_at: float | None = None,
) -> APIError:
    """Build the typed error for an error response; tolerant of non-JSON bodies (HTML from a proxy...).

    A body naming ``ASSET_EXPIRED`` (as ``code``, ``error_code`` or in the message) is a ResultExpired."""
    from .json_bounds import (
        load_reply,  # only on an error response: importing a model class must not load json
    )

    text = content[:2000].decode("utf-8", errors="replace")
    try:
        payload = load_reply(content)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        category, detail = split_message(payload["message"])
    elif text.strip():
        category, detail = "", f"non-JSON error body: {text.strip()[:200]}"
    else:
        category, detail = "", ""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    if status < 500 and ASSET_EXPIRED in text:
        cls = ResultExpired
    kwargs: dict[str, Any] = {"method": method, "path": path, "request_id": request_id, "body": text}
    if cls is RateLimited:
        return RateLimited(status, category, detail, retry_after=retry_after, reset_at=reset_at, **kwargs)
    return cls(status, category, detail, **kwargs)
