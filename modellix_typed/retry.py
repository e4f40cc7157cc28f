"""Where a retry is decided: which failures are retried, how long to wait, and the POST-vs-GET rules.

Pure logic shared by the sync and async transports. Reads retry on 408/429/5xx and network errors with
exponential backoff. A paid POST (or a media upload) is sent once, whatever the answer, 429 included: what
every official client does (modellix-cli ``maxAttempts = 1``, dsh-modellix, the plugin's "Do not automatically
repeat a paid POST, including after 429"). ``RetryPolicy(retry_submissions=True)`` is an opt-in no official
client makes: a paid POST is then repeated (within ``max_retries``) only when the server certainly did not act
on it (a 429, or a connection that failed before any byte was sent). An upload is never re-sent after an
answer: 408/409/425/429/5xx there mean "outcome unknown" (dsh ``media-upload-client.ts``).
"""

from __future__ import annotations

import email.utils
import enum
import math
import random
import time
from collections.abc import Mapping

import attrs

from .errors import APIConnectionError, APIError, InvalidResponse, TaskIdMismatch

DEFAULT_MAX_RETRIES = 3

# Answers to a paid POST that certainly created nothing (the official CLI's list). Any other status after the
# body was sent (409, 3xx, an unlisted 4xx, 408, 5xx) leaves the outcome unknown.
DEFINITE_REJECTIONS = frozenset({400, 401, 402, 403, 404, 405, 413, 415, 422, 429})
# An upload's answers that created nothing; 408/409/425/429/5xx and anything else leave its outcome unknown (dsh).
UPLOAD_REJECTIONS = DEFINITE_REJECTIONS - {429}


def retryable_read_status(status: int) -> bool:
    """408, 429 and every 5xx: what an idempotent read is retried on (and what a poll waits out)."""
    return status in (408, 429) or 500 <= status < 600


class RequestKind(enum.Enum):
    """How safe it is to repeat a request."""

    READ = "read"  # GET (and DELETE): idempotent, retried on 429/5xx/network errors
    SUBMIT = "submit"  # paid POST: never repeated unless certainly rejected or never sent
    SIDE_EFFECT = "side_effect"  # unpaid but not idempotent (media upload): same rules as SUBMIT


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with full jitter; ``max_retries`` counts repeats after the first attempt."""

    max_retries: int = DEFAULT_MAX_RETRIES
    base_delay: float = 1.0
    max_delay: float = 10.0
    max_retry_after: float = 60.0  # never sleep longer than this on a server's say-so
    # False (the default, every official client's choice): a paid/side-effecting POST is sent once, never
    # repeated, not even after a 429 or a connection that never opened; reads still retry. True: a paid POST
    # is repeated after a 429 or a connection that never opened (bounded by max_retries); uploads still
    # are not repeated after an answer.
    retry_submissions: bool = False

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``attempt`` (1-based): uniform in [cap/2, cap], cap = base*2^(n-1)."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** max(attempt - 1, 0))
        r = rng.random() if rng is not None else random.random()
        return cap / 2 + r * cap / 2

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """The server's Retry-After wins (bounded); otherwise jittered backoff."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff(attempt, rng)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as delay-seconds or an HTTP date -> seconds from now (>= 0), or None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def retry_after_from(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Retry-After, else ``X-RateLimit-Reset`` (a Unix timestamp) when the remaining quota is 0."""
    delay = parse_retry_after(headers.get("retry-after"), now)
    if delay is not None:
        return delay
    reset, remaining = rate_limit_reset(headers), headers.get("x-ratelimit-remaining")
    if reset is not None and remaining is not None and remaining.strip() == "0":
        return max(reset - (time.time() if now is None else now), 0.0)  # finite: "nan"/"inf" never reach a sleep
    return None


def rate_limit_reset(headers: Mapping[str, str]) -> float | None:
    """``X-RateLimit-Reset`` as a Unix time (what modellix-cli's 429 message names), or None."""
    value = headers.get("x-ratelimit-reset")
    try:
        reset = float(value) if value is not None else None
    except ValueError:
        return None
    return reset if reset is not None and math.isfinite(reset) else None


@attrs.frozen
class Decision:
    """What to do after one attempt: retry after ``delay`` seconds, or stop.

    ``outcome_unknown``: a paid/side-effecting request may have been acted on; stop and say so.
    """

    retry: bool
    delay: float = 0.0
    outcome_unknown: bool = False


STOP = Decision(False)
UNKNOWN = Decision(False, outcome_unknown=True)


def decide_on_status(
    kind: RequestKind,
    status: int,
    attempt: int,
    policy: RetryPolicy,
    retry_after: float | None,
    rng: random.Random | None = None,
) -> Decision:
    """After an HTTP error status. ``attempt`` is the number of attempts already made (1-based)."""
    if kind is RequestKind.SIDE_EFFECT and status not in UPLOAD_REJECTIONS:
        return UNKNOWN  # an upload is never re-sent after an answer; a 429 may still have stored the file
    if kind is not RequestKind.READ and status not in DEFINITE_REJECTIONS:
        return UNKNOWN  # the body was received and the answer does not say nothing was created
    if attempt > policy.max_retries:
        return STOP
    if kind is RequestKind.READ and retryable_read_status(status):
        return Decision(True, policy.delay(attempt, retry_after, rng))
    if kind is RequestKind.SUBMIT and status == 429 and policy.retry_submissions:
        # Opt-in only: a 429 is a definite rejection (no task was created), so trying again cannot double-charge.
        return Decision(True, policy.delay(attempt, retry_after, rng))
    return STOP


def decide_on_network_error(
    kind: RequestKind,
    sent: bool,
    attempt: int,
    policy: RetryPolicy,
    rng: random.Random | None = None,
) -> Decision:
    """After a transport error; ``sent`` is False only when the request certainly never left."""
    if kind is not RequestKind.READ and sent:
        return UNKNOWN
    if attempt > policy.max_retries or (kind is not RequestKind.READ and not policy.retry_submissions):
        return STOP
    return Decision(True, policy.backoff(attempt, rng))


def transient_poll_error(error: Exception) -> bool:
    """During a wait, a failed status read means "no news this round" (keep polling until the deadline)
    when a plain read would be retried on it, or when the body was unreadable."""
    if isinstance(error, APIError):
        return retryable_read_status(error.status)
    if isinstance(error, TaskIdMismatch):
        return False  # polling again would only read the wrong task again
    return isinstance(error, (APIConnectionError, InvalidResponse))
