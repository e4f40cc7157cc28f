"""Where an upload is checked and a local input becomes a URL (no network): the client-side limits every
official client applies before sending (1 byte to 16 MiB; PNG, JPEG or WebP by the file's first bytes, as
modellix-agent-canvas and dsh-modellix check), local files named in request bodies (a path, bytes or a binary
file object in a media-URL field) and their replacement by the uploaded URL, and which uploads a run may
delete (its own, and only once every task that used them has finished).

A local input is read and checked when the request is prepared, before anything is sent or paid; the client
then uploads each distinct file once (keyed by its content's sha256) and sends the body with URLs in place.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from ..errors import APIError, ConfigurationError, TaskFailed, UnsupportedUpload
from ..local_file import LocalFile as LocalFile
from ..local_file import is_local_file

if TYPE_CHECKING:
    from ..results import TaskResult

logger = logging.getLogger("modellix_typed")


class Upload(Protocol):
    """What the bookkeeping needs of an upload (a ``common_api.MediaFile``)."""

    @property
    def file_id(self) -> str: ...

    @property
    def url(self) -> str: ...


U = TypeVar("U", bound=Upload)

MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # 16 MiB per file (dsh-modellix, canvas; "默认最大文件 16 MB")
UPLOAD_TYPES = ("image/png", "image/jpeg", "image/webp")
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}

def sniff(data: bytes) -> str | None:
    """The image type the first bytes announce (PNG, JPEG, WebP), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(data: bytes, name: str, field: str = "file") -> str:
    """The content type of a file about to be uploaded, or UnsupportedUpload naming the limit it breaks."""
    if not data:
        raise UnsupportedUpload(field, "min 1 byte", name, f"{name!r} is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnsupportedUpload(
            field, f"max {MAX_UPLOAD_BYTES} bytes (16 MiB)", len(data), f"{name!r} is larger than the upload limit"
        )
    kind = sniff(data)
    if kind is None:
        raise UnsupportedUpload(
            field, "PNG, JPEG or WebP", data[:12], f"{name!r} is not a PNG, JPEG or WebP image (by its first bytes)"
        )
    return kind


@attrs.frozen
class LocalInput:
    """A local file named in a body, read and checked: uploaded once per distinct content (``key``)."""

    key: str  # sha256 of the content
    name: str
    data: bytes = attrs.field(repr=False)
    content_type: str


@attrs.frozen
class Pending:
    """Stands in a prepared body for the URL of the upload of ``key``."""

    key: str


def read_local(value: object, field: str, name: str = "") -> LocalInput:
    """Read a local input (path, bytes, binary file object) and check it; errors name ``field``.

    ``name``: the file name to upload under (default: the path's or file object's own name)."""
    if isinstance(value, os.PathLike):
        path = Path(os.fspath(value))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnsupportedUpload(field, "a readable file", str(path), f"cannot read {str(path)!r} ({exc.strerror})")
        name = name or path.name
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raw = _read_and_rewind(value)
        if not isinstance(raw, bytes):
            raise UnsupportedUpload(field, "a binary file object", type(value).__name__, "the file must be opened 'rb'")
        data, name = raw, name or Path(str(getattr(value, "name", "") or "")).name
    kind = check_upload(data, name or "the bytes", field)
    digest = hashlib.sha256(data).hexdigest()
    if not name or "." not in name:
        name = f"upload-{digest[:12]}.{_EXTENSIONS[kind]}"
    return LocalInput(digest, name, data, kind)


def _read_and_rewind(stream: Any) -> Any:
    """A file object's content from its current position, left where it was (several inputs may name it)."""
    try:
        start = stream.tell()
    except (AttributeError, OSError, ValueError):
        return stream.read()
    data = stream.read()
    try:
        stream.seek(start)
    except (AttributeError, OSError, ValueError):
        pass
    return data


