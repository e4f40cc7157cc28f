"""The local task history: every task id ``run`` and ``batch`` created, so none is ever forgotten.

Same file and format as modellix-cli's ``history.json`` (``{"version": 1, "entries": [...]}``, newest
first, at most :data:`MAX_ENTRIES`): the two tools share one history. An entry holds the task id, profile,
API origin, model slug, status and timestamps; never a key or a request body. An entry is identified by
(origin, profile, task id). Writes are locked (see :mod:`modellix_typed.local_files`). A failed write is a
warning on stderr, never an error: the task exists and its id has already been printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import click

from ..local_files import config_dir, locked, read_json, write_json
from .safe_text import safe_text

MAX_ENTRIES = 1000
VERSION = 1


@attrs.frozen
class Recorded:
    """One task to record (or whose status to refresh)."""

    task_id: str
    slug: str | None = None
    status: str | None = None


def history_path() -> Path:
    return config_dir() / "history.json"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_entries() -> list[dict[str, Any]]:
    """Every well-formed entry, newest first (a malformed entry is skipped, not fatal)."""
    data = read_json(history_path(), "Modellix task history")
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("taskId"), str)]


def _identity(entry: dict[str, Any]) -> tuple[Any, Any, Any]:
    return entry.get("baseUrl"), entry.get("profile"), entry.get("taskId")


def record(tasks: Iterable[Recorded], *, profile: str, base_url: str) -> None:
    """Add or refresh entries (newest first, bounded); warn on stderr instead of failing."""
    items = list(tasks)
    if not items:
        return
    path = history_path()
    try:
        with locked(path):
            entries = read_entries()
            stamp = _now()
            for item in items:
                key = (base_url, profile, item.task_id)
                previous = next((e for e in entries if _identity(e) == key), {})
                entry = {
                    "taskId": item.task_id,
                    "createdAt": previous.get("createdAt", stamp),
                    "updatedAt": stamp,
                    "baseUrl": base_url,
                    "profile": profile,
                }
                slug = item.slug or previous.get("modelSlug")
                status = item.status or previous.get("status")
                if slug:
                    entry["modelSlug"] = slug
                if status:
                    entry["status"] = status
                entries = [entry, *(e for e in entries if _identity(e) != key)][:MAX_ENTRIES]
            write_json(path, {"version": VERSION, "entries": entries})
    except Exception as exc:  # noqa: BLE001 - the task exists; losing the history line must not hide it
        ids = ", ".join(i.task_id for i in items[:5]) + (" ..." if len(items) > 5 else "")
        click.echo(safe_text(f"warning: task history not updated ({exc}); task id(s): {ids}"), err=True)


def matches(entry: dict[str, Any], *, profile: str | None, base_url: str | None) -> bool:
    """Whether an entry belongs to ``profile`` on ``base_url`` (None: any)."""
    same_profile = profile is None or entry.get("profile") == profile
    return same_profile and (base_url is None or entry.get("baseUrl") == base_url)


def clear(*, profile: str | None, base_url: str | None) -> int:
    """Remove the entries of ``profile``/``base_url`` (None: any); how many were removed."""
    path = history_path()
    with locked(path):
        entries = read_entries()
        kept = [e for e in entries if not matches(e, profile=profile, base_url=base_url)]
        if len(kept) != len(entries):
            write_json(path, {"version": VERSION, "entries": kept})
    return len(entries) - len(kept)
