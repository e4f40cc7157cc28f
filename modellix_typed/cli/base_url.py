"""Where the API origin of a command is decided: ``--base-url`` before or after the subcommand, else
``MODELLIX_BASE_URL``; an origin only (a path, query or fragment is a usage error, exit 2, before anything
is sent). Kept apart from :mod:`.connection` so ``--help`` never loads logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .output import MODE

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


_BASE_URL_OPTION = click.option(
    "--base-url", default=None, metavar="URL", callback=_check_base_url, help=BASE_URL_HELP
)
_GLOBAL_BASE_URL_OPTION = click.option(
    "--base-url", "global_base_url", default=None, metavar="URL", is_eager=True, expose_value=False,
    callback=_check_base_url,
    help=BASE_URL_HELP,
)


def base_url_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--base-url URL`` on a command (checked: an origin, no path, query or fragment)."""
    return _BASE_URL_OPTION(command)


def global_base_url_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--base-url URL`` before the subcommand (the same check; passed on to the subcommand)."""
    return _GLOBAL_BASE_URL_OPTION(command)
