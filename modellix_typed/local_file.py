"""What a media-URL field accepts besides a URL: a local file (path, bytes, binary file object).

Kept apart and tiny (``os``/``io`` only) because every generated model module reaches it through
``validation``: the client uploads such a file before the paid POST (see :mod:`._core.uploads`).
"""

from __future__ import annotations

import io
import os
from typing import IO, TypeAlias

LocalFile: TypeAlias = os.PathLike[str] | bytes | bytearray | IO[bytes]


def is_local_file(value: object) -> bool:
    """True for a local path (``os.PathLike``), bytes, or a binary file object (anything with ``read``
    that is not text); a plain string is always a URL (the CLI spells a local file ``@path``)."""
    if isinstance(value, (os.PathLike, bytes, bytearray)):
        return True
    return callable(getattr(value, "read", None)) and not isinstance(value, (str, io.TextIOBase))
