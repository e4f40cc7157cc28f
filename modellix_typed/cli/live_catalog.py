"""``models list --live``: the API's live catalog merged with the generated one.

``GET /api/v1/models`` answers a top-level ``models`` array (what modellix-cli reads); a ``data`` envelope
is tolerated too (:func:`modellix_typed.common_api.parse_models`). Each slug is then one of: ``typed``
(live, with a generated class), ``untyped`` (live, no class yet: regenerate), ``not_live`` (a class the live
API no longer lists: it may be retired). A catalog price, when an entry carries one, is shown (``price_usd``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .. import registry
from .connection import make_client
from .output import emit
from .safe_text import safe_text

if TYPE_CHECKING:
    from ..common_api import ModelInfo

REGENERATE = "make specs DOCS_URL=https://docs.modellix.ai && make generate"
STATES = ("typed", "untyped", "not_live")


def _matches(row: dict[str, Any], provider: str | None, task_type: str | None, search: str | None) -> bool:
    if provider is not None and row["provider"] != provider:
        return False
    if task_type is not None and task_type not in (row["task_type"], row["live_type"]):
        return False
    if search:
        needle = search.lower()
        return needle in row["slug"].lower() or needle in (row["title"] or "").lower()
    return True


def _price(model: ModelInfo | None) -> str | None:
    """The catalog's unit price in USD (``price``, ``price_usd``, ``pricing.usd|price``), when it lists one."""
    price = model.price if model is not None else None
    return None if price is None else str(price)


def list_live(provider: str | None, task_type: str | None, search: str | None, base_url: str | None) -> None:
    with make_client(base_url) as client:
        live = {m.slug: m for m in client.models()}
    typed = {m.slug: m for m in registry.list_models()}
    rows: list[dict[str, Any]] = []
    for slug in sorted(set(live) | set(typed)):
        mine, theirs = typed.get(slug), live.get(slug)
        state = "typed" if mine and theirs else ("untyped" if theirs else "not_live")
        rows.append({
            "slug": slug,
            "provider": slug.split("/", 1)[0],
            "state": state,
            "task_type": mine.task_type if mine else None,
            "live_type": theirs.type if theirs else None,
            "title": mine.title if mine else (theirs.description if theirs else None),
            "docs_url": (theirs.docs_url if theirs else None) or (mine.doc_url if mine else None),
            "price_usd": _price(theirs),
        })
    rows = [r for r in rows if _matches(r, provider, task_type, search)]
    counts = {state: sum(r["state"] == state for r in rows) for state in STATES}
    payload = {"count": len(rows), "live_count": len(live), "summary": counts, "models": rows,
               "regenerate": REGENERATE if counts["untyped"] else None}

    def human() -> None:
        width = max((len(r["slug"]) for r in rows), default=0)
        for row in rows:
            price = f"  ${row['price_usd']}" if row["price_usd"] is not None else ""
            click.echo(safe_text(f"{row['slug']:<{width}}  {row['state']:<8}  {row['live_type'] or row['task_type'] or ''}{price}"))
        click.echo(f"{counts['typed']} live with a typed class, {counts['untyped']} live without one, "
                   f"{counts['not_live']} typed but not listed live")
        if counts["untyped"]:
            click.echo(f"to generate the missing classes: {REGENERATE}")

    emit(payload, human, lambda: [r["slug"] for r in rows if r["state"] != "not_live"])
