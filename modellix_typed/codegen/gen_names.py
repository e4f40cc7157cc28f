"""The generator's naming rules; they live in :mod:`modellix_typed.naming` so the registry can apply them too."""

from __future__ import annotations

from modellix_typed.naming import class_name, module_name, package_name

__all__ = ["class_name", "module_name", "package_name"]
