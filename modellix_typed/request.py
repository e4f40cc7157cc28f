"""The contract every generated request class fulfils.

Generated classes (``modellix_typed.models.<provider>``) subclass :class:`RequestModel`; the runtime
(client, batch, CLI) only ever talks to this interface, never to a concrete model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import attrs


def canonical_path(provider: str, model_id: str) -> str:
    """``/api/v1/{provider}/{model_id}``: the submit path of the api_schema source and the newest official
    clients (older pages add ``/async`` and a ``/{type}/`` prefix, which the live API has dropped)."""
    from urllib.parse import quote  # here, not at the top: importing a model class must not load urllib

    return f"/api/v1/{quote(provider, safe='')}/{quote(model_id, safe='')}"


def parse_slug(slug: str) -> tuple[str, str]:
    """``"provider/model-id"`` -> ``(provider, model_id)``; a ValueError names the rule and the value."""
    if not isinstance(slug, str):
        raise ValueError(f"model slug: expected a string 'provider/model-id', got {type(slug).__name__}")
    provider, sep, model_id = slug.strip().partition("/")
    bad = not sep or not provider or not model_id or "/" in model_id
    if bad or any(not ch.isprintable() or ch.isspace() for ch in provider + model_id):
        raise ValueError(f"model slug: expected 'provider/model-id' (two non-empty parts, no spaces), got {slug!r}")
    return provider, model_id


@attrs.frozen
class Endpoint:
    """Where and how a model is called: the canonical path, plus the path its doc page documents (sent only
    as a fallback when the canonical one answers 404). The origin comes from the client."""

    provider: str
    model_id: str
    task_type: str
    method: str
    documented_path: str
    doc_url: str

    @property
    def slug(self) -> str:
        return f"{self.provider}/{self.model_id}"

    @property
    def path(self) -> str:
        return canonical_path(self.provider, self.model_id)


class RequestModel:
    """Base class of the generated, validating request classes."""

    ENDPOINT: ClassVar[Endpoint]
    _RULES: ClassVar[tuple[Any, ...]] = ()
    """Cross-field and prose rules (:class:`modellix_typed.rules.Rule`), checked after the fields."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON body to POST: fields that were set, required fields, then ``extra_body``."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build and validate from a plain dict; unknown keys are rejected with a suggestion."""
        raise NotImplementedError

    @classmethod
    def validate_dict(cls, data: Mapping[str, Any]) -> None:
        """Validate a plain dict without building the object (the issues ``from_dict`` would raise)."""
        raise NotImplementedError

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The request body's JSON Schema, as documented (for validation in other codebases)."""
        raise NotImplementedError
