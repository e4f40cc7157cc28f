"""Where a request becomes bytes to send: validation (or a deliberate raw call) and serialization, no I/O."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import (
    ConfigurationError,
)
from ..json_checks import check_json
from ..request import RequestModel, parse_slug
from ..validation import ValidationError
from .json_body import encode_json

if TYPE_CHECKING:
    from ..common_api import MediaFile
    from ..live_schema import LiveModel, SchemaUnavailable
    from .uploads import LocalInput
logger = logging.getLogger("modellix_typed")


RequestLike = RequestModel | str
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,256}")  # what dsh-modellix sends as x-request-id


def new_request_id() -> str:
    """A fresh ``x-request-id`` for one submission intent (never shared with another intent)."""
    return f"mxt-{uuid.uuid4().hex}"


def _check_request_id(_: object, __: object, value: str) -> None:
    if not isinstance(value, str) or REQUEST_ID.fullmatch(value) is None:
        raise ConfigurationError(f"request_id: must match [A-Za-z0-9._:-]{{1,256}}, got {value!r}")


@attrs.frozen
class Prepared:
    """A validated (or, for raw calls, deliberately unvalidated) request, serialized once: the bytes hashed
    are the bytes sent. ``documented_path`` is the doc page's path (None for a model we have no page for)."""

    slug: str
    task_type: str | None
    provider: str
    model_id: str
    documented_path: str | None
    content: bytes
    # This submission intent's x-request-id: journaled before the POST, sent with it (and with its one legacy
    # path fallback after a 404, or a resume's deliberate re-send of the same intent), never with another body.
    request_id: str = attrs.field(factory=new_request_id, validator=_check_request_id)
    # Local files the body names (read and checked, not uploaded yet): ``content`` is empty until the client
    # uploads them and fills ``template`` with their URLs (:func:`.uploads.with_uploads`).
    pending: Mapping[str, LocalInput] = attrs.field(factory=dict, eq=False, repr=False, kw_only=True)
    template: Any = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    uploads: tuple[MediaFile, ...] = attrs.field(default=(), kw_only=True)  # this client's uploads it uses
    # a live schema's servers[0].url (used when it is on the API origin)
    submit_url: str | None = attrs.field(default=None, kw_only=True)


def with_uploads(prepared: Prepared, made: Mapping[str, MediaFile]) -> Prepared:
    """``prepared`` with its local files' URLs in place (``made``: content key -> upload), ready to send."""
    if not prepared.pending:
        return prepared
    from .uploads import fill

    urls = {key: made[key].url for key in prepared.pending}
    return attrs.evolve(
        prepared,
        content=encode_json(fill(prepared.template, urls)),
        pending={},
        template=None,
        uploads=tuple(made[key] for key in prepared.pending),
    )


def _serialized(slug: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``content`` (JSON bytes), or the pending local files and the template that will hold their URLs."""
    from .uploads import localize

    found: dict[str, LocalInput] = {}
    template = localize(body, found)
    if found:
        check_json(slug, template)  # the rest of the body must be standard JSON too (nothing uploaded yet)
        logger.debug("%s: %d local file(s) to upload before the POST", slug, len(found))
        return {"content": b"", "pending": found, "template": template}
    return {"content": json_bytes(slug, body)}


def live_schema_slug(request: RequestLike, validate: bool) -> str | None:
    """The slug whose live api_schema must be fetched before :func:`prepare` can validate it: a well-formed
    slug with no generated class, to be validated. None for everything else (a malformed or known slug keeps
    the registry's own answer)."""
    if not isinstance(request, str) or not validate:
        return None
    from .. import registry

    if registry.find(request) is not None:
        return None
    try:
        provider, model_id = parse_slug(request)
    except ValueError:
        return None
    return f"{provider}/{model_id}"


def prepare(
    request: RequestLike,
    data: Mapping[str, Any] | None = None,
    *,
    validate: bool = True,
    live: LiveModel | SchemaUnavailable | None = None,
) -> Prepared:
    """Validate (slug + dict via the registry, or via ``live``: the model's live schema when no class was
    generated for it) and serialize, before anything touches the network.

    ``validate=False`` with a slug sends ``data`` as is (a known slug is still validated unless asked not to).
    """
    if isinstance(request, str):
        if data is None:
            raise ConfigurationError(f"submit({request!r}, data): the request body dict is missing")
        if not validate:
            return prepare_raw(request, data)
        if isinstance(live, Exception):
            raise live  # the schema could not be fetched: nothing is sent
        if live is not None:
            return prepare_live(live, data)
        from .. import registry  # lazy: importing every model module is costly

        request = registry.validate(request, data)
    elif data is not None:
        raise ConfigurationError("submit(request, data): pass either a request object or a slug plus a dict")
    if not isinstance(request, RequestModel):
        raise TypeError(
            f"expected a generated request object (RequestModel) or a model slug, got {type(request).__name__}"
        )
    endpoint = type(request).ENDPOINT
    if endpoint.method.upper() != "POST":
        raise ConfigurationError(f"{endpoint.slug}: only POST model endpoints can be submitted, got {endpoint.method}")
    return Prepared(
        endpoint.slug,
        endpoint.task_type,
        endpoint.provider,
        endpoint.model_id,
        endpoint.documented_path,
        **_serialized(endpoint.slug, request.to_dict()),
    )


def prepare_live(live: LiveModel, data: Mapping[str, Any]) -> Prepared:
    """A body checked against a live schema (the same issues a generated class would raise), for its
    ``servers[0].url``."""
    live.validate(data)
    raw = prepare_raw(live.slug, data)
    return attrs.evolve(raw, task_type=live.task_type, submit_url=live.submit_url)


def json_bytes(slug: str, body: Mapping[str, Any]) -> bytes:
    """The bytes to send, or a ValidationError naming each value that is not standard JSON (nothing sent)."""
    check_json(slug, body)
    try:
        return encode_json(body)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"submit({slug!r}, data): the body is not JSON-serializable ({exc})") from None


def prepare_raw(slug: str, data: Mapping[str, Any]) -> Prepared:
    """An unvalidated body for any ``provider/model-id``; a known model keeps its documented path."""
    from .. import registry

    try:
        provider, model_id = parse_slug(slug)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"submit({slug!r}, data): data must be a dict (a JSON object), got {type(data).__name__}")
    try:
        serialized = _serialized(slug, data)
    except (ConfigurationError, ValidationError):
        raise  # a local file refused (UnsupportedUpload) names its field and limit; a value not JSON its path
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"submit({slug!r}, data): the body is not JSON-serializable ({exc})") from None
    entry = registry.find_info(f"{provider}/{model_id}")
    task_type = entry.task_type if entry is not None else None
    documented = entry.documented_path if entry is not None else None
    return Prepared(f"{provider}/{model_id}", task_type, provider, model_id, documented, **serialized)
