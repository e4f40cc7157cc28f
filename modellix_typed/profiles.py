"""Where saved API keys live: named profiles in modellix-cli's own ``config.json`` (same file, same format).

Format (modellix-cli's): ``{"currentProfile": "default", "profiles": {"default": {"apiKey": "..."}}}``;
the older ``{"apiKey": "..."}`` is read as the profile ``default`` and upgraded on the next write.

The profile used is, first found: ``profile=`` / ``--profile``, ``MODELLIX_PROFILE``, the saved
``currentProfile``, ``default``. The key itself is looked up in :func:`modellix_typed.config.locate_api_key`:
an explicit key or ``MODELLIX_API_KEY`` always wins over a saved profile.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigurationError
from .local_files import config_dir, locked, read_json, write_json

logger: logging.Logger = logging.getLogger("modellix_typed")
DEFAULT_PROFILE = "default"
ENV_PROFILE = "MODELLIX_PROFILE"
MAX_PROFILES = 100
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_RESERVED = {"__proto__", "constructor", "prototype"}  # modellix-cli rejects these (JavaScript objects)


def config_path() -> Path:
    return config_dir() / "config.json"


def check_name(name: str, *, what: str = "profile") -> str:
    """A profile name: 1-64 letters, digits, ``_``, ``.``, ``-`` (modellix-cli's rule)."""
    cleaned = name.strip()
    if not _NAME.fullmatch(cleaned) or cleaned.lower() in _RESERVED:
        raise ConfigurationError(
            f"{what}: {name!r} is not a valid profile name (1-64 letters, digits, '_', '.', '-')"
        )
    return cleaned


@attrs.frozen(repr=False)
class Store:
    """The saved profiles. ``repr`` never shows a key."""

    current: str
    keys: Mapping[str, str]

    def __repr__(self) -> str:
        return f"Store(current={self.current!r}, profiles={sorted(self.keys)!r})"

    def to_json(self) -> dict[str, Any]:
        return {"currentProfile": self.current, "profiles": {n: {"apiKey": k} for n, k in self.keys.items()}}


def _invalid(path: Path, why: str) -> ConfigurationError:
    # Never quote the file's content: it holds keys.
    return ConfigurationError(
        f"invalid Modellix config {path}: {why} (fix it, or remove it: `modellix-typed config clear --all --yes`)"
    )


_WARNED_OPEN: set[str] = set()  # key files already warned about in this process


def warn_if_readable_by_others(path: Path) -> None:
    """Like ssh: once per file and process, a warning (naming the file and the fix) when a saved key is
    readable by group or others. The key is still used: refusing would break a working setup."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if os.name != "posix" or not mode & 0o044 or str(path) in _WARNED_OPEN:
        return
    _WARNED_OPEN.add(str(path))
    logger.warning(
        "permissions %04o for %s are too open: the saved API key is readable by %s; fix: chmod 600 %s",
        mode,
        path,
        "group and others" if mode & 0o044 == 0o044 else ("group" if mode & 0o040 else "others"),
        path,
    )


def load() -> Store | None:
    """The saved profiles, or None when there is no config file."""
    path = config_path()
    data = read_json(path, "Modellix config")
    if data is None:
        return None
    warn_if_readable_by_others(path)
    if not isinstance(data, dict):
        raise _invalid(path, "expected a JSON object")
    profiles = data.get("profiles")
    if profiles is None and isinstance(data.get("apiKey"), str) and data["apiKey"].strip():
        return Store(DEFAULT_PROFILE, {DEFAULT_PROFILE: data["apiKey"].strip()})  # the legacy form
    if not isinstance(profiles, dict) or not profiles:
        raise _invalid(path, "expected a non-empty 'profiles' object")
    keys: dict[str, str] = {}
    for name, entry in profiles.items():
        key = entry.get("apiKey") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key.strip():
            raise _invalid(path, f"profile {name!r} has no 'apiKey' string")
        keys[check_name(name, what=f"profile name in {path}")] = key.strip()
    current = data.get("currentProfile", DEFAULT_PROFILE)
    if not isinstance(current, str) or current not in keys:
        raise _invalid(path, f"currentProfile {current!r} is not one of the profiles")
    return Store(current, keys)


def select(explicit: str | None = None, store: Store | None = None) -> tuple[str, str]:
    """(profile name, where the choice came from): argument, ``MODELLIX_PROFILE``, saved current, default."""
    if explicit is not None and explicit.strip():
        return check_name(explicit), "option"
    from_env = os.environ.get(ENV_PROFILE, "").strip()
    if from_env:
        return check_name(from_env, what=ENV_PROFILE), ENV_PROFILE
    if store is not None:
        return store.current, "saved current profile"
    return DEFAULT_PROFILE, "default"


def save(name: str, key: str) -> Path:
    """Save ``key`` as profile ``name`` and make it the current one (locked read-modify-write)."""
    name = check_name(name)
    path = config_path()
    with locked(path):
        store = load()
        keys = dict(store.keys) if store is not None else {}
        if name not in keys and len(keys) >= MAX_PROFILES:
            raise ConfigurationError(f"{path}: at most {MAX_PROFILES} profiles can be saved")
        keys[name] = key
        write_json(path, Store(name, keys).to_json())
    return path


def remove(name: str) -> tuple[bool, Store | None]:
    """Remove profile ``name``: (whether it existed, what is left). The last one removes the file."""
    name = check_name(name)
    path = config_path()
    with locked(path):
        store = load()
        if store is None or name not in store.keys:
            return False, store
        keys = {n: k for n, k in store.keys.items() if n != name}
        if not keys:
            path.unlink()
            return True, None
        left = Store(store.current if store.current in keys else sorted(keys)[0], keys)
        write_json(path, left.to_json())
        return True, left


def mask(key: str) -> str:
    """What may be shown of a key: its length and last 4 characters only when it is long enough."""
    return f"****{key[-4:]}" if len(key) >= 16 else "****"
