"""How result files are saved, decided without I/O: safe names, the plan, the temp-file sink, fsync + atomic
rename, response and redirect checks, expiry warnings.

A file appears under its final name only once it is complete; an interrupted or oversized download leaves
nothing behind. Names come from the task id, the resource index and the format, never from the URL path
(which the server controls). Redirects are followed by hand (at most 5 hops), each target checked like the
first URL. The API key is never sent to result hosts or redirect targets: no Authorization header leaves here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import IO

import httpx

from ..config import Timeouts, check_url
from ..errors import ConfigurationError, DownloadError, DownloadTooLarge, FileAlreadyExists, ResultExpired
from ..fileio import fsync_dir
from ..results import Resource, TaskResult, TaskStatus, RESOURCE_PLACES
from .exchange import announced_length

logger = logging.getLogger("modellix_typed")


EXPIRY_WARNING_WINDOW = dt.timedelta(hours=2)
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_EXTENSIONS = {"image": "png", "video": "mp4", "audio": "mp3"}
CHUNK = 1 << 16


class ResultExpiryWarning(UserWarning):
    """The result's 24-hour retention window is about to end (or has ended)."""


def safe_filename(task_id: str, index: int, resource: Resource) -> str:
    """``<task id>-<index>.<format>``, restricted to ``[A-Za-z0-9._-]``, no leading dot."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", task_id)[:96].lstrip("._-") or "task"
    fmt = re.sub(r"[^a-z0-9]", "", (resource.format or "").lower())[:8]
    if not fmt:
        fmt = DEFAULT_EXTENSIONS.get((resource.type or "").lower(), "bin")
    return f"{stem}-{index}.{fmt}"


def plan(result: TaskResult, folder: Path, *, overwrite: bool) -> list[tuple[Resource, Path]]:
    """Check the folder and every URL before the first byte is fetched (warning if the result is expiring)."""
    warn_if_expiring(result, stacklevel=4)
    if not result.resources:
        if result.status is TaskStatus.SUCCESS:
            raise DownloadError(
                f"task {result.task_id} succeeded but the server's reply holds no resource URL to download "
                f"(looked in {' and '.join(RESOURCE_PLACES)}; got {result.keys_seen()})"
            )
        raise DownloadError(f"task {result.task_id} has no resources to download (status {result.raw_status})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, or no permission
        raise DownloadError(f"download folder {str(folder)!r} cannot be created: {exc.strerror}") from None
    targets = []
    for index, resource in enumerate(result.resources):
        try:
            check_url(resource.url, what=f"resources[{index}].url")
            httpx.URL(resource.url)  # what httpx itself refuses, refused here before any I/O
        except ConfigurationError as exc:
            raise DownloadError(str(exc)) from None
        except (httpx.InvalidURL, ValueError) as exc:  # ValueError: UnicodeError from httpx's own parsing
            raise DownloadError(f"resources[{index}].url: {exc}") from None
        target = folder / safe_filename(result.task_id, index, resource)
        if target.exists() and not overwrite:
            raise FileAlreadyExists(target)
        targets.append((resource, target))
    return targets


def warn_if_expiring(result: TaskResult, now: dt.datetime | None = None, *, stacklevel: int = 2) -> None:
    """Log and ``warnings.warn`` when fewer than two hours of the retention window remain."""
    expires = result.expires_at
    if expires is None:
        return
    now = now or dt.datetime.now(dt.timezone.utc)
    left = expires - now
    if left <= dt.timedelta(0):
        basis = "the server's expiry" if result.expires_at_from_server else "estimated: 7-day retention"
        message = f"task {result.task_id}: results probably expired at {expires.isoformat()} ({basis})"
    elif left <= EXPIRY_WARNING_WINDOW:
        message = f"task {result.task_id}: results expire in {left} (at {expires.isoformat()}); download now"
    else:
        return
    logger.warning(message)
    warnings.warn(message, ResultExpiryWarning, stacklevel=stacklevel)


class Sink:
    """A temp file next to the target: counts bytes, enforces the limit, then fsyncs and renames.

    With a ``Content-Encoding`` (gzip, deflate, br when ``brotli`` is installed) httpx decodes the body: the
    limit applies to the decoded bytes written (a gzip bomb stops at ``max_bytes``) and to the wire bytes
    read, and the announced Content-Length is compared with the wire bytes, never the decoded size."""

    def __init__(self, target: Path, url: str, max_bytes: int | None, expected: int | None) -> None:
        if expected is not None and max_bytes is not None and expected > max_bytes:
            raise DownloadTooLarge(f"{url}: Content-Length {expected} exceeds max_bytes={max_bytes}")
        self.target: Path = target
        self.url: str = url
        self.max_bytes: int | None = max_bytes
        self.expected: int | None = expected
        self.size: int = 0
        self.wire: int = 0  # bytes received before decoding (what Content-Length counts)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.chmod(name, 0o666 & ~_UMASK)  # mkstemp's 0600 would make saved results private to this user
        self.tmp: Path = Path(name)
        self.file: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, chunk: bytes, wire: int | None = None) -> None:
        """Append decoded ``chunk``; ``wire``: the bytes received so far (``response.num_bytes_downloaded``)."""
        self.size += len(chunk)
        self.wire = self.size if wire is None else wire
        if self.max_bytes is not None and max(self.size, self.wire) > self.max_bytes:
            raise DownloadTooLarge(f"{self.url}: more than max_bytes={self.max_bytes} bytes")
        self.file.write(chunk)

    def commit(self) -> Path:
        if self.expected is not None and self.wire != self.expected:
            raise DownloadError(f"{self.url}: truncated body ({self.wire} of {self.expected} bytes received)")
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.target)
        fsync_dir(self.target.parent)
        logger.info("saved %s (%d bytes)", self.target, self.size)
        return self.target

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def expiry_note(result: TaskResult) -> str:
    """What is known about when ``result`` expires, for an error message."""
    expires = result.expires_at
    if expires is None:
        return "results are kept about 7 days"
    basis = "as the server stated" if result.expires_at_from_server else "estimated, 7 days after the end"
    tense = "expired" if expires <= dt.datetime.now(dt.timezone.utc) else "expire"
    return f"its results {tense} at {expires.isoformat()} ({basis})"


def check_response(response: httpx.Response, result: TaskResult, resource: Resource) -> int | None:
    """Status and content verdict for a result download; returns the announced length, if any.

    A 2xx that is not media (an HTML error page, a JSON envelope) must not be saved as the result.
    """
    url = resource.url
    if response.status_code in (404, 410):
        raise ResultExpired(
            response.status_code,
            "Result expired",
            f"result file of task {result.task_id} is gone (HTTP {response.status_code}); {expiry_note(result)}",
            method="GET",
            path=httpx.URL(url).path,
        )
    if not 200 <= response.status_code < 300:
        raise DownloadError(f"GET {url} -> HTTP {response.status_code}")
    check_media_type(response.headers.get("content-type"), resource, url)
    return announced_length(response.headers)


_GENERIC_BINARY = frozenset({"application/octet-stream", "binary/octet-stream"})


def check_media_type(content_type: str | None, resource: Resource, url: str) -> None:
    """No Content-Type passes (some CDNs omit it); otherwise it must be the resource's kind of media."""
    if not content_type:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _GENERIC_BINARY:
        return
    kind = (resource.type or "").lower()
    expected = {kind} if kind in ("image", "video", "audio") else {"image", "video", "audio"}
    if media_type.split("/", 1)[0] not in expected:
        wanted = " or ".join(f"{k}/*" for k in sorted(expected))
        raise DownloadError(f"GET {url}: Content-Type {media_type!r} is not {wanted}; not saved")


