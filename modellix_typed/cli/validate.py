"""``modellix-typed validate SLUG FILE|-``: check a JSON body offline, for CI in other codebases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .. import registry
from .body import local_files, parse_body, read_source
from .output import EXIT_CODES_HELP, emit, json_option
from .safe_text import safe_text

if TYPE_CHECKING:
    from ..live_schema import LiveModel


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@click.argument("source", metavar="FILE|-")
@json_option
def validate(slug: str, source: str) -> None:
    """Validate the JSON request body in FILE (or stdin with -) against SLUG's documented rules.

    Exit 0 when valid; 3 with every problem listed (path, rule, value, message) when not; 2 when SLUG is
    unknown or FILE unreadable, or a "@path" file is not an uploadable image. Nothing is sent anywhere. A SLUG
    this package has no class for (a model newer than it) is checked against its live api_schema (fetched without
    a key from MODELLIX_SCHEMA_ORIGIN, default https://www.modellix.ai, and cached); exit 2 when that schema
    cannot be fetched.
    """
    from .._core.prepare import live_schema_slug, prepare

    live = live_schema_slug(slug, True)
    if live is None:
        registry.info(slug)  # unknown slug -> usage error with did-you-mean, before reading the input
    text, label = read_source(source)
    data = local_files(parse_body(text, label, slug))
    if live is None:
        request = registry.validate(slug, data)
        prepare(request)  # "@path" files: read and checked (type, size) as a submit would, before anything is paid
        body = request.to_dict()
        emit({"slug": slug, "source": label, "body": body}, lambda: click.echo(safe_text(f"{label}: valid {slug} request")))
        return
    model = _live_model(live)
    model.validate(data)
    emit(
        {"slug": slug, "source": label, "body": data, "checked_against": model.schema_url},
        lambda: click.echo(safe_text(f"{label}: valid {slug} request (checked against its live api_schema {model.schema_url})")),
    )


def check_body(slug: str, data: dict[str, Any]) -> None:
    """Offline checks before anything is paid: the generated class, or a new model's live api_schema."""
    from .._core.prepare import live_schema_slug

    live = live_schema_slug(slug, True)
    if live is None:
        registry.check(slug, data)
    else:
        _live_model(live).validate(data)


def _live_model(slug: str) -> LiveModel:
    import httpx

    from .._sync.schema_fetch import load_live_model
    from ..live_schema import SchemaSource

    with httpx.Client(follow_redirects=False) as http:
        return load_live_model(http, SchemaSource.from_env(), slug, httpx.Timeout(30.0, connect=10.0))
