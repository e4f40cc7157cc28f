"""Where the registry finds generated model packages: the one shipped as ``modellix_typed.models`` and those a
user generated into their own codebase (``codegen generate --out``) and registered.

A package is registered by :func:`modellix_typed.registry.register_package`, by the ``modellix_typed.models``
entry point group (``[project.entry-points."modellix_typed.models"] mymodels = "mypkg.models"``) or by the
``MODELLIX_MODELS_PACKAGES`` environment variable (comma-separated; what the CLI reads too). The entry points
and the variable are read once, at the registry's first lookup. Later registrations come first, and every
registered package comes before the shipped one: a class regenerated for a slug the SDK ships wins.
"""

from __future__ import annotations

import os
from typing import Final

SHIPPED: Final = "modellix_typed.models"
ENTRY_POINT_GROUP: Final = "modellix_typed.models"
ENV_PACKAGES: Final = "MODELLIX_MODELS_PACKAGES"

_registered: list[str] = []
"""User packages, the most recently registered first."""
_loaded_from_environment = False


def _check_name(package: str) -> str:
    name = package.strip() if isinstance(package, str) else ""
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"model package: expected a dotted module name such as 'mypkg.models', got {package!r}")
    return name


def register(package: str) -> bool:
    """Put ``package`` first in the search order; False when it already was first (nothing changed)."""
    name = _check_name(package)
    if _registered[:1] == [name]:
        return False
    if name in _registered:
        _registered.remove(name)
    _registered.insert(0, name)
    return True


def unregister(package: str) -> None:
    name = package.strip()
    if name in _registered:
        _registered.remove(name)


def _from_environment() -> list[str]:
    from importlib.metadata import entry_points  # only at the first lookup

    names = [ep.value.partition(":")[0] for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)]
    names += [part for part in os.environ.get(ENV_PACKAGES, "").split(",") if part.strip()]
    return names


def search_order() -> list[str]:
    """Registered packages (most recent first), then the shipped one."""
    global _loaded_from_environment
    if not _loaded_from_environment:
        _loaded_from_environment = True
        for name in _from_environment():
            if _check_name(name) not in _registered:
                _registered.append(_check_name(name))  # explicit register() calls keep precedence
    return [*_registered, SHIPPED]


def forget() -> None:
    """Back to the shipped package only, environment read again at the next lookup (tests)."""
    global _loaded_from_environment
    _registered.clear()
    _loaded_from_environment = False
