"""Where the small local state files (saved profiles, task history) are located, locked, read and written.

They live in the official modellix-cli's directory (``$XDG_CONFIG_HOME/modellix``, else
``~/.config/modellix``; ``MODELLIX_CONFIG_DIR`` overrides it, e.g. for tests), in the same formats, so a
user moving over keeps their keys and task history, and both tools can run side by side.

Writers take the same lock as modellix-cli (its lock library creates the directory ``<file>.lock``;
``mkdir`` is atomic on every platform and file system): read-modify-write sequences from concurrent
processes of either tool never lose an update. A lock older than :data:`STALE_AFTER` seconds belongs to a
process that died and is taken over. Files are written to a private temporary file, fsynced, then renamed
over the old one (atomic), mode 0600 in a 0700 directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .fileio import replace_atomically

ENV_CONFIG_DIR = "MODELLIX_CONFIG_DIR"
ENV_LOCK_TIMEOUT = "MODELLIX_LOCK_TIMEOUT"  # seconds to wait for another process's lock (default 5)
LOCK_TIMEOUT = 5.0
STALE_AFTER = 30.0  # modellix-cli's own threshold; a lock is held for milliseconds
MAX_FILE_BYTES = 4 * 1024 * 1024


def config_dir() -> Path:
    """``MODELLIX_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/modellix``, else ``~/.config/modellix``."""
    explicit = os.environ.get(ENV_CONFIG_DIR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "modellix"


def _lock_timeout() -> float:
    raw = os.environ.get(ENV_LOCK_TIMEOUT, "").strip()
    try:
        value = float(raw) if raw else LOCK_TIMEOUT
    except ValueError:
        raise ConfigurationError(f"{ENV_LOCK_TIMEOUT}: must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigurationError(f"{ENV_LOCK_TIMEOUT}: must be > 0, got {raw!r}")
    return value


def _private_dir(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the cross-process lock of ``path`` (the directory ``<path>.lock``, as modellix-cli does)."""
    _private_dir(path.parent)
    lock = path.with_name(path.name + ".lock")
    deadline = time.monotonic() + _lock_timeout()
    delay = 0.01
    while True:
        try:
            os.mkdir(lock, 0o700)
            break
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime > STALE_AFTER:
                    os.rmdir(lock)  # its owner died; another waiter may win the race to take it: fine
                    continue
            except FileNotFoundError:
                continue  # released meanwhile
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise ConfigurationError(
                    f"{path} is locked by another modellix process (lock {lock}); retry, or remove {lock} "
                    "if no modellix-typed or modellix-cli process is running"
                ) from None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.rmdir(lock)


def read_json(path: Path, what: str) -> Any:
    """The JSON document in ``path``, or None when the file does not exist; errors name the file."""
    try:
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise ConfigurationError(f"{what} {path} must be a regular file, not a link or a directory")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigurationError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigurationError(f"{what} {path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{what} {path} is not valid JSON: {exc}") from None


def write_json(path: Path, document: Any) -> None:
    """Replace ``path`` atomically with ``document`` (mode 0600); call it while holding :func:`locked`."""
    _private_dir(path.parent)
    payload = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        replace_atomically(path, payload, 0o600)
        if os.name == "posix":
            os.chmod(path, 0o600)
    except OSError as exc:
        raise ConfigurationError(f"cannot write {path}: {exc.strerror or exc}") from None
