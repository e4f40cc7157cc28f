"""Exception hierarchy root. API errors are added by the runtime; validation errors live in validation.py."""

from __future__ import annotations


class ModellixError(Exception):
    """Base class of every error this SDK raises on purpose."""
