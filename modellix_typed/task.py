"""Import path kept for users: task handles live in :mod:`._sync.task` / :mod:`._async.task`, the wait
loop's decisions in :mod:`._core.wait`."""

from ._async.task import AsyncTask
from ._core.wait import Learn, OnUpdate, Submitted, WaitState, task_id_of
from ._sync.task import Task

__all__ = ["AsyncTask", "Learn", "OnUpdate", "Submitted", "Task", "WaitState", "task_id_of"]
