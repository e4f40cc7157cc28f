"""The task handle that ``AsyncModellix.submit`` returns (async), typed against what it needs of a client.

Written once, in async (``_async/``); ``tools/unasync.py`` generates the sync twin (``_sync/``).
"""

from __future__ import annotations

import logging

import attrs

from .._core.async_ports import AsyncTaskOwner
from .._core.wait import OnUpdate, Submitted
from ..results import TaskResult

logger = logging.getLogger("modellix_typed")


@attrs.define(eq=False)
class AsyncTask(Submitted):
    """A submitted task (async). Holds one concurrency slot until it is seen finished or released."""

    _client: AsyncTaskOwner = attrs.field(repr=False, alias="client", kw_only=True)

    async def poll(self) -> TaskResult:
        """One status read (frees the slot if the task has finished)."""
        return await self._client.tasks.get(self.task_id)

    async def wait(self, timeout: float | None = None, on_update: OnUpdate | None = None) -> TaskResult:
        """Poll until success (returns the result), ``failed`` (TaskFailed) or the deadline (TaskTimeout).

        After a TaskTimeout the task keeps its concurrency slot (it still runs on the server): resume with
        ``wait()`` again, or call :meth:`release` to abandon it.
        """
        return await self._client.tasks.wait(
            self.task_id, timeout=timeout, on_update=on_update, task_type=self.task_type, poll_first=False
        )

    async def result(self, timeout: float | None = None) -> TaskResult:
        """Like ``concurrent.futures.Future.result``: wait and return the successful result."""
        return await self.wait(timeout=timeout)

    def release(self) -> None:
        """Give the concurrency slot back without waiting (e.g. when abandoning the task)."""
        self._client._limiter.release(task_id=self.task_id)
