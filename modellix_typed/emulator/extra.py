"""The one line shown when the emulator's optional dependencies are not installed (never a traceback)."""

from __future__ import annotations

INSTALL_HINT = "pip install 'modellix-typed[emulator]'"


def missing_extra(exc: ImportError) -> str:
    """``starlette``/``uvicorn``/``jsonschema`` missing -> which extra to install."""
    return f"the emulator needs the 'emulator' extra (module {exc.name!r} is not installed): {INSTALL_HINT}"
