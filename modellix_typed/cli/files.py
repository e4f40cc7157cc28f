"""``modellix-typed file upload PATH`` / ``file delete ID``: the media API, named as modellix-cli 0.0.8 names it.

An upload is checked first (1 byte to 16 MiB, PNG/JPEG/WebP by its first bytes: exit 2 naming the limit,
nothing sent) and sent once: an ambiguous answer (408/409/425/429/5xx, no reply) exits 6, outcome unknown,
never re-sent. ``--json`` prints ``{"ok": true, "file": {"fileId", "file_id", "url", ...}}`` (modellix-cli's
``file.fileId``/``file.url`` and this package's snake case).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .connection import base_url_option, make_client
from .output import EXIT_CODES_HELP, emit, json_option
from .safe_text import safe_text

if TYPE_CHECKING:
    from ..common_api import MediaFile


def file_json(media: MediaFile) -> dict[str, Any]:
    return {
        "fileId": media.file_id,
        "file_id": media.file_id,
        "url": media.url,
        "type": media.type,
        "filename": media.filename,
        "size": media.size,
        "created_at": media.created_at.isoformat() if media.created_at else None,
    }


@click.group(epilog=EXIT_CODES_HELP)
def file() -> None:
    """Upload and delete media files (inputs for models that take image URLs)."""


@file.command(epilog=EXIT_CODES_HELP)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@base_url_option
@json_option
def upload(path: Path, base_url: str | None) -> None:
    """Upload PATH (PNG, JPEG or WebP, at most 16 MiB) once; prints its file id and URL."""
    with make_client(base_url) as client:
        media = client.media.upload(path)
    emit(
        {"file": file_json(media)},
        lambda: click.echo(safe_text(f"uploaded {path.name} as {media.file_id}: {media.url}")),
        lambda: [media.url],
    )


@file.command(epilog=EXIT_CODES_HELP)
@click.argument("file_id", metavar="ID")
@base_url_option
@json_option
def delete(file_id: str, base_url: str | None) -> None:
    """Delete the uploaded file ID (it no longer counts toward the team's upload limit)."""
    with make_client(base_url) as client:
        client.media.delete(file_id)
    emit({"deleted": file_id}, lambda: click.echo(safe_text(f"deleted {file_id}")), lambda: [file_id])
