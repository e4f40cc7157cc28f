"""``modellix-typed models list|describe|schema``: browse the generated models offline (no key, no network)."""

from __future__ import annotations

import difflib
import json
import textwrap
from typing import Any

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
    names = param.name if param.python in ("", param.name) else f"{param.name} (Python: {param.python})"
    lines = [f"  {names}  ({param.type}{', required' if param.required else ''})"]
    if param.description:
        lines += textwrap.wrap(param.description, width=96, initial_indent="      ", subsequent_indent="      ")
    if param.has_default:
        lines.append(f"      default: {json.dumps(param.default, ensure_ascii=False)}")
    if param.enum is not None:
        lines.append("      one of: " + ", ".join(json.dumps(v, ensure_ascii=False) for v in param.enum))
    if param.constraints:
        rules = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in param.constraints.items())
        lines.append(f"      constraints: {rules}")
    if param.size_format:
        lines.append(f"      size format: {param.size_format} (the other separator is rejected with the corrected value)")
    for rule in param.rules:
        lines.append(f"      rule ({rule['kind']}): {_rule_text(rule)}")
        lines += textwrap.wrap(f'"{rule["sentence"]}"', width=96, initial_indent="        docs: ",
                               subsequent_indent="              ")
    return lines


def _rule_text(rule: dict[str, Any]) -> str:
    """What a prose rule checks, in a few words (its sentence follows it)."""
    from ..wording import exact_number

    fields = ", ".join(rule["fields"])
    kind = rule["kind"]
    low, high = rule.get("low"), rule.get("high")
    span = " and ".join(exact_number(b) for b in (low, high) if b is not None)
    span = f"between {span}" if low is not None and high is not None else (
        f">= {exact_number(low)}" if low is not None else f"<= {exact_number(high)}" if high is not None else "")
    texts = {
        "pixels": f"width x height of {fields} {span}",
        "aspect_ratio": f"width / height of {fields} {span}",
        "side": f"each side of {fields} {span}",
        "multiple_of": f"{fields} divisible by {rule.get('divisor')}",
        "requires": f"{rule['fields'][0]} needs {', '.join(rule['fields'][1:])}",
        "excludes": f"{rule['fields'][0]} excludes {', '.join(rule['fields'][1:])}",
        "exactly_one": f"exactly one of {fields}",
        "at_least_one": f"at least one of {fields}",
    }
    if kind == "when":
        trigger, target = rule["fields"]
        when = f"{trigger} is set" if "when_values" not in rule else f"{trigger} is {rule['when_values']}"
        then = {"present": "required", "absent": "omitted"}.get(str(rule.get("then")), f"one of {rule.get('values')}")
        return f"{target} {then} when {when}"
    return texts.get(kind, fields)


@models.command(epilog=EXIT_CODES_HELP)
@click.argument("slug")
@json_option
def describe(slug: str) -> None:
    """Parameters of SLUG: wire and Python names, types, defaults, allowed values, constraints, size format,
    the rules its page states in prose (with their sentences), docs URL."""
    from .schema_view import rule_json

    info = registry.info(slug)
    cls = registry.get(slug)
    rules: tuple[Any, ...] = tuple(cls._RULES)
    params = parameters(registry.json_schema(slug), attributes=getattr(cls, "_ATTRIBUTES", {}), rules=rules)
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
        "rules": [rule_json(rule) for rule in rules],
    }

    def human() -> None:
        click.echo(f"{info.slug}: {info.title} ({info.task_type})")
        click.echo(f"{info.method} {info.path} (documented as {info.documented_path})")
        click.echo(f"docs: {info.doc_url}")
        click.echo(f"python: {info.import_path}")
        click.echo("parameters (wire name, then the Python attribute when it differs):")
        for param in params:
            click.echo("\n".join(_render_parameter(param)))
        if not rules:
            click.echo("rules stated in prose: none")

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
