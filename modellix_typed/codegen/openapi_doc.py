"""Parse, validate and dereference one embedded OpenAPI document."""

from __future__ import annotations

from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from modellix_typed.codegen.failures import PageError, Reason
from modellix_typed.spec_source import resolve_refs

JSON = Any
# libyaml's C loader is ~10x faster and equally safe; fall back to the pure-Python one.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> dict[str, JSON]:
    try:
        doc = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise PageError(Reason.YAML_ERROR, f"{problem}{where}") from exc
    if not isinstance(doc, dict):
        raise PageError(Reason.YAML_ERROR, f"document is a {type(doc).__name__}, not a mapping")
    return doc


def validate_openapi(doc: dict[str, JSON]) -> None:
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        raise PageError(Reason.INVALID_OPENAPI, f"openapi version {version or '(missing)'!r} is not 3.x")
    try:
        validate(doc)
    except OpenAPIValidationError as exc:
        path = "/".join(str(p) for p in getattr(exc, "path", ()) or ())
        message = getattr(exc, "message", str(exc))
        raise PageError(Reason.INVALID_OPENAPI, f"{message}" + (f" (at {path})" if path else "")) from exc
    except Exception as exc:  # the validator raises assorted errors for unresolvable refs
        raise PageError(Reason.INVALID_OPENAPI, f"{type(exc).__name__}: {exc}") from exc


def load_openapi(text: str) -> dict[str, JSON]:
    """YAML text -> validated OpenAPI 3.x document with all local $refs inlined."""
    return prepare_openapi(parse_yaml(text))


def prepare_openapi(doc: dict[str, JSON]) -> dict[str, JSON]:
    """Validate an already-parsed OpenAPI document and inline its local $refs."""
    validate_openapi(doc)
    resolved = resolve_refs(doc, doc)
    assert isinstance(resolved, dict)
    return resolved
