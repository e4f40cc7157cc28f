"""Import path kept for users: the clients live in :mod:`._sync.client` and :mod:`._async.client`, what both
decide without I/O in :mod:`._core`. New code imports from :mod:`modellix_typed`."""

from ._async.client import AsyncMedia, AsyncModellix, AsyncTasks
from ._core.client_core import ClientBase, ClientCore
from ._core.prepare import Prepared, RequestLike, prepare, prepare_raw
from ._sync.client import Media, Modellix, Tasks

__all__ = [
    "AsyncMedia", "AsyncModellix", "AsyncTasks", "ClientBase", "ClientCore", "Media", "Modellix", "Prepared",
    "RequestLike", "Tasks", "prepare", "prepare_raw",
]
