"""Import path kept for users: slot bookkeeping lives in :mod:`._core.limiter_book`, the two limiters in
:mod:`._sync.limiter` (threads) and :mod:`._async.limiter` (one event loop)."""

from ._async.limiter import AsyncLimiter
from ._core.limiter_book import MAX_SQUEEZE, Slot, SlotHolder
from ._sync.limiter import Limiter

__all__ = ["MAX_SQUEEZE", "AsyncLimiter", "Limiter", "Slot", "SlotHolder"]
