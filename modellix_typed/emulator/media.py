"""Real, tiny result files (PNG via zlib, MP4 box structure) and the team's uploaded media store."""

from __future__ import annotations

import functools
import re
import struct
import threading
import uuid
import zlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import attrs

_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:*xX×]\s*(\d+(?:\.\d+)?)\s*$")
_SHAPE_PARAMS = ("aspectRatio", "aspect_ratio", "size", "resolution", "ratio")
MAX_SIDE = 64


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@functools.lru_cache(maxsize=64)
def png_bytes(width: int, height: int) -> bytes:
    """A valid 8-bit RGB PNG with a gradient, so decoders and viewers accept it."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type None
        for x in range(width):
            rows += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@functools.lru_cache(maxsize=64)
def mp4_bytes(width: int, height: int, seconds: int = 1) -> bytes:
    """An ISO-BMFF file with ftyp + moov (mvhd, one video trak with tkhd/mdia) + empty mdat."""
    timescale = 1000
    duration = seconds * timescale
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    mvhd = _full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, timescale, duration) + struct.pack(">IH", 0x10000, 0x100)
        + b"\x00" * 10 + _MATRIX + b"\x00" * 24 + struct.pack(">I", 2),
    )
    tkhd = _full_box(
        b"tkhd", 0, 3,
        struct.pack(">IIIII", 0, 0, 1, 0, duration) + b"\x00" * 8 + struct.pack(">HHHH", 0, 0, 0, 0)
        + _MATRIX + struct.pack(">II", width << 16, height << 16),
    )
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, struct.pack(">I", 0) + b"vide" + b"\x00" * 12 + b"VideoHandler\x00")
    vmhd = _full_box(b"vmhd", 0, 1, b"\x00" * 8)
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1) + _full_box(b"url ", 0, 1, b"")))
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 0))
        + _full_box(b"stts", 0, 0, struct.pack(">I", 0))
        + _full_box(b"stsc", 0, 0, struct.pack(">I", 0))
        + _full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0))
        + _full_box(b"stco", 0, 0, struct.pack(">I", 0)),
    )
    mdia = _box(b"mdia", mdhd + hdlr + _box(b"minf", vmhd + dinf + stbl))
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd + mdia))
    return ftyp + moov + _box(b"mdat", b"")


def output_shape(body: Mapping[str, Any], kind: str) -> tuple[int, int]:
    """Pixel size of a result: the requested aspect ratio scaled down to at most 64 px a side."""
    ratio = (16.0, 9.0) if kind == "video" else (1.0, 1.0)
    for name in _SHAPE_PARAMS:
        value = body.get(name)
        if isinstance(value, str) and (match := _RATIO.match(value)):
            w, h = float(match[1]), float(match[2])
            if w > 0 and h > 0:
                ratio = (w, h)
                break
    scale = MAX_SIDE / max(ratio)
    return max(1, round(ratio[0] * scale)), max(1, round(ratio[1] * scale))


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@attrs.frozen(kw_only=True)
class MediaFile:
    file_id: str
    team: str
    filename: str
    content_type: str
    data: bytes
    created_at: datetime
    expires_at: float  # time.monotonic() deadline

    @property
    def type(self) -> str:
        major = self.content_type.split("/", 1)[0]
        return major if major in ("image", "video", "audio") else "file"

    def to_json(self, base_url: str) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "type": self.type,
            "url": f"{base_url}/media/{self.file_id}/{quote(self.filename)}",
            "filename": self.filename,
            "size": len(self.data),
            "created_at": utc_iso(self.created_at),
        }


class MediaQuotaExceeded(Exception):
    """The team already holds its maximum number of unexpired files."""


class MediaStore:
    """Uploaded files per team, with expiry and a per-team count quota."""

    def __init__(self, *, max_files: int, ttl: float) -> None:
        self._max_files = max_files
        self._ttl = ttl
        self._files: dict[str, MediaFile] = {}
        self._lock = threading.Lock()

    def _live(self, now: float) -> list[MediaFile]:
        for file_id in [f.file_id for f in self._files.values() if f.expires_at <= now]:
            del self._files[file_id]
        return list(self._files.values())

    def add(self, *, team: str, filename: str, content_type: str, data: bytes, now: float) -> MediaFile:
        with self._lock:
            held = [f for f in self._live(now) if f.team == team]
            if len(held) >= self._max_files:
                raise MediaQuotaExceeded(f"team holds {len(held)} files (limit {self._max_files})")
            media = MediaFile(
                file_id=f"file-{uuid.uuid4().hex[:16]}",
                team=team,
                filename=filename,
                content_type=content_type,
                data=data,
                created_at=datetime.now(timezone.utc),
                expires_at=now + self._ttl,
            )
            self._files[media.file_id] = media
            return media

    def list(self, team: str, *, limit: int, now: float) -> list[MediaFile]:
        with self._lock:
            files = [f for f in self._live(now) if f.team == team]
        return sorted(files, key=lambda f: f.created_at, reverse=True)[:limit]

    def get(self, file_id: str, *, now: float) -> MediaFile | None:
        with self._lock:
            self._live(now)
            return self._files.get(file_id)

    def delete(self, team: str, file_id: str, *, now: float) -> bool:
        with self._lock:
            self._live(now)
            media = self._files.get(file_id)
            if media is None or media.team != team:
                return False
            del self._files[file_id]
            return True

    def count(self) -> int:
        with self._lock:
            return len(self._files)

    def clear(self) -> None:
        with self._lock:
            self._files.clear()
