"""modellix-typed: a typed, validating SDK for the Modellix Model-as-a-Service API.

Importing the package is cheap: the clients (and httpx) and every generated model module load on first
use, through the module-level ``__getattr__`` below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> defining module (relative to this package)
_EXPORTS: dict[str, str] = {
    "Modellix": "_sync.client",
    "AsyncModellix": "_async.client",
    "Task": "_sync.task",
    "AsyncTask": "_async.task",
    "TaskResult": "results",
    "TaskStatus": "results",
    "Resource": "results",
    "PollPolicy": "polling",
    "RetryPolicy": "retry",
    "Timeouts": "config",
    "FileSlots": "slots",
    "RedisSlots": "slots",
    "SlotStore": "slots",
    "LimiterUnavailable": "slots",
    "BatchOutcome": "_core.batch_book",
    "BatchProgress": "_core.batch_book",
    "ModelInfo": "common_api",
    "MediaFile": "common_api",
    "ResultExpiryWarning": "_core.download_plan",
    "Endpoint": "request",
    "RequestModel": "request",
    "Issue": "validation",
    "ValidationError": "validation",
    "ModellixError": "errors",
    "ClientClosed": "errors",
    "ConfigurationError": "errors",
    "MissingAPIKey": "errors",
    "APIError": "errors",
    "BadRequest": "errors",
    "AuthenticationError": "errors",
    "InsufficientBalance": "errors",
    "NotFound": "errors",
    "RateLimited": "errors",
    "PolicyBlocked": "errors",
    "Conflict": "errors",
    "UnprocessableEntity": "errors",
    "UnsupportedUpload": "errors",
    "ServerError": "errors",
    "ServiceUnavailable": "errors",
    "InvalidResponse": "errors",
    "APIConnectionError": "errors",
    "APITimeout": "errors",
    "SubmissionOutcomeUnknown": "errors",
    "TaskError": "errors",
    "TaskFailed": "errors",
    "TaskCancelled": "errors",
    "TaskIdMismatch": "errors",
    "ResponseTooLarge": "errors",
    "TaskTimeout": "errors",
    "ResultExpired": "errors",
    "DownloadError": "errors",
    "DownloadTooLarge": "errors",
    "FileAlreadyExists": "errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:
    from ._async.client import (
        AsyncModellix as AsyncModellix,
    )
    from ._async.task import (
        AsyncTask as AsyncTask,
    )
    from ._core.batch_book import (
        BatchOutcome as BatchOutcome,
        BatchProgress as BatchProgress,
    )
    from ._core.download_plan import (
        ResultExpiryWarning as ResultExpiryWarning,
    )
    from ._sync.client import (
        Modellix as Modellix,
    )
    from ._sync.task import (
        Task as Task,
    )
    from .common_api import (
        MediaFile as MediaFile,
        ModelInfo as ModelInfo,
    )
    from .config import (
        Timeouts as Timeouts,
    )
    from .errors import (
        APIConnectionError as APIConnectionError,
        APIError as APIError,
        APITimeout as APITimeout,
        AuthenticationError as AuthenticationError,
        BadRequest as BadRequest,
        ClientClosed as ClientClosed,
        ConfigurationError as ConfigurationError,
        DownloadError as DownloadError,
        DownloadTooLarge as DownloadTooLarge,
        InsufficientBalance as InsufficientBalance,
        InvalidResponse as InvalidResponse,
        MissingAPIKey as MissingAPIKey,
        ModellixError as ModellixError,
        NotFound as NotFound,
        RateLimited as RateLimited,
        PolicyBlocked as PolicyBlocked,
        Conflict as Conflict,
        UnprocessableEntity as UnprocessableEntity,
        UnsupportedUpload as UnsupportedUpload,
        ResultExpired as ResultExpired,
        ServerError as ServerError,
        ServiceUnavailable as ServiceUnavailable,
        SubmissionOutcomeUnknown as SubmissionOutcomeUnknown,
        TaskError as TaskError,
        TaskFailed as TaskFailed,
        TaskCancelled as TaskCancelled,
        TaskIdMismatch as TaskIdMismatch,
        ResponseTooLarge as ResponseTooLarge,
        TaskTimeout as TaskTimeout,
    )
    from .polling import (
        PollPolicy as PollPolicy,
    )
    from .request import (
        Endpoint as Endpoint,
        RequestModel as RequestModel,
    )
    from .results import (
        Resource as Resource,
        TaskResult as TaskResult,
        TaskStatus as TaskStatus,
    )
    from .retry import (
        RetryPolicy as RetryPolicy,
    )
    from .slots import (
        FileSlots as FileSlots,
        LimiterUnavailable as LimiterUnavailable,
        RedisSlots as RedisSlots,
        SlotStore as SlotStore,
    )
    from .validation import (
        Issue as Issue,
        ValidationError as ValidationError,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'modellix_typed' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
