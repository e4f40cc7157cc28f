"""The contract every generated request class fulfils.

Generated classes (``modellix_typed.models.<provider>``) subclass :class:`RequestModel`; the runtime
(client, batch, CLI) only ever talks to this interface, never to a concrete model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import attrs


@attrs.frozen
class Endpoint:
    """Where and how a model is called. The path comes from the spec; the origin from the client."""

    provider: str
    model_id: str
    task_type: str
    method: str
    path: str
    doc_url: str

    @property
    def slug(self) -> str:
        return f"{self.provider}/{self.model_id}"


class RequestModel:
    """Base class of the generated, validating request classes."""

    ENDPOINT: ClassVar[Endpoint]

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