def download_timeout(t: Timeouts) -> httpx.Timeout:
    """A download's timeouts: the read timeout of downloads (files are large), the connect one for the rest."""
    return httpx.Timeout(connect=t.connect, read=t.download_read, write=t.read, pool=t.connect)


def schema_timeout(t: Timeouts) -> httpx.Timeout:
    """A live api_schema fetch's timeouts: the API's read timeout (a schema is a small JSON document)."""
    return httpx.Timeout(connect=t.connect, read=t.read, write=t.read, pool=t.connect)


def result_request(http: httpx.Client | httpx.AsyncClient, url: str, timeout: httpx.Timeout | None) -> httpx.Request:
    """A plain GET: even an injected httpx client's default Authorization header is removed."""
    request = http.build_request("GET", url, timeout=timeout)
    request.headers.pop("authorization", None)
    return request


def redirect_target(response: httpx.Response, url: str, hops: int) -> str | None:
    """Where a 3xx points (checked like a result URL), None for any other answer; DownloadError past 5 hops."""
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("location")
    if not location:
        raise DownloadError(f"GET {url} -> HTTP {response.status_code} without a Location header")
    if hops >= MAX_REDIRECTS:
        raise DownloadError(f"GET {url}: more than {MAX_REDIRECTS} redirects; not followed")
    what = f"redirect {hops + 1} (HTTP {response.status_code} from {httpx.URL(url).host})"
    try:
        target = str(httpx.URL(url).join(location))
        check_url(target, what=what)
        httpx.URL(target)
    except ConfigurationError as exc:
        raise DownloadError(str(exc)) from None
    except (httpx.InvalidURL, ValueError) as exc:  # never echo the Location: it may hold credentials
        raise DownloadError(f"{what}: the Location is not a usable URL ({exc})") from None
    logger.debug("result download redirected (%d) to host %s", response.status_code, httpx.URL(target).host)
    return target


def abandon(sink: Sink | None, url: str, exc: BaseException) -> BaseException:
    """Remove the temp file whatever stopped the download (cancellation and Ctrl-C too); what to raise.

    Network and file-system failures become a DownloadError; anything else (ResultExpired, DownloadError,
    CancelledError, KeyboardInterrupt) propagates as is.
    """
    if sink is not None:
        sink.discard()
    if not isinstance(exc, (httpx.HTTPError, httpx.InvalidURL, OSError)):
        return exc
    error = DownloadError(f"{url}: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error
