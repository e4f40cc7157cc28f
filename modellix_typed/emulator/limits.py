"""Team-wide requests-per-minute window (the concurrency limit is counted from the task store)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

import attrs

WINDOW = 60.0


@attrs.frozen
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds; 0 when allowed
    reset_epoch: int  # unix time when the oldest counted request leaves the window

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RpmLimiter:
    """Sliding 60 s window per team; a refused request is not counted."""

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        self._seen: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, team: str, now: float) -> RateDecision | None:
        """None when unlimited; otherwise whether this request may pass (and count it if so)."""
        if self._limit is None:
            return None
        with self._lock:
            seen = self._seen[team]
            while seen and seen[0] <= now - WINDOW:
                seen.popleft()
            allowed = len(seen) < self._limit
            if allowed:
                seen.append(now)
            oldest = seen[0] if seen else now
            wait = oldest + WINDOW - now
            return RateDecision(
                allowed=allowed,
                limit=self._limit,
                remaining=max(0, self._limit - len(seen)),
                retry_after=0 if allowed else max(1, math.ceil(wait)),
                reset_epoch=math.ceil(time.time() + wait),
            )

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
