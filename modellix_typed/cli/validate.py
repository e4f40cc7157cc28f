"""``modellix-typed validate SLUG FILE|-``: check a JSON body offline, for CI in other codebases."""

from __future__ import annotations

import click

from .. import registry
from .body import parse_body, read_source
from .output import EXIT_CODES_HELP, emit, json_option
from .safe_text import safe_text


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@click.argument("source", metavar="FILE|-")
@json_option
def validate(slug: str, source: str) -> None:
    """Validate the JSON request body in FILE (or stdin with -) against SLUG's documented rules.

    Exit 0 when valid; 3 with every problem listed (path, rule, value, message) when not; 2 when SLUG is
    unknown or FILE unreadable. Nothing is sent anywhere.
    """
    registry.info(slug)  # unknown slug -> usage error with did-you-mean, before reading the input
    text, label = read_source(source)
    request = registry.validate(slug, parse_body(text, label, slug))
    body = request.to_dict()
    emit({"slug": slug, "source": label, "body": body}, lambda: click.echo(safe_text(f"{label}: valid {slug} request")))
