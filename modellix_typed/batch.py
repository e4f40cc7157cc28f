"""Import path kept for users: the batch vocabulary and bookkeeping live in :mod:`._core.batch_book`, the
runners in :mod:`._sync.batch` (threads) and :mod:`._async.batch` (asyncio)."""

from ._async.batch import resume_batch_async, run_batch_async
from ._core.batch_book import (
    STOP_CHECK_INTERVAL,
    BatchItem,
    BatchOutcome,
    BatchProgress,
    Job,
    JournalPath,
    NotSent,
    OnProgress,
    OutcomeKind,
    Run,
    classify,
    plan_resume,
    prepare_all,
)
from ._sync.batch import resume_batch, run_batch

__all__ = [
    "STOP_CHECK_INTERVAL", "BatchItem", "BatchOutcome", "BatchProgress", "Job", "JournalPath", "NotSent",
    "OnProgress", "OutcomeKind", "Run", "classify", "plan_resume", "prepare_all", "resume_batch",
    "resume_batch_async", "run_batch", "run_batch_async",
]
