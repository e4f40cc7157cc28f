"""Where the CLI builds its API client: base URL, key (environment or saved profile), ``--verbose`` tracing.

The key comes from ``MODELLIX_API_KEY``, else the saved profile (``--profile``, ``MODELLIX_PROFILE``, the
current one): never from the command line. ``--verbose``/``--debug`` print one line per HTTP exchange on
stderr (method, path, attempt, status, time) from the transport's own log record plus an httpx event hook
that times it; headers and bodies are never printed, so neither is the key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from .output import MODE
from .safe_text import safe_text

if TYPE_CHECKING:
    import httpx

    from .._sync.client import Modellix

# re-exported: every command imports its options from here
from .base_url import base_url_option as base_url_option
from .base_url import checked_base_url as checked_base_url


_TIMING = threading.local()  # seconds of the last HTTP exchange of this thread (set by the response hook)
_RESPONSE_RECORD = "%s %s -> HTTP %s (attempt %d)%s"  # the transport's per-response debug record (+ request ids)
_SHOWN_FROM = {0: logging.WARNING, 1: logging.INFO}  # lowest level shown per --verbose count (--debug: all)


class _StderrTrace(logging.Handler):
    """Prints the SDK's log records on stderr, sanitized (:mod:`.safe_text`): warnings always, INFO with
    ``--verbose``, DEBUG with ``--debug``; a response record gets the exchange's time, then its request ids
    (``[x-request-id sent ..., server ...]``)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = record.getMessage()
            if record.msg == _RESPONSE_RECORD and isinstance(record.args, tuple) and len(record.args) == 5:
                elapsed = getattr(_TIMING, "elapsed", None)
                line = _RESPONSE_RECORD.removesuffix("%s") % record.args[:4]
                line += f" in {elapsed * 1000:.0f} ms" if elapsed is not None else ""
                line += str(record.args[4])  # the request ids, last
            elif record.levelno < _SHOWN_FROM.get(MODE.verbosity, logging.DEBUG):
                return
            label = "http" if record.msg == _RESPONSE_RECORD else record.levelname.lower()
            click.echo(safe_text(f"[{label}] {line}"), err=True)
        except Exception:  # noqa: BLE001 - a diagnostics failure must never break a command
            self.handleError(record)


def _show_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    """``warnings.showwarning`` for the CLI: a library warning (e.g. result expiry) is one sanitized line."""
    click.echo(safe_text(f"[warning] {category.__name__}: {message}"), err=True)


@contextmanager
def stderr_log() -> Iterator[None]:
    """For one CLI run: the SDK's log records and warnings reach stderr only through :class:`_StderrTrace`
    (never Python's last-resort handler, which would print a server's raw bytes)."""
    import warnings

    logger = logging.getLogger("modellix_typed")
    handler = _StderrTrace()
    logger.addHandler(handler)
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        yield
    finally:
        warnings.showwarning = shown
        logger.removeHandler(handler)


def _stamp(request: httpx.Request) -> None:
    request.extensions["modellix_started"] = time.monotonic()


def _time(response: httpx.Response) -> None:
    started = response.request.extensions.get("modellix_started")
    _TIMING.elapsed = time.monotonic() - started if isinstance(started, float) else None


@contextmanager
def tracing() -> Iterator[dict[str, Any]]:
    """Extra client arguments for ``--verbose``/``--debug`` (an httpx client with timing hooks), else none."""
    if MODE.verbosity == 0:
        yield {}
        return
    # an httpx client whose sockets honour the requests' deadlines
    from .._sync.deadline import Deadline

    logger = logging.getLogger("modellix_typed")
    previous = logger.level
    logger.setLevel(logging.DEBUG)  # printed by the handler stderr_log() installed for the whole run
    http = Deadline.client(event_hooks={"request": [_stamp], "response": [_time]})
    try:
        yield {"http_client": http}
    finally:
        http.close()
        logger.setLevel(previous)


@contextmanager
def make_client(base_url: str | None, *, max_concurrency: int | None = None) -> Iterator[Modellix]:
    """A client whose key comes from the environment or the saved profile; a missing key fails first."""
    from .._sync.client import Modellix  # lazy: the offline commands never import httpx

    options: dict[str, Any] = {"base_url": checked_base_url(base_url), "profile": MODE.profile}
    if max_concurrency is not None:
        options["max_concurrency"] = max_concurrency
    with tracing() as extra, Modellix(**options, **extra) as client:
        client.config.require_key()
        try:
            yield client
        except Exception as exc:
            explain(exc, client.config.base_url, client.config.key_source, client.config.api_key)
            raise


def explain(exc: BaseException, origin: str, key_source: str, key: str | None) -> None:
    """Add to an API error what the CLI knows and the SDK's message cannot: which key a 401 refused (its
    source, masked) and which origin a connection failed to reach. Read by :func:`.output.describe_error`."""
    from ..errors import APIConnectionError, AuthenticationError
    from ..profiles import mask

    if isinstance(exc, AuthenticationError):
        source = "the MODELLIX_API_KEY environment variable" if key_source == "MODELLIX_API_KEY" else key_source
        shown = f" ({mask(key)})" if key else ""
        exc.cli_hint = (  # type: ignore[attr-defined]
            f"the key{shown} came from {source}: check it with `modellix-typed auth status`, "
            "or save another with `modellix-typed auth login`"
        )
    elif isinstance(exc, APIConnectionError):
        exc.cli_hint = f"API origin {origin} (--base-url, MODELLIX_BASE_URL)"  # type: ignore[attr-defined]


def profile_name() -> str:
    """The profile this run uses (recorded in the task history even when the key came from the environment)."""
    from .. import profiles

    try:
        return profiles.select(MODE.profile, profiles.load())[0]
    except Exception:  # noqa: BLE001 - an unreadable config must not hide the task id being recorded
        return profiles.DEFAULT_PROFILE
