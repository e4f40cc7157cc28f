"""``modellix-typed validate SLUG (--body JSON | FILE | --body-file FILE | -)``: check a body offline, for CI."""

from __future__ import annotations

import click

from .body import load_body
from .output import EXIT_CODES_HELP, emit, json_option


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@click.argument("source", metavar="[FILE|-]", required=False)
@click.option("--body", metavar="JSON", help="The request body as JSON text (as for `run`).")
@click.option(
    "--body-file", type=click.Path(dir_okay=False, allow_dash=True), help="Read the JSON body from a file (- = stdin)."
)
@json_option
def validate(slug: str, source: str | None, body: str | None, body_file: str | None) -> None:
    """Validate a JSON request body (--body JSON, FILE, --body-file FILE or -) against SLUG's rules.

    The body is given as for `run` (--body JSON, --body-file FILE, - for stdin) or as a FILE argument.
    Exit 0 when valid; 3 with every problem listed (path, rule, value, message) when not; 2 when SLUG is
    unknown or the input unreadable. Nothing is sent anywhere.
    """
    from .. import registry

    registry.info(slug)  # unknown slug -> usage error with did-you-mean, before reading the input
    if source is not None and source != "-" and body_file is None:
        body_file, source = source, None  # FILE argument: the same as --body-file FILE
    data = load_body(slug, body=body, body_file=body_file, stdin=source == "-")
    label = "--body" if body is not None else ("<stdin>" if source == "-" or body_file == "-" else str(body_file))
    request = registry.validate(slug, data)
    emit({"slug": slug, "source": label, "body": request.to_dict()}, lambda: click.echo(f"{label}: valid {slug} request"))
