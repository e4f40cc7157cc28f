"""The async task handle returned by ``AsyncModellix.submit``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import attrs

from .._core.wait import OnUpdate, Submitted
from ..results import TaskResult

if TYPE_CHECKING:
    from .client import AsyncModellix
logger = logging.getLogger("modellix_typed")


@attrs.define(eq=False)
class AsyncTask(Submitted):
    """A submitted task (async). Same as :class:`Task` with awaitable methods."""

    _client: AsyncModellix = attrs.field(repr=False, alias="client", kw_only=True)

    def poll(self) -> Awaitable[TaskResult]:
        return self._client.tasks.get(self.task_id)

    def wait(self, timeout: float | None = None, on_update: OnUpdate | None = None) -> Awaitable[TaskResult]:
        return self._client.tasks.wait(
            self.task_id, timeout=timeout, on_update=on_update, task_type=self.task_type, poll_first=False
        )

    def result(self, timeout: float | None = None) -> Awaitable[TaskResult]:
        return self.wait(timeout=timeout)

    def release(self) -> None:
        self._client._limiter.release(task_id=self.task_id)
