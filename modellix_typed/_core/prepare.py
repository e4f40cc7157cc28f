"""Where a request becomes bytes to send: validation (or a deliberate raw call) and serialization, no I/O."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import (
    ConfigurationError,
)
from ..request import RequestModel, parse_slug
from ..validation import ValidationError, json_issues
from .exchange import encode_json

if TYPE_CHECKING:
    pass
logger = logging.getLogger("modellix_typed")


RequestLike = RequestModel | str


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


def prepare(request: RequestLike, data: Mapping[str, Any] | None = None, *, validate: bool = True) -> Prepared:
    """Validate (slug + dict via the registry) and serialize, before anything touches the network.

    ``validate=False`` with a slug sends ``data`` as is: the way to call a model added to Modellix after this
    package was generated (a known slug is still validated unless asked not to).
    """
    if isinstance(request, str):
        if data is None:
            raise ConfigurationError(f"submit({request!r}, data): the request body dict is missing")
        if not validate:
            return prepare_raw(request, data)
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
        json_bytes(endpoint.slug, request.to_dict()),
    )


def json_bytes(slug: str, body: Mapping[str, Any]) -> bytes:
    """The bytes to send, or a ValidationError naming each value that is not standard JSON (nothing sent)."""
    issues = json_issues(body)
    if issues:
        raise ValidationError(slug, issues)
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
    content = json_bytes(f"{provider}/{model_id}", data)
    try:
        entry: registry.CatalogEntry | None = registry.info(f"{provider}/{model_id}")
    except registry.UnknownModel:
        entry = None
    task_type = entry.task_type if entry is not None else None
    documented = entry.documented_path if entry is not None else None
    return Prepared(f"{provider}/{model_id}", task_type, provider, model_id, documented, content)
