"""Where a generated class's constructor shows its public face: the signature ``help()`` and
``inspect.signature`` print (no private ``_fields_set``), and the error for a keyword that is not a field.

Nothing here runs while a valid request is built: the signature is computed on first look, and
:func:`unknown_arguments` only when the constructor got a keyword it does not take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .validation import Issue, ValidationError

_PRIVATE: Final = frozenset({"_fields_set", "_unknown"})


class UnknownArgument(ValidationError, TypeError):
    """A constructor keyword that is not a field (``NanoBanana(aspectRatio=...)``): a ``TypeError`` like Python's
    own, and a :class:`ValidationError` whose issues name each keyword with a did-you-mean (a wire name maps
    to its Python attribute)."""


def unknown_arguments(cls: type[Any], arguments: Mapping[str, Any]) -> UnknownArgument:
    """The error for ``cls(**arguments)``'s keywords that are not fields, one issue per keyword."""
    import difflib  # the failing path only

    fields: dict[str, Any] = cls._FIELDS
    attributes = [*fields, *(["extra_body"] if "extra_body" in cls.__init__.__code__.co_varnames else [])]
    documented: Mapping[str, str] = cls._DOCUMENTED
    issues = []
    for name, value in arguments.items():
        python = documented.get(name)
        if python is None:
            close = difflib.get_close_matches(name, attributes, n=1, cutoff=0.6)
            python = close[0] if close else next(
                (a for a in attributes if a.replace("_", "").lower() == name.replace("_", "").lower()), None
            )
            if python is None and name in _lowered(documented):
                python = _lowered(documented)[name]
        if python is not None and python != name:
            hint = f"; did you mean {python}?" + (f" ({name!r} is its name in the JSON body)" if name in documented else "")
        else:
            hint = f"; its parameters are: {', '.join(attributes)}"
        issues.append(Issue(name, "unknown_argument", value, f"is not a parameter of {cls.__name__}{hint}"))
    return UnknownArgument(cls._MODEL_NAME, issues)


def _lowered(documented: Mapping[str, str]) -> dict[str, str]:
    return {wire.lower(): python for wire, python in documented.items()}


class _PublicSignature:
    """``__signature__`` of a generated class: its ``__init__`` without ``self`` and the private parameters,
    computed once per class on first look (``inspect`` is not imported with a model)."""

    def __init__(self) -> None:
        self._cache: dict[type[Any], Any] = {}

    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
        cls = owner if owner is not None else type(instance)
        signature = self._cache.get(cls)
        if signature is None:
            import inspect

            full = inspect.signature(cls.__init__)
            parameters = [p for name, p in full.parameters.items() if name != "self" and name not in _PRIVATE]
            signature = self._cache[cls] = full.replace(parameters=parameters, return_annotation=inspect.Signature.empty)
        return signature


PUBLIC_SIGNATURE: Final = _PublicSignature()
