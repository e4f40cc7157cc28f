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

if TYPE_CHECKING:
    import httpx

    from .._sync.client import Modellix

BASE_URL_HELP = (
    "API origin, before or after the subcommand (env MODELLIX_BASE_URL; default https://api.modellix.ai): "
    "scheme://host[:port] only. The key is read from MODELLIX_API_KEY or a saved profile (`auth login`), "
    "never from the command line."
)


def origin_problem(url: str) -> str | None:
    """Why ``url`` is not an origin (a path, query or fragment), with the origin form to use; None if it is.

    The CLI appends ``/api/v1/...`` itself: ``https://host/api/v1`` would double the path on every call.
    """
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None  # not a URL at all: the client's own check says why
    extra = [
        what for what, there in (("a path", parts.path not in ("", "/")), ("a query", bool(parts.query)),
                                 ("a fragment", bool(parts.fragment) or url.strip().endswith("#"))) if there
    ]
    if not extra or not parts.scheme or not parts.netloc:
        return None
    origin = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return f"{url!r} has {' and '.join(extra)}; give the origin only: {origin}"


def _check_base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The explicit --base-url (after the subcommand, else before it), checked; None when neither."""
    if value is not None:
        problem = origin_problem(value)
        if problem is not None:
            raise click.BadParameter(problem, ctx, param)
        MODE.base_url = value  # the resume commands the CLI prints repeat it
        return value
    return MODE.base_url  # None: MODELLIX_BASE_URL, checked by checked_base_url when a client is made


def checked_base_url(base_url: str | None) -> str | None:
    """``base_url`` (already checked), else MODELLIX_BASE_URL when it is an origin: else a usage error
    (exit 2) before anything is sent."""
    import os

    from .output import CLIError, ExitCode

    if base_url is not None:
        return base_url
    env = os.environ.get("MODELLIX_BASE_URL") or None
    if env is not None and (problem := origin_problem(env)) is not None:
        raise CLIError("UsageError", f"MODELLIX_BASE_URL={problem}", ExitCode.USAGE)
    return env


base_url_option = click.option(
    "--base-url", default=None, metavar="URL", callback=_check_base_url, help=BASE_URL_HELP
)
global_base_url_option = click.option(
    "--base-url", "global_base_url", default=None, metavar="URL", is_eager=True, expose_value=False,
    callback=lambda ctx, param, value: None if value is None else _check_base_url(ctx, param, value),
    help=BASE_URL_HELP,
)

_TIMING = threading.local()  # seconds of the last HTTP exchange of this thread (set by the response hook)
_RESPONSE_RECORD = "%s %s -> HTTP %s (attempt %d)"  # the transport's per-response debug record


class _StderrTrace(logging.Handler):
    """Prints the SDK's log records on stderr; a response record gets the exchange's time appended."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = record.getMessage()
            if record.msg == _RESPONSE_RECORD:
                elapsed = getattr(_TIMING, "elapsed", None)
                line += f" in {elapsed * 1000:.0f} ms" if elapsed is not None else ""
            elif record.levelno < logging.INFO and MODE.verbosity < 2:
                return
            label = "http" if record.msg == _RESPONSE_RECORD else record.levelname.lower()
            click.echo(f"[{label}] {line}", err=True)
        except Exception:  # noqa: BLE001 - a diagnostics failure must never break a command
            self.handleError(record)


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
    import httpx

    logger = logging.getLogger("modellix_typed")
    handler = _StderrTrace()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    http = httpx.Client(follow_redirects=False, event_hooks={"request": [_stamp], "response": [_time]})
    try:
        yield {"http_client": http}
    finally:
        http.close()
        logger.removeHandler(handler)
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
