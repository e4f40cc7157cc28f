"""Is a saved result a real media file? Structural checks of PNG and MP4, no decoder needed."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_problem(data: bytes) -> str | None:
    """None for a complete PNG (every chunk CRC-checked, pixel data inflating to the IHDR size)."""
    if not data.startswith(PNG_SIGNATURE):
        return "no PNG signature"
    pos, idat, shape = 8, b"", (0, 0, 0)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk, crc = data[pos + 8 : pos + 8 + length], data[pos + 8 + length : pos + 12 + length]
        if len(chunk) != length or len(crc) != 4:
            return f"chunk {kind!r} cut short"
        if zlib.crc32(kind + chunk) & 0xFFFFFFFF != struct.unpack(">I", crc)[0]:
            return f"bad CRC in chunk {kind!r}"
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color, 1)
            shape = (width, height, max(depth // 8, 1) * channels)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
        if kind == b"IEND":
            if pos != len(data):
                return "bytes after IEND"
            try:
                pixels = zlib.decompress(idat)
            except zlib.error as exc:
                return f"pixel data does not inflate ({exc})"
            width, height, bpp = shape
            return None if len(pixels) == height * (1 + width * bpp) else "pixel data size mismatch"
    return "no IEND chunk"


def mp4_problem(data: bytes) -> str | None:
    """None for an ISO-BMFF file whose top-level boxes tile it exactly, starting with ftyp, holding moov."""
    pos, kinds = 0, []
    while pos < len(data):
        if pos + 8 > len(data):
            return "box header cut short"
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        if size < 8 or pos + size > len(data):
            return f"box {kind!r} runs past the end"
        kinds.append(kind)
        pos += size
    if not kinds or kinds[0] != b"ftyp":
        return "does not start with an ftyp box"
    return None if b"moov" in kinds else "no moov box"


def media_problem(path: Path) -> str | None:
    checks: dict[str, Callable[[bytes], str | None]] = {".png": png_problem, ".mp4": mp4_problem}
    check = checks.get(path.suffix)
    if check is None:
        return f"unexpected file type {path.suffix!r}"
    try:
        return check(path.read_bytes())
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