def localize(body: Any, found: dict[str, LocalInput], path: str = "") -> Any:
    """A copy of ``body`` where every local input is a :class:`Pending` marker, recorded in ``found``."""
    if is_local_file(body):
        local = read_local(body, path or "<body>")
        found.setdefault(local.key, local)
        return Pending(local.key)
    if isinstance(body, Mapping):
        return {k: localize(v, found, f"{path}.{k}" if path else str(k)) for k, v in body.items()}
    if isinstance(body, (list, tuple)):
        return [localize(v, found, f"{path}[{i}]") for i, v in enumerate(body)]
    return body


def fill(template: Any, urls: Mapping[str, str]) -> Any:
    """``template`` with each :class:`Pending` marker replaced by its upload's URL."""
    if isinstance(template, Pending):
        return urls[template.key]
    if isinstance(template, Mapping):
        return {k: fill(v, urls) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, urls) for v in template]
    return template


def distinct(pending: Iterable[Mapping[str, LocalInput]]) -> dict[str, LocalInput]:
    """Every distinct local input of several requests (one upload each), in first-use order."""
    merged: dict[str, LocalInput] = {}
    for item in pending:
        for key, local in item.items():
            merged.setdefault(key, local)
    return merged


class UploadBook(Generic[U]):
    """The uploads one run made and the inputs that use them: which may be deleted, and when.

    An upload is deleted only when every input that used it is settled: its task finished (success or
    failed), or its POST certainly created nothing. An input whose task may still run (timeout, outcome
    unknown) holds its uploads forever: they are left for the server's retention to remove.
    """

    def __init__(self, users: Mapping[int, Iterable[str]], made: Mapping[str, U]) -> None:
        self.made = dict(made)  # content key -> the upload this run made
        self.users: dict[str, set[int]] = {key: set() for key in self.made}
        for index, keys in users.items():
            for key in keys:
                if key in self.users:
                    self.users[key].add(index)
        order = {key: n for n, key in enumerate(self.made)}  # each input's keys in the order they were made
        self.keys_of: dict[int, list[str]] = {
            index: sorted({key for key in keys if key in order}, key=order.__getitem__) for index, keys in users.items()
        }
        self.held: set[str] = set()

    def settled(self, index: int, task_may_run: bool) -> list[U]:
        """Input ``index`` is done with its uploads; the uploads no input needs any more (to delete now)."""
        free: list[U] = []
        for key in self.keys_of.pop(index, ()):  # only this input's keys: a batch of n inputs costs O(n)
            users = self.users[key]
            users.discard(index)
            if task_may_run:
                self.held.add(key)
            if not users and key not in self.held:
                free.append(self.made[key])
        return free

    def kept(self) -> list[U]:
        """Uploads left on the server (an input that used them may still run)."""
        return [self.made[key] for key in self.held]


def run_leftovers(uploads: tuple[U, ...], error: BaseException, created: bool) -> tuple[U, ...]:
    """The uploads a run that ended with ``error`` may delete: all when it is settled, else none (logged)."""
    if run_settled(error, created):
        return uploads
    if uploads:
        logger.warning(
            "kept %d upload(s) the task may still read: %s (the server's retention removes them)",
            len(uploads), ", ".join(f.file_id for f in uploads),
        )
    return ()


def listed_on(result: TaskResult, uploads: tuple[Upload, ...]) -> TaskResult:
    """``result`` (a TaskResult) with the uploads made for it listed."""
    return attrs.evolve(result, uploads=uploads) if uploads else result


def run_settled(error: BaseException | None, created: bool) -> bool:
    """Whether a run is done with its uploads: its task finished (a result, or TaskFailed), or its POST was
    refused (an API error answer or a refusal before sending: nothing was created). A timeout, an unknown
    outcome or an interrupt leave a task that may still read them."""
    if error is None or isinstance(error, TaskFailed):
        return True
    return not created and isinstance(error, (APIError, ConfigurationError))


