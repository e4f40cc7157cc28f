"""Which uploads a batch may delete, and its outcomes with their uploads listed (no I/O): an upload made for
local files in the inputs goes once every input that used it is settled, never while a task may still read it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import attrs

from ..common_api import MediaFile
from .batch_book import BatchOutcome
from .prepare import Prepared
from .uploads import UploadBook

logger = logging.getLogger("modellix_typed")


def outcome_settled(outcome: BatchOutcome | None) -> bool:
    """:func:`run_settled` for a batch input (None: it has no outcome, e.g. after an interrupt)."""
    if outcome is None:
        return False
    if outcome.kind in ("success", "failed", "rejected", "rate_limited", "skipped"):
        return True
    return outcome.kind == "error" and (outcome.result is not None or outcome.task_id is None)


def batch_leftovers(prepared: list[Prepared], outcomes: Iterable[BatchOutcome]) -> list[MediaFile]:
    """The uploads a finished batch may delete: those whose every user is settled (kept ones are logged)."""
    by_index = {o.index: o for o in outcomes}
    made = {f.url: f for p in prepared for f in p.uploads}
    book = UploadBook({i: [f.url for f in p.uploads] for i, p in enumerate(prepared)}, made)
    free: list[MediaFile] = []
    for index, item in enumerate(prepared):
        if item.uploads:
            free += book.settled(index, task_may_run=not outcome_settled(by_index.get(index)))
    kept = book.kept()
    if kept:
        logger.warning(
            "kept %d upload(s) a task that may still run could read: %s (the server's retention removes them)",
            len(kept), ", ".join(f.file_id for f in kept),
        )
    return free


def listed(outcome: BatchOutcome, prepared: list[Prepared]) -> BatchOutcome:
    """The outcome with its input's uploads listed on its result."""
    uploads = prepared[outcome.index].uploads if outcome.index < len(prepared) else ()
    if not uploads or outcome.result is None:
        return outcome
    return attrs.evolve(outcome, result=attrs.evolve(outcome.result, uploads=uploads))
