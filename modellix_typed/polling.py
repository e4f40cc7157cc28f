"""Where the polling cadence and the wait deadline are decided, tuned per task type.

Images finish in ~3-10 s, videos in ~30-120 s: polling a video every 0.5 s wastes ~100 requests, polling
an image every 5 s adds seconds of latency. Delays grow geometrically from ``first_delay`` to ``max_delay``
with jitter (so many waiting tasks do not poll in lockstep) and never overshoot the deadline.

With history (:mod:`.pollstats`) a :class:`LearnedPlan` replaces the blind start: one poll when the model's
tasks usually finish, then short gaps through the usual spread, then the backoff again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

import attrs


@attrs.frozen
class PollPolicy:
    """How often to poll one task and how long to wait for it by default."""

    first_delay: float = 2.0
    max_delay: float = 10.0
    multiplier: float = 1.5
    jitter: float = 0.2  # +/- fraction of each delay
    default_timeout: float = 600.0

    def __attrs_post_init__(self) -> None:
        from .errors import ConfigurationError

        if not (0 < self.first_delay <= self.max_delay):
            raise ConfigurationError(
                f"poll policy: need 0 < first_delay <= max_delay, got {self.first_delay!r} / {self.max_delay!r}"
            )
        if self.multiplier < 1:
            raise ConfigurationError(f"poll policy: multiplier must be >= 1, got {self.multiplier!r}")
        if not (0 <= self.jitter < 1):
            raise ConfigurationError(f"poll policy: jitter must be in [0, 1), got {self.jitter!r}")
        if not self.default_timeout > 0:
            raise ConfigurationError(f"poll policy: default_timeout must be > 0, got {self.default_timeout!r}")

    def delay(self, poll_number: int, rng: random.Random | None = None) -> float:
        """Delay before poll ``poll_number`` (0 = the first poll after submission)."""
        base = min(self.max_delay, self.first_delay * self.multiplier**poll_number)
        spread = base * self.jitter
        return max(base + (rng.uniform(-spread, spread) if rng else random.uniform(-spread, spread)), 0.0)

    def scaled(self, factor: float) -> PollPolicy:
        """Same shape, all durations multiplied by ``factor`` (for emulators running faster than life)."""
        return attrs.evolve(
            self,
            first_delay=self.first_delay * factor,
            max_delay=self.max_delay * factor,
            default_timeout=self.default_timeout * factor,
        )


IMAGE_POLICY = PollPolicy(first_delay=1.0, max_delay=3.0, multiplier=1.5, default_timeout=300.0)
VIDEO_POLICY = PollPolicy(first_delay=5.0, max_delay=15.0, multiplier=1.5, default_timeout=1800.0)
DEFAULT_POLICY = PollPolicy()


def media_kind(task_type: str | None) -> str:
    """``t2i``/``i2i``/``text-to-image`` -> "image"; ``t2v``/``i2v``/``v2v`` -> "video"; else "other"."""
    t = (task_type or "").lower()
    if t.endswith("2i") or t.endswith("image"):
        return "image"
    if t.endswith("2v") or t.endswith("video"):
        return "video"
    return "other"


def policy_for(task_type: str | None, overrides: Mapping[str, PollPolicy] | None = None) -> PollPolicy:
    """Override lookup order: exact task type, media kind ("image"/"video"), "*", then built-ins."""
    overrides = overrides or {}
    kind = media_kind(task_type)
    for key in (task_type or "", kind, "*"):
        if key in overrides:
            return overrides[key]
    return {"image": IMAGE_POLICY, "video": VIDEO_POLICY}.get(kind, DEFAULT_POLICY)


def check_timeout(timeout: float | None) -> None:
    """A wait deadline must be checked before a paid submission, not when the wait starts after it."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        from .errors import ConfigurationError

        raise ConfigurationError(f"timeout: must be a number of seconds > 0, got {timeout!r}")


@attrs.frozen
class LearnedPlan:
    """Poll times from history, in seconds since the wait started: first at ``first_at``, then every
    ``gap`` until ``until``, then the policy's geometric backoff starting from ``gap``."""

    first_at: float
    gap: float
    until: float

    @classmethod
    def around(cls, policy: PollPolicy, low: float, typical: float, high: float) -> LearnedPlan:
        """Tasks finish between ``low`` and ``high`` (``typical`` in between) from now. The gap is the
        latency we accept, a little under max(0.5 s, 10% of the task) to leave room for the round trip: 8%
        of the task, at least 0.4 x the policy's first delay (0.4 s for images).
        The first poll comes one gap before the typical time, but never more than a gap after ``low``: a
        task finishing at the earliest is still seen within one gap, with fewer polls than from ``low``."""
        gap = min(max(0.4 * policy.first_delay, 0.08 * typical), policy.max_delay)
        first = min(max(typical - gap, low), low + gap)
        return cls(max(first, 0.0), gap, max(high, first, 0.0) + gap)


class PollSchedule:
    """One wait: counts polls, computes the next sleep, knows when the deadline has passed."""

    def __init__(
        self,
        policy: PollPolicy,
        timeout: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        plan: LearnedPlan | None = None,
    ) -> None:
        check_timeout(timeout)
        self.policy = policy
        self.plan = plan
        self.late_polls: int = 0  # polls after the learned window
        self.clock = clock
        self.rng = rng
        self.started: float = clock()
        self.deadline: float = self.started + (policy.default_timeout if timeout is None else timeout)
        self.polls: int = 0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float:
        return max(self.deadline - self.clock(), 0.0)

    def expired(self) -> bool:
        return self.clock() >= self.deadline

    def next_delay(self, retry_after: float | None = None) -> float:
        """Sleep before the next poll; a server's Retry-After is a floor. Clipped to the deadline."""
        delay = self.policy.delay(self.polls, self.rng) if self.plan is None else self._planned()
        if retry_after is not None:
            delay = max(delay, retry_after)
        self.polls += 1
        return min(delay, self.remaining())

    def _planned(self) -> float:
        assert self.plan is not None
        elapsed = self.elapsed()
        if self.polls == 0:
            return max(self.plan.first_at - elapsed, 0.0)
        if elapsed < self.plan.until:
            return self.plan.gap
        self.late_polls += 1
        return min(max(self.policy.max_delay, self.plan.gap), self.plan.gap * self.policy.multiplier**self.late_polls)
