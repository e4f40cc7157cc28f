"""What the (async) shells need from a client, as Protocols: task handles and the batch runner are typed
against these, never against the client class, so no shell module imports the client (no import circle).
Written once, in async (``_async/``); ``tools/unasync.py`` generates the sync twin (``_sync/``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Unpack

from ..common_api import MediaFile
from ..config import ClientConfig
from ..results import TaskResult
from .limiter_book import AsyncSlots, Slot
from .prepare import Prepared
from .wait import Submitted, WaitOptions

if TYPE_CHECKING:
    from ..live_schema import LiveModel, SchemaUnavailable


class AsyncTaskReader(Protocol):
    """``client.tasks``: one status read, or a wait (that ``stop`` cuts short)."""

    async def get(self, task_id: str) -> TaskResult: ...

    async def wait(self, task_id: str, **options: Unpack[WaitOptions]) -> TaskResult: ...


class AsyncTaskOwner(Protocol):
    """What a task handle asks of its client: its tasks, and its limiter to give a slot back."""

    @property
    def tasks(self) -> AsyncTaskReader: ...

    @property
    def _limiter(self) -> AsyncSlots: ...


class AsyncBatchClient(AsyncTaskOwner, Protocol):
    """What the batch runner asks of a client: its settings, one paid POST holding a given slot, waits,
    downloads, and the uploads of local files named in the inputs (made once, deleted when unused)."""

    @property
    def config(self) -> ClientConfig: ...

    async def _submit(self, prepared: Prepared, slot: Slot | None = None) -> Submitted: ...

    async def download(
        self, result: TaskResult, folder: str | Path, *, max_bytes: int | None = None, overwrite: bool = False
    ) -> list[Path]: ...

    async def _upload_locals(self, prepared: list[Prepared]) -> list[Prepared]: ...

    async def _delete_uploads(self, files: Iterable[MediaFile]) -> None: ...

    async def _live_models(self, slugs: Iterable[str]) -> dict[str, LiveModel | SchemaUnavailable]: ...
