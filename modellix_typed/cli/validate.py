"""``modellix-typed validate SLUG (--body JSON | FILE | --body-file FILE | -)``: check a body offline, for CI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .body import load_body
from .output import EXIT_CODES_HELP, emit, json_option
from .safe_text import safe_text

if TYPE_CHECKING:
    from ..live_schema import LiveModel, SchemaUnavailable

    LiveModels = dict[str, LiveModel | SchemaUnavailable]


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
    unknown or the input unreadable, or a "@path" file is not an uploadable image. Nothing is sent anywhere. A
    SLUG this package has no class for (a model newer than it) is checked against its live api_schema (fetched
    without a key from MODELLIX_SCHEMA_ORIGIN, default https://www.modellix.ai, and cached); exit 2 when that
    schema cannot be fetched.
    """
    from .. import registry
    from .._core.prepare import live_schema_slug, prepare

    live = live_schema_slug(slug, True)
    if live is None:
        registry.info(slug)  # unknown slug -> usage error with did-you-mean, before reading the input
    if source is not None and source != "-" and body_file is None:
        body_file, source = source, None  # FILE argument: the same as --body-file FILE
    data = load_body(slug, body=body, body_file=body_file, stdin=source == "-")  # "@path" values: local files
    label = "--body" if body is not None else ("<stdin>" if source == "-" or body_file == "-" else str(body_file))
    if live is None:
        request = registry.validate(slug, data)
        prepare(request)  # "@path" files: read and checked (type, size) as a submit would, before anything is paid
        body_json = request.to_dict()
        emit({"slug": slug, "source": label, "body": body_json}, lambda: click.echo(safe_text(f"{label}: valid {slug} request")))
        return
    model = live_model(live)
    model.validate(data)
    emit(
        {"slug": slug, "source": label, "body": data, "checked_against": model.schema_url},
        lambda: click.echo(safe_text(f"{label}: valid {slug} request (checked against its live api_schema {model.schema_url})")),
    )


def check_body(slug: str, data: dict[str, Any]) -> None:
    """Offline checks before anything is paid: the generated class, or a new model's live api_schema."""
    from .. import registry
    from .._core.prepare import live_schema_slug

    live = live_schema_slug(slug, True)
    if live is None:
        registry.check(slug, data)
    else:
        live_model(live).validate(data)


def live_model(slug: str, known: LiveModels | None = None) -> LiveModel:
    """The live api_schema of ``slug`` (the disk cache while fresh, else a GET), or SchemaUnavailable; with
    ``known``, each slug is looked for once and its answer (schema or failure) reused from there."""
    found = known.get(slug) if known is not None else None
    if found is None:
        import httpx

        from .._sync.schema_fetch import load_live_model
        from ..live_schema import SchemaSource, SchemaUnavailable

        try:
            with httpx.Client(follow_redirects=False) as http:
                found = load_live_model(http, SchemaSource.from_env(), slug, httpx.Timeout(30.0, connect=10.0))
        except SchemaUnavailable as exc:
            found = exc
        if known is not None:
            known[slug] = found
    if isinstance(found, Exception):
        raise found.with_traceback(None)
    return found
