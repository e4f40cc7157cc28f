"""A local Modellix API emulator driven by specs/: validation, task lifecycle, limits and fault injection.

Names load lazily so that importing the pytest plugin (registered for every pytest run) does not need the
optional server dependencies (starlette, uvicorn, jsonschema) until an emulator is actually started.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import EmulatorApp as EmulatorApp, create_app as create_app
    from .catalog import Catalog as Catalog, CatalogError as CatalogError, ModelSpec as ModelSpec
    from .config import EmulatorConfig as EmulatorConfig, Fault as Fault
    from .server import EmulatorServer as EmulatorServer, RunningEmulator as RunningEmulator, running_emulator as running_emulator

_HOMES = {
    "EmulatorApp": "app",
    "create_app": "app",
    "Catalog": "catalog",
    "CatalogError": "catalog",
    "ModelSpec": "catalog",
    "EmulatorConfig": "config",
    "Fault": "config",
    "EmulatorServer": "server",
    "RunningEmulator": "server",
    "running_emulator": "server",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
