"""Small durable-file helpers shared by the journal, the poll statistics and the saved profiles/history:
fsync a folder, replace a file atomically, lock a file.

Locks are advisory and whole-file (``flock`` on POSIX, ``msvcrt.locking`` on Windows); each lock belongs to
one open file, so two opens of the same path conflict even inside one process.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path


def replace_atomically(path: Path, payload: bytes, mode: int = 0o666) -> None:
    """Write ``payload`` to a temporary file beside ``path``, fsync it, rename it over ``path``: a reader (or a
    crash) sees the old content or the new, never a mix. ``mode`` is masked by the umask as usual; a
    temporary file left by a failure is removed. Raises ``OSError``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def fsync_dir(folder: Path) -> None:
    """Make a new or renamed directory entry durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def lock(fd: int, *, wait: bool) -> bool:
        """Take an exclusive lock on the open file ``fd``; False when ``wait`` is off and someone holds it."""
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def lock(fd: int, *, wait: bool) -> bool:
        """Take an exclusive lock on the open file ``fd``; False when ``wait`` is off and someone holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
