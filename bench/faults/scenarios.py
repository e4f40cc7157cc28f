"""The fault plans, the workload each drives, the exact outcome each must produce, and the client settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from modellix_typed.config import Timeouts
from modellix_typed.emulator import Fault
from modellix_typed.emulator.config import FaultKind, FaultRoute
from modellix_typed.polling import PollPolicy
from modellix_typed.retry import RetryPolicy

# A fake key, distinctive so that any leak is unmistakable (never a real key).
API_KEY = "mk-faults-7c1e9a35b2d84f06"

# Real client policies, with every duration scaled down so the suite runs in seconds.
TIME_SCALE = 0.01  # emulator: images finish in 50 ms, videos in 600 ms
POLL = PollPolicy(first_delay=0.01, max_delay=0.05, multiplier=1.5, default_timeout=20.0)
# The suite drives the opt-in re-send after a 429 (retry_submissions=True): its 429 storms measure that bounded
# policy; the default (one paid send, 429 included) is covered by tests/conformance.
RETRY = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.2, retry_submissions=True)
TIMEOUTS = Timeouts(connect=2.0, read=1.0, submit_read=1.0, download_read=2.0)
SLOW = 1.5  # seconds a "slow" fault stalls: past TIMEOUTS.read / submit_read

Workload = Literal["batch", "runs", "async_batch"]


@attrs.frozen(kw_only=True)
class Scenario:
    """One fault plan, the workload driven through it, and the exact outcome the plan must produce.

    ``expect_errors`` (typed error class -> count), ``expect_saved`` and ``expect_created`` are checked when
    set; the generic pass criteria apply to every scenario.
    """

    name: str
    fault: str  # what is injected, in words, for the published table
    faults: tuple[Fault, ...] = ()
    workload: Workload = "batch"
    images: int = 6
    videos: int = 0
    result_ttl: float = 3600.0
    download_delay: float = 0.0  # seconds between the last result and the downloads (expiry)
    wait_timeout: float | None = None  # per-task wait deadline given to batch/run
    expect_errors: Mapping[str, int] | None = None
    expect_saved: int | None = None
    expect_created: int | None = None

    @property
    def intended(self) -> int:
        return self.images + self.videos


def _f(kind: FaultKind, route: FaultRoute, count: int, **kw: Any) -> Fault:
    return Fault(kind=kind, route=route, count=count, **kw)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="baseline",
        fault="none (control row)",
        images=6,
        videos=1,
        expect_errors={},
        expect_saved=7,
        expect_created=7,
    ),
    Scenario(
        name="429_storm_submit",
        fault="3x HTTP 429 (Retry-After: 0) on submit, batch of 6",
        faults=(_f("status", "submit", 3, status=429, retry_after=0),),
        expect_errors={},
        expect_saved=6,
        expect_created=6,
    ),
    Scenario(
        name="429_storm_exhausts_retries",
        fault="8x HTTP 429 on submit, 6 sequential runs (max_retries=3)",
        faults=(_f("status", "submit", 8, status=429, retry_after=0),),
        workload="runs",
        expect_errors={"RateLimited": 2},
        expect_saved=4,
        expect_created=4,
    ),
    Scenario(
        name="429_storm_poll",
        fault="10x HTTP 429 (Retry-After: 0) on polling",
        faults=(_f("status", "poll", 10, status=429, retry_after=0),),
        expect_errors={},
        expect_saved=6,
        expect_created=6,
    ),
    Scenario(
        name="5xx_burst_submit",
        fault="2x HTTP 500 + 1x HTTP 503 on submit, 6 sequential runs",
        faults=(_f("status", "submit", 2, status=500), _f("status", "submit", 1, status=503, retry_after=0)),
        workload="runs",
        expect_errors={"SubmissionOutcomeUnknown": 3},
        expect_saved=3,
        expect_created=3,
    ),
    Scenario(
        name="5xx_burst_poll",
        fault="4x HTTP 500 + 4x HTTP 503 on polling",
        faults=(_f("status", "poll", 4, status=500), _f("status", "poll", 4, status=503, retry_after=0)),
        videos=1,
        expect_errors={},
        expect_saved=7,
        expect_created=7,
    ),
    Scenario(
        name="drop_after_submit",
        fault="2x connection closed after the POST was read (task created)",
        faults=(_f("drop", "submit", 2),),
        expect_errors={"SubmissionOutcomeUnknown": 2},
        expect_saved=4,
        expect_created=6,
    ),
    Scenario(
        name="drop_poll",
        fault="4x connection closed on polling",
        faults=(_f("drop", "poll", 4),),
        expect_errors={},
        expect_saved=6,
        expect_created=6,
    ),
    Scenario(
        name="malformed_json_submit",
        fault="2x cut-off JSON in a 200 reply to submit (task created)",
        faults=(_f("malformed_json", "submit", 2),),
        expect_errors={"SubmissionOutcomeUnknown": 2},
        expect_saved=4,
        expect_created=6,
    ),
    Scenario(
        name="malformed_json_poll",
        fault="4x cut-off JSON in a 200 reply to polling",
        faults=(_f("malformed_json", "poll", 4),),
        expect_errors={},
        expect_saved=6,
        expect_created=6,
    ),
    Scenario(
        name="truncated_submit",
        fault="2x body shorter than Content-Length on submit (task created)",
        faults=(_f("truncated", "submit", 2),),
        expect_errors={"SubmissionOutcomeUnknown": 2},
        expect_saved=4,
        expect_created=6,
    ),
    Scenario(
        name="truncated_poll",
        fault="4x body shorter than Content-Length on polling",
        faults=(_f("truncated", "poll", 4),),
        expect_errors={},
        expect_saved=6,
        expect_created=6,
    ),
    Scenario(
        name="slow_submit",
        fault=f"1x submit answered after {SLOW}s (client submit timeout {TIMEOUTS.submit_read}s)",
        faults=(_f("slow", "submit", 1, delay=SLOW),),
        expect_errors={"SubmissionOutcomeUnknown": 1},
        expect_saved=5,
        # 5 or 6: the stalled POST creates its task only if the server read the body before the client gave up
    ),
    Scenario(
        name="slow_poll",
        fault=f"2x poll answered after {SLOW}s (client read timeout {TIMEOUTS.read}s)",
        faults=(_f("slow", "poll", 2, delay=SLOW),),
        expect_errors={},
        expect_saved=6,
        expect_created=6,
    ),
    Scenario(
        name="failed_tasks",
        fault="2x task ends 'failed' on the server",
        faults=(_f("fail_task", "submit", 2, message="Content policy: injected failure"),),
        expect_errors={"TaskFailed": 2},
        expect_saved=4,
        expect_created=6,
    ),
    Scenario(
        name="expired_results",
        fault="results expire 0.5s after completion; downloads start 0.7s after the batch",
        result_ttl=0.5,
        download_delay=0.7,
        expect_errors={"ResultExpired": 6},
        expect_saved=0,
        expect_created=6,
    ),
    Scenario(
        name="download_faults",
        fault="result downloads: 1x HTTP 500, 1x truncated body, 1x dropped connection",
        faults=(
            _f("status", "download", 1, status=500),
            _f("truncated", "download", 1),
            _f("drop", "download", 1),
        ),
        expect_errors={"DownloadError": 3},
        expect_saved=3,
        expect_created=6,
    ),
    Scenario(
        name="slow_download",
        fault=f"1x result download answered after {SLOW + 1.0}s (client download timeout {TIMEOUTS.download_read}s)",
        faults=(_f("slow", "download", 1, delay=SLOW + 1.0),),
        expect_errors={"DownloadError": 1},
        expect_saved=5,
        expect_created=6,
    ),
    Scenario(
        name="download_not_media",
        fault="1x result download answered 200 with a JSON body instead of the PNG",
        faults=(_f("malformed_json", "download", 1),),
        expect_errors={"DownloadError": 1},
        expect_saved=5,
        expect_created=6,
    ),
    Scenario(
        name="wait_timeout_batch",
        fault="videos outlive the batch's 0.1s wait deadline (no server fault), batch of 6",
        images=0,
        videos=6,
        wait_timeout=0.1,
        expect_errors={"TaskTimeout": 6},
        expect_saved=0,
        expect_created=6,
    ),
    Scenario(
        name="wait_timeout_runs",
        # run(timeout=) covers the POST too (a POST it cuts is outcome unknown, a 429 it has no time left to
        # wait out is RateLimited): 3 runs, so the team limit is never hit and each POST has time to finish.
        fault="videos outlive a 0.3s run() deadline (no server fault), 3 sequential runs",
        workload="runs",
        images=0,
        videos=3,
        wait_timeout=0.3,
        expect_errors={"TaskTimeout": 3},
        expect_saved=0,
        expect_created=3,
    ),
    Scenario(
        name="wait_timeout_async_batch",
        fault="videos outlive the async batch's 0.1s wait deadline (no server fault), batch of 6",
        workload="async_batch",
        images=0,
        videos=6,
        wait_timeout=0.1,
        expect_errors={"TaskTimeout": 6},
        expect_saved=0,
        expect_created=6,
    ),
    Scenario(
        name="async_chaos",
        fault="async batch of 12 under a mix: 503+drop on submit; 500x3, 429x3, malformed x2, "
        "truncated x2 on polling; 1 failed task; 1 download 500",
        faults=(
            _f("status", "submit", 1, status=503, retry_after=0),
            _f("drop", "submit", 1),
            _f("status", "poll", 3, status=500),
            _f("status", "poll", 3, status=429, retry_after=0),
            _f("malformed_json", "poll", 2),
            _f("truncated", "poll", 2),
            _f("fail_task", "submit", 1),
            _f("status", "download", 1, status=500),
        ),
        workload="async_batch",
        images=10,
        videos=2,
        expect_created=11,
    ),
)


def scenario(name: str) -> Scenario:
    for item in SCENARIOS:
        if item.name == name:
            return item
    raise KeyError(f"unknown fault scenario {name!r}; known: {[s.name for s in SCENARIOS]}")
