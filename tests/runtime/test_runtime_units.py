"""Pure runtime logic: error parsing, retry rules, Retry-After, poll policies, result parsing, names, limiter."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modellix_typed.download import ResultExpiryWarning, safe_filename, warn_if_expiring
from modellix_typed.errors import (
    BadRequest,
    InsufficientBalance,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    api_error_for,
)
from modellix_typed.limiter import AsyncLimiter, Limiter
from modellix_typed.polling import IMAGE_POLICY, VIDEO_POLICY, PollPolicy, PollSchedule, policy_for
from modellix_typed.results import Resource, TaskStatus, parse_task
from modellix_typed.retry import RequestKind, RetryPolicy, decide_on_network_error, decide_on_status, parse_retry_after


def test_error_body_is_parsed_into_category_and_detail() -> None:
    body = b'{"code": 400, "message": "Invalid format: parameter \'size\' must be in format \'width*height\'"}'
    err = api_error_for(400, body, method="POST", path="/api/v1/x/y", request_id="req-1")
    assert isinstance(err, BadRequest)
    assert (err.category, err.detail, err.request_id) == ("Invalid format", "parameter 'size' must be in format 'width*height'", "req-1")
    assert "POST /api/v1/x/y" in str(err) and "req-1" in str(err)


@pytest.mark.parametrize(("status", "cls"), [(402, InsufficientBalance), (503, ServiceUnavailable), (502, ServerError)])
def test_status_picks_the_class_and_tolerates_non_json(status: int, cls: type) -> None:
    err = api_error_for(status, b"<html>Bad gateway</html>")
    assert type(err) is cls and "non-JSON error body" in err.detail and err.status == status


def test_rate_limited_carries_retry_after() -> None:
    err = api_error_for(429, b'{"code":429,"message":"Concurrent limit exceeded: 3 running"}', retry_after=2.0)
    assert isinstance(err, RateLimited) and err.retry_after == 2.0 and err.category == "Concurrent limit exceeded"


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-5") == 0.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None and parse_retry_after("nan") is None


def test_paid_post_is_only_retried_when_certainly_not_acted_on() -> None:
    """The opt-in (retry_submissions=True): repeated only when the server certainly did not act on it."""
    p = RetryPolicy(max_retries=3, retry_submissions=True)
    assert not RetryPolicy().retry_submissions  # off by default: one paid send
    submit = RequestKind.SUBMIT
    assert decide_on_status(submit, 429, 1, p, 1.0).retry  # definite rejection
    assert decide_on_status(submit, 429, 1, p, 1.0).delay == 1.0  # honours Retry-After
    for status in (400, 401, 402, 404, 500, 503):
        assert not decide_on_status(submit, status, 1, p, None).retry
    for status in (408, 500, 503):  # the body was received: may have been acted on
        assert decide_on_status(submit, status, 1, p, None).outcome_unknown
    assert not decide_on_status(submit, 400, 1, p, None).outcome_unknown  # a definite rejection
    assert decide_on_network_error(submit, False, 1, p).retry  # never left the machine
    assert not decide_on_network_error(submit, True, 1, p).retry  # may have been received
    assert decide_on_network_error(submit, True, 1, p).outcome_unknown
    assert not decide_on_status(submit, 429, 4, p, None).retry  # budget spent


def test_reads_retry_on_429_5xx_and_network_errors_only() -> None:
    p = RetryPolicy(max_retries=2)
    read = RequestKind.READ
    assert all(decide_on_status(read, s, 1, p, None).retry for s in (408, 429, 500, 501, 502, 503, 504, 599))
    assert not any(decide_on_status(read, s, 1, p, None).retry for s in (400, 401, 402, 404))
    assert not any(decide_on_status(read, s, 1, p, None).outcome_unknown for s in (408, 500, 503))
    assert decide_on_network_error(read, True, 2, p).retry and not decide_on_network_error(read, True, 3, p).retry


def test_a_wait_polls_through_exactly_the_failures_a_read_retries() -> None:
    """One rule (retry.py) for both: a plain GET's retries and a wait's "no news this round"."""
    from modellix_typed.errors import (
        APIConnectionError,
        APIError,
        InvalidResponse,
        NotFound,
        ResultExpired,
    )
    from modellix_typed.retry import transient_poll_error
    from modellix_typed.task import WaitState

    for status in (408, 429, 500, 501, 503, 504):
        assert transient_poll_error(api_error_for(status, b"")), status
    assert transient_poll_error(APIConnectionError("reset")) and transient_poll_error(InvalidResponse("x"))
    for error in (api_error_for(400, b""), api_error_for(401, b""), NotFound(404, "", ""), ResultExpired(404, "", "")):
        assert not transient_poll_error(error), error
    assert not transient_poll_error(APIError(418, "", "")) and not transient_poll_error(ValueError("x"))
    state = WaitState("t-1", PollPolicy(first_delay=0.01, max_delay=0.01), 5.0, None, poll_first=True)
    assert 0 < state.on_error(api_error_for(408, b"")) <= 0.02  # the wait polls on
    with pytest.raises(BadRequest):
        state.on_error(api_error_for(400, b""))


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    p = RetryPolicy(base_delay=1.0, max_delay=4.0)
    rng = random.Random(1)
    delays = [[p.backoff(n, rng) for _ in range(50)] for n in (1, 2, 3, 6)]
    assert all(0.5 <= d <= 1 for d in delays[0]) and all(1 <= d <= 2 for d in delays[1])
    assert all(2 <= d <= 4 for d in delays[3]) and len(set(delays[0])) > 1


def test_poll_policy_is_tuned_per_task_type() -> None:
    assert policy_for("t2i") is IMAGE_POLICY and policy_for("i2i") is IMAGE_POLICY
    assert policy_for("t2v") is VIDEO_POLICY and policy_for("image-to-video") is VIDEO_POLICY
    assert IMAGE_POLICY.first_delay == 1.0 and IMAGE_POLICY.max_delay == 3.0
    assert VIDEO_POLICY.first_delay == 5.0 and VIDEO_POLICY.max_delay == 15.0
    custom = PollPolicy(first_delay=0.5, max_delay=1.0)
    assert policy_for("t2v", {"video": custom}) is custom and policy_for("t2i", {"*": custom}) is custom


def test_poll_schedule_grows_and_never_passes_the_deadline() -> None:
    now = [0.0]
    schedule = PollSchedule(PollPolicy(1.0, 4.0, 2.0, jitter=0.0, default_timeout=100), 6.0, clock=lambda: now[0])
    delays = []
    while not schedule.expired():
        delays.append(schedule.next_delay())
        now[0] += delays[-1]
    assert delays == [1.0, 2.0, 3.0]  # 1, 2, then clipped at the 6 s deadline
    fresh = PollSchedule(PollPolicy(1.0, 4.0, jitter=0.0), 60, clock=lambda: 0.0)
    assert fresh.next_delay(retry_after=7.0) == 7.0  # Retry-After is a floor


def test_bad_poll_policy_names_the_rule() -> None:
    with pytest.raises(ValueError, match="first_delay <= max_delay"):
        PollPolicy(first_delay=5, max_delay=1)


def test_task_result_parsing() -> None:
    data = {
        "status": "success",
        "task_id": "task-1",
        "model_id": "m",
        "duration": 3500,
        "result": {
            "resources": [{"url": "https://f/x.png", "type": "image", "width": 1024, "height": 768, "format": "png",
                           "role": "primary", "seed": 7}],
            "metadata": {"image_count": 1},
            "extensions": {"submit_time": "2024-01-01T10:00:00Z", "end_time": "2024-01-01T10:00:03Z"},
        },
    }
    r = parse_task(data)
    assert r.status is TaskStatus.SUCCESS and r.duration_ms == 3500 and r.resources[0].extra == {"seed": 7}
    assert r.expires_at == dt.datetime(2024, 1, 8, 10, 0, 3, tzinfo=dt.timezone.utc)  # estimate: end + 7 days
    assert not r.expires_at_from_server
    failed = parse_task({"status": "failed", "task_id": "t", "error": {"message": "nsfw"}})
    assert failed.error == "nsfw"
    weird = parse_task({"status": "weird", "task_id": "t"})  # unknown words wait, kept raw
    assert (weird.status, weird.raw_status, weird.done) == (TaskStatus.UNKNOWN, "weird", False)
    for missing in ({"task_id": "t"}, {"status": "", "task_id": "t"}, {"status": 3, "task_id": "t"}):
        with pytest.raises(ValueError, match="data.status"):
            parse_task(missing)


def test_expiry_warning_when_close_or_passed(caplog: pytest.LogCaptureFixture) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    ended = {"status": "success", "task_id": "t",
             "result": {"resources": [{"url": "https://x/y"}], "extensions": {"end_time": ""}}}
    week = dt.timedelta(days=7)
    for age, fragment in ((week - dt.timedelta(hours=1), "expire in"), (week + dt.timedelta(hours=1), "probably expired")):
        ended["result"]["extensions"]["end_time"] = (now - age).isoformat()  # type: ignore[index]
        with pytest.warns(ResultExpiryWarning, match=fragment):
            warn_if_expiring(parse_task(ended))
    assert "probably expired" in caplog.text
    ended["result"]["extensions"]["end_time"] = now.isoformat()  # type: ignore[index]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_expiring(parse_task(ended))  # fresh: silent


def test_filenames_come_from_task_id_never_the_url() -> None:
    evil = Resource(url="https://x/../../etc/passwd", format="../sh")
    assert safe_filename("task-../../x", 0, evil) == "task-______x-0.sh"
    assert safe_filename("..hidden", 2, Resource(url="u", type="video")) == "hidden-2.mp4"
    assert safe_filename("t", 0, Resource(url="u")) == "t-0.bin"


def test_sync_limiter_blocks_at_the_limit_and_releases_by_task_id() -> None:
    limiter = Limiter(2)
    a, b = limiter.acquire(), limiter.acquire()
    assert a and b and limiter.acquire(timeout=0.01) is None
    a.task_id = "task-a"
    threading.Timer(0.05, lambda: limiter.release(task_id="task-a")).start()
    assert limiter.acquire(timeout=2) is not None
    limiter.release(b)
    limiter.release(b)  # idempotent
    assert limiter.in_use == 1


def test_async_limiter_hands_slots_over_in_order() -> None:
    async def main() -> list[int]:
        limiter = AsyncLimiter(1)
        order: list[int] = []
        first = await limiter.acquire()

        async def worker(n: int) -> None:
            slot = await limiter.acquire()
            order.append(n)
            limiter.release(slot)

        tasks = [asyncio.create_task(worker(n)) for n in range(3)]
        await asyncio.sleep(0.01)
        assert order == []
        limiter.release(first)
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(main()) == [0, 1, 2]


def test_connect_errors_are_marked_not_sent() -> None:
    from modellix_typed.transport import NOT_SENT_ERRORS

    assert issubclass(httpx.ConnectError, NOT_SENT_ERRORS) and not issubclass(httpx.ReadTimeout, NOT_SENT_ERRORS)
    assert not issubclass(httpx.RemoteProtocolError, NOT_SENT_ERRORS)


def test_package_import_is_light() -> None:
    code = "import sys, modellix_typed; print('httpx' in sys.modules, 'modellix_typed.client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    code = "import modellix_typed as m; print(m.Modellix.__name__, m.TaskTimeout.__mro__[1].__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["Modellix", "TaskError"]


def _exchange(kind: RequestKind) -> object:
    from modellix_typed.config import ClientConfig
    from modellix_typed.transport import Call, Exchange

    config = ClientConfig.resolve(api_key="k", base_url="http://127.0.0.1:1")
    return Exchange(config, RetryPolicy(max_retries=0), Call("POST", "/api/v1/a/b", kind=kind, content=b"{}", slug="a/b"))


def test_post_replies_that_hide_the_outcome_become_outcome_unknown() -> None:
    from modellix_typed.errors import SubmissionOutcomeUnknown
    from modellix_typed.transport import Exchange

    for status, body in ((200, b"not json"), (200, b'{"code": 500, "message": "Internal: x"}'), (504, b"")):
        ex = _exchange(RequestKind.SUBMIT)
        assert isinstance(ex, Exchange)
        ex.request_kwargs()
        step = ex.on_response(status, {}, body)
        assert isinstance(step.error, SubmissionOutcomeUnknown) and step.error.status == status
    ex = _exchange(RequestKind.SUBMIT)
    assert isinstance(ex, Exchange)
    ex.request_kwargs()
    step = ex.on_exception(httpx.ReadTimeout("timed out"))
    assert isinstance(step.error, SubmissionOutcomeUnknown) and "ReadTimeout" in step.error.reason


def test_an_error_in_a_2xx_envelope_follows_the_same_retry_rules_as_the_http_status() -> None:
    from modellix_typed.config import ClientConfig
    from modellix_typed.transport import Call, Exchange

    config = ClientConfig.resolve(api_key="k", base_url="http://127.0.0.1:1")
    read = Exchange(config, RetryPolicy(max_retries=1), Call("GET", "/api/v1/tasks/t"))
    read.request_kwargs()
    step = read.on_response(200, {"retry-after": "2"}, b'{"code": 503, "message": "Service unavailable: busy"}')
    assert step.retry is not None and step.retry.delay == 2.0  # retried like an HTTP 503, Retry-After honoured
    read.request_kwargs()
    step = read.on_response(200, {}, b'{"code": 503, "message": "Service unavailable: busy"}')
    assert isinstance(step.error, ServiceUnavailable) and step.retry is None  # budget spent
    submit = Exchange(
        config,
        RetryPolicy(max_retries=1, retry_submissions=True),
        Call("POST", "/api/v1/a/b", kind=RequestKind.SUBMIT, content=b"{}"),
    )
    submit.request_kwargs()
    step = submit.on_response(200, {}, b'{"code": 429, "message": "Rate limit: slow down"}')
    assert step.retry is not None  # a definite rejection, as with an HTTP 429
    submit.request_kwargs()
    step = submit.on_response(200, {}, b'{"code": 400, "message": "Invalid format: size"}')
    assert isinstance(step.error, BadRequest) and step.error.detail == "size"


def test_2xx_without_task_id_is_outcome_unknown() -> None:
    from modellix_typed.client import ClientCore, Prepared
    from modellix_typed.config import ClientConfig
    from modellix_typed.errors import SubmissionOutcomeUnknown
    from modellix_typed.transport import Call, Reply

    core = ClientCore(ClientConfig.resolve(api_key="k"), RetryPolicy())
    prepared = Prepared("a/b", "t2i", "a", "b", "/api/v1/a/b", b"{}")
    call = Call("POST", "/api/v1/a/b", kind=RequestKind.SUBMIT, content=b"{}", slug="a/b")
    with pytest.raises(SubmissionOutcomeUnknown) as info:
        core.accepted(Reply(200, {"code": 0, "data": {"status": "pending"}}), prepared, call)
    assert info.value.partial == {"data": {"status": "pending"}} and info.value.slug == "a/b"


@pytest.mark.parametrize("status", [201, 202])
def test_2xx_without_task_id_reports_the_real_status(status: int, Image: Any) -> None:
    """The status of the reply that hid the outcome is carried through the whole submit path (not assumed 200)."""
    from modellix_typed.client import AsyncModellix, Modellix
    from modellix_typed.errors import SubmissionOutcomeUnknown

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"code": 0, "message": "accepted", "data": {"status": "pending"}})

    with Modellix("test-key-123", base_url="http://127.0.0.1:1",
                  http_client=httpx.Client(transport=httpx.MockTransport(reply))) as client:
        with pytest.raises(SubmissionOutcomeUnknown) as info:
            client.submit(Image("a cat"))
    assert info.value.status == status and info.value.partial == {"data": {"status": "pending"}}

    async def submit_async() -> SubmissionOutcomeUnknown:
        async with AsyncModellix("test-key-123", base_url="http://127.0.0.1:1",
                                 http_client=httpx.AsyncClient(transport=httpx.MockTransport(reply))) as client:
            with pytest.raises(SubmissionOutcomeUnknown) as info:
                await client.submit(Image("a cat"))
            return info.value

    assert asyncio.run(submit_async()).status == status


def _png_result() -> object:
    return parse_task(
        {"task_id": "t-1", "status": "success", "result": {"resources": [{"url": "https://files.test/a.png"}]}}
    )


def test_a_cancelled_async_download_leaves_no_temp_file(tmp_path: Path) -> None:
    """Cancellation is not an error a download catches, but it must still clean up its temp file."""
    from modellix_typed.download import download_async
    from modellix_typed.results import TaskResult

    started = asyncio.Event()

    class Body(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"\x89PNG" * 1024
            started.set()
            await asyncio.sleep(30)  # stalls until cancelled
            yield b""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "image/png"}, stream=Body())

    async def main() -> None:
        result = _png_result()
        assert isinstance(result, TaskResult)
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            job = asyncio.create_task(download_async(http, result, tmp_path))
            await asyncio.wait_for(started.wait(), 5)
            assert [p.name for p in tmp_path.iterdir()] != []  # the temp file exists mid-download
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job

    asyncio.run(main())
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_error_mid_download_leaves_no_temp_file_and_is_not_rewrapped(tmp_path: Path) -> None:
    from modellix_typed.download import download_sync
    from modellix_typed.errors import DownloadError
    from modellix_typed.results import TaskResult

    class Boom(Exception):
        pass

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"\x89PNG"
            raise Boom("the caller's problem, not a download error")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "image/png"}, stream=Body())

    result = _png_result()
    assert isinstance(result, TaskResult)
    with httpx.Client(transport=httpx.MockTransport(handler)) as http, pytest.raises(Boom):
        download_sync(http, result, tmp_path)
    assert list(tmp_path.iterdir()) == []

    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(reset)) as http,
        pytest.raises(DownloadError, match="RemoteProtocolError") as info,
    ):
        download_sync(http, result, tmp_path)
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert list(tmp_path.iterdir()) == []


def test_the_prepared_request_does_not_show_the_key_when_printed() -> None:
    """Debuggers and "show locals" tracebacks print the send arguments: the key must be masked there too."""
    from modellix_typed.config import ClientConfig
    from modellix_typed.transport import Call, Exchange

    config = ClientConfig.resolve(api_key="sk-secret-xyz", base_url="http://127.0.0.1:1")
    kwargs = Exchange(config, RetryPolicy(), Call("GET", "/api/v1/tasks/t")).request_kwargs()
    assert kwargs["headers"]["Authorization"] == "Bearer sk-secret-xyz"  # still sent
    assert "sk-secret-xyz" not in repr(kwargs) and "sk-secret-xyz" not in str(kwargs)


def test_paid_post_rules_definite_rejections_vs_unknown_and_no_retry_option() -> None:
    from modellix_typed.retry import DEFINITE_REJECTIONS

    submit, read, p = RequestKind.SUBMIT, RequestKind.READ, RetryPolicy(max_retries=3, retry_submissions=True)
    for status in (301, 302, 307, 408, 409, 410, 412, 418, 425, 451, 500, 503):
        assert decide_on_status(submit, status, 1, p, None).outcome_unknown, status
    for status in sorted(DEFINITE_REJECTIONS - {429}):
        decision = decide_on_status(submit, status, 1, p, None)
        assert not decision.outcome_unknown and not decision.retry, status
    assert not any(decide_on_status(read, s, 1, p, None).outcome_unknown for s in (302, 409, 418))
    off = RetryPolicy(max_retries=3, retry_submissions=False)
    assert not decide_on_status(submit, 429, 1, off, 0.0).retry
    assert not decide_on_network_error(submit, False, 1, off).retry  # never sent, still not repeated
    assert decide_on_status(read, 429, 1, off, 0.0).retry and decide_on_network_error(read, False, 1, off).retry
