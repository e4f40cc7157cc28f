"""The non-model endpoints: list models, validate key, team balance, media files (calls + parsing).

Only building :class:`Call` objects and parsing replies lives here; the clients send them. Parsers accept
the shapes seen in Modellix's own clients (e.g. ``/models`` answers a top-level ``models`` array, not the
usual envelope).
"""

from __future__ import annotations

import datetime as dt
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import attrs

from .errors import ConfigurationError, InvalidResponse
from .results import opt_str, parse_time
from .retry import RequestKind
from ._core.exchange import Call, data_of
from ._core.uploads import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES  # the documented limit, checked there

MODELS_PATH = "/api/v1/models"
VALIDATE_KEY_PATH = "/api/v1/apikey/validate"
BALANCE_PATH = "/api/v1/team/balance"
MEDIA_PATH = "/api/v1/media/files"


@attrs.frozen
class ModelInfo:
    slug: str
    type: str | None = None
    docs_url: str | None = None
    description: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @property
    def provider(self) -> str:
        return self.slug.split("/", 1)[0]

    @property
    def price(self) -> Decimal | None:
        """The entry's unit price in USD (``price``, ``price_usd``, ``pricing.usd|price``), None when absent."""
        from .pricing import unit_price

        return unit_price(self.raw)


@attrs.frozen
class MediaFile:
    file_id: str
    url: str
    type: str | None = None
    filename: str | None = None
    size: int | None = None
    created_at: dt.datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)


def models_call() -> Call:
    return Call("GET", MODELS_PATH)


def parse_models(payload: Mapping[str, Any]) -> list[ModelInfo]:
    items = _find_list(payload, ("models", "items", "list"))
    if items is None:
        raise InvalidResponse("no 'models' list in the reply", method="GET", path=MODELS_PATH)
    models = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("slug"), str):
            models.append(
                ModelInfo(
                    slug=item["slug"],
                    type=opt_str(item.get("type")),
                    docs_url=opt_str(item.get("docs_url")),
                    description=opt_str(item.get("description")),
                    raw=dict(item),
                )
            )
    return models


def validate_key_call() -> Call:
    return Call("GET", VALIDATE_KEY_PATH)


def parse_validate_key(payload: Mapping[str, Any]) -> bool:
    data = payload.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("is_valid"), bool):
        raise InvalidResponse("expected a boolean at 'data.is_valid'", method="GET", path=VALIDATE_KEY_PATH)
    return bool(data["is_valid"])


def balance_call() -> Call:
    return Call("GET", BALANCE_PATH)


def parse_balance(payload: Mapping[str, Any]) -> Decimal:
    """USD with 4 decimals; a Decimal so money is never a binary float."""
    data = payload.get("data")
    value = data.get("balance") if isinstance(data, Mapping) else None
    try:
        if isinstance(value, bool) or value is None:
            raise InvalidOperation
        balance = Decimal(str(value))
        if not balance.is_finite():  # "NaN" / "Infinity" strings are not an amount of money
            raise InvalidOperation
        return balance
    except InvalidOperation:
        raise InvalidResponse(
            f"expected a number at 'data.balance', got {repr(value)[:80]}", method="GET", path=BALANCE_PATH
        ) from None


def upload_call(
    file: str | os.PathLike[str] | bytes | bytearray | IO[bytes],
    *,
    filename: str | None = None,
    content_type: str | None = None,
) -> Call:
    """Multipart upload (field ``file``), checked before sending: 1 byte to 16 MiB, PNG/JPEG/WebP by the first
    bytes (:class:`~modellix_typed.errors.UnsupportedUpload` names the limit). A side-effecting POST: never
    re-sent after an answer (408/409/425/429/5xx mean its outcome is unknown)."""
    from ._core.uploads import read_local

    if isinstance(file, str):
        file = Path(file)
    if isinstance(file, os.PathLike) and not Path(file).is_file():
        raise ConfigurationError(f"upload: {os.fspath(file)!r} is not a file")
    local = read_local(file, "file", filename or "")
    return Call("POST", MEDIA_PATH, kind=RequestKind.SIDE_EFFECT,
                files={"file": (local.name, local.data, content_type or local.content_type)}, slug="media upload")


def parse_media_file(payload: Mapping[str, Any], *, path: str = MEDIA_PATH) -> MediaFile:
    return _media(data_of(payload, method="POST", path=path), path)


def list_media_call(limit: int | None = None) -> Call:
    if limit is not None and not 1 <= limit <= 100:
        raise ConfigurationError(f"limit: must be between 1 and 100, got {limit!r}")
    return Call("GET", MEDIA_PATH, params={"limit": limit} if limit else None)


def parse_media_list(payload: Mapping[str, Any]) -> list[MediaFile]:
    items = _find_list(payload, ("files", "items", "list", "media_files"))
    if items is None:
        raise InvalidResponse("no list of files in the reply", method="GET", path=MEDIA_PATH)
    return [_media(item, MEDIA_PATH) for item in items if isinstance(item, Mapping)]


def delete_media_call(file_id: str) -> Call:
    if not file_id:
        raise ConfigurationError("file_id: must be a non-empty string")
    return Call("DELETE", f"{MEDIA_PATH}/{urllib.parse.quote(file_id, safe='')}")


def _media(data: Mapping[str, Any], path: str) -> MediaFile:
    file_id, url = data.get("file_id") or data.get("id"), data.get("url")
    if not isinstance(file_id, str) or not isinstance(url, str):
        raise InvalidResponse(f"media file without string file_id/url: {dict(data)!r}"[:300], path=path)
    size = data.get("size")
    return MediaFile(
        file_id=file_id,
        url=url,
        type=opt_str(data.get("type")),
        filename=opt_str(data.get("filename")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        created_at=parse_time(data.get("created_at")),
        raw=dict(data),
    )


def _find_list(payload: Mapping[str, Any], keys: Sequence[str]) -> list[Any] | None:
    """A list at the top level, at ``data``, or at ``data.<key>`` / ``<key>`` for one of ``keys``."""
    for container in (payload, payload.get("data")):
        if isinstance(container, list):
            return container
        if isinstance(container, Mapping):
            for key in keys:
                if isinstance(container.get(key), list):
                    return list(container[key])
    return None
