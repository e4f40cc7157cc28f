"""``modellix-typed models list|describe|schema``: browse the generated models offline (no key, no network)."""

from __future__ import annotations

import difflib
import json
import textwrap

import click

from .. import registry
from .connection import base_url_option
from .output import EXIT_CODES_HELP, CLIError, ExitCode, emit, json_option
from .schema_view import Parameter, parameters


@click.group()
@json_option
def models() -> None:
    """Browse the models this SDK was generated for (offline)."""


def _check_filter(option: str, value: str | None, known: set[str]) -> None:
    if value is None or value in known:
        return
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise CLIError(
        "UsageError",
        f"{option}: unknown value {value!r}{hint} (known: {', '.join(sorted(known))})",
        ExitCode.USAGE,
        option=option,
        value=value,
        known=sorted(known),
    )


@models.command("list", epilog=EXIT_CODES_HELP)
@click.option("--provider", help="Only this provider (e.g. google).")
@click.option("--type", "task_type", help="Only this task type (t2i, i2i, t2v, i2v, ...).")
@click.option("--search", help="Case-insensitive substring of the slug or title.")
@click.option(
    "--live",
    is_flag=True,
    help="Also ask the API (GET /api/v1/models; needs a key) and show which live models have a typed class.",
)
@base_url_option
@json_option
def list_(provider: str | None, task_type: str | None, search: str | None, live: bool, base_url: str | None) -> None:
    """List models (slug, task type, title); --quiet / --output slugs: one slug per line."""
    if live:
        from .live_catalog import list_live

        list_live(provider, task_type, search, base_url)
        return
    every = registry.list_models()
    _check_filter("--provider", provider, {m.provider for m in every})
    _check_filter("--type", task_type, {m.task_type for m in every})
    found = registry.list_models(provider, task_type)
    if search:
        needle = search.lower()
        found = [m for m in found if needle in m.slug.lower() or needle in m.title.lower()]
    rows = [
        {
            "slug": m.slug,
            "provider": m.provider,
            "model_id": m.model_id,
            "task_type": m.task_type,
            "title": m.title,
            "method": m.method,
            "path": m.path,
            "documented_path": m.documented_path,
            "doc_url": m.doc_url,
        }
        for m in found
    ]

    def human() -> None:
        if not rows:
            click.echo("no models match", err=True)
            return
        width = max(len(r["slug"]) for r in rows)
        for row in rows:
            click.echo(f"{row['slug']:<{width}}  {row['task_type']:<4}  {row['title']}")

    emit({"count": len(rows), "models": rows}, human, lambda: [r["slug"] for r in rows])


def _render_parameter(param: Parameter) -> list[str]:
    head = f"  {param.name}  ({param.type}{', required' if param.required else ''})"
    lines = [head]
    if param.description:
        lines += textwrap.wrap(param.description, width=96, initial_indent="      ", subsequent_indent="      ")
    if param.has_default:
        lines.append(f"      default: {json.dumps(param.default, ensure_ascii=False)}")
    if param.enum is not None:
        lines.append("      one of: " + ", ".join(json.dumps(v, ensure_ascii=False) for v in param.enum))
    if param.constraints:
        rules = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in param.constraints.items())
        lines.append(f"      constraints: {rules}")
    return lines


@models.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@json_option
def describe(slug: str) -> None:
    """Parameters of SLUG: types, required, defaults, allowed values, constraints, docs URL."""
    info = registry.info(slug)
    params = parameters(registry.json_schema(slug))
    model = {
        "slug": info.slug,
        "title": info.title,
        "provider": info.provider,
        "model_id": info.model_id,
        "task_type": info.task_type,
        "method": info.method,
        "path": info.path,
        "documented_path": info.documented_path,
        "doc_url": info.doc_url,
        "import_path": info.import_path,
        "parameters": [p.to_json() for p in params],
    }

    def human() -> None:
        click.echo(f"{info.slug}: {info.title} ({info.task_type})")
        click.echo(f"{info.method} {info.path} (documented as {info.documented_path})")
        click.echo(f"docs: {info.doc_url}")
        click.echo(f"python: {info.import_path}")
        click.echo("parameters:")
        for param in params:
            click.echo("\n".join(_render_parameter(param)))

    emit({"model": model}, human)


@models.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@json_option
def schema(slug: str) -> None:
    """The request body JSON Schema of SLUG (the bare schema; --json wraps it in {"ok", "slug", "schema"})."""
    document = registry.json_schema(slug)
    emit(
        {"slug": slug, "schema": document},
        lambda: click.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True)),
    )
