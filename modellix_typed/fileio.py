"""Small durable-file helpers shared by the journal and the poll statistics: fsync a folder, lock a file.

Locks are advisory and whole-file (``flock`` on POSIX, ``msvcrt.locking`` on Windows); each lock belongs to
one open file, so two opens of the same path conflict even inside one process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path



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
