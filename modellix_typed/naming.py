"""Python names for generated code: class, module and package names derived from model ids and providers.

Names must be natural and stable (they are the public import surface): ``veo-3.1-t2v`` -> ``Veo31T2V``.
The generator names modules with these rules and the registry finds a class by slug with the same rules, so
looking one model up never reads the whole catalog.
"""

from __future__ import annotations

import keyword
import re

# Task suffixes are acronyms (text-to-video...) and read best upper-cased: t2v -> T2V, fl2v -> FL2V.
_TASK_TOKEN = re.compile(r"^[a-z]{1,3}2[a-z]$")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def class_name(model_id: str) -> str:
    """``imagen-4.0-generate-001`` -> ``Imagen40Generate001``; ``hailuo-2.3-fast-i2v`` -> ``Hailuo23FastI2V``."""
    parts = []
    for token in _SPLIT.split(model_id):
        if not token:
            continue
        if _TASK_TOKEN.match(token.lower()):
            parts.append(token.upper())
        else:
            parts.append(token[0].upper() + token[1:])
    name = "".join(parts)
    if not name:
        raise ValueError(f"cannot derive a class name from model id {model_id!r}")
    if name[0].isdigit():
        name = "Model" + name
    return name


def module_name(model_id: str) -> str:
    """``imagen-4.0-generate-001`` -> ``imagen_4_0_generate_001`` (a valid, non-keyword identifier)."""
    name = "_".join(token.lower() for token in _SPLIT.split(model_id) if token)
    if not name:
        raise ValueError(f"cannot derive a module name from model id {model_id!r}")
    if name[0].isdigit():
        name = "m_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def package_name(provider: str) -> str:
    """Provider path segment -> subpackage of ``modellix_typed.models``."""
    return module_name(provider)
