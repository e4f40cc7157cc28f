"""End-to-end behaviour of Modellix / AsyncModellix against the real emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pytest

from modellix_typed import (
    AsyncModellix,
    BadRequest,
    Modellix,
    NotFound,
    RateLimited,
    ResultExpired,
    SubmissionOutcomeUnknown,
    TaskFailed,
    TaskStatus,
    TaskTimeout,
    ValidationError,
)
from modellix_typed.emulator import Fault, RunningEmulator
from modellix_typed.retry import RetryPolicy

Factory = Callable[..., Any]  # make_client (sync) or make_either (each test runs with both clients)


def save(client: Any, result: Any, folder: Path, **options: Any) -> list[Path]:
    """Download in the client's own way: ``result.download`` (sync results are bound), ``client.download`` (async)."""
    if isinstance(client, Modellix):
        return result.download(folder, **options)  # type: ignore[no-any-return]
    return client.download(result, folder, **options)  # type: ignore[no-any-return]


def requests_to(emu: RunningEmulator, method: str, prefix: str) -> list[dict[str, Any]]:
    return [r for r in emu.stats()["requests"] if r["method"] == method and r["path"].startswith(prefix)]


def test_run_success_returns_typed_result(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    seen: list[TaskStatus] = []
    with make_either(emu) as c:
        task = c.submit(Image("a red fox", n=2))
        assert task.slug == "rt/image-model" and task.task_id.startswith("task-")
        result = task.wait(on_update=lambda r: seen.append(r.status))
    assert result.status is TaskStatus.SUCCESS and result.task_id == task.task_id
    assert [r.format for r in result.resources] == ["png", "png"]
    assert result.resources[0].width and result.resources[0].role == "primary"
    assert result.extensions["end_time"] and result.completed_at is not None
    assert seen[-1] is TaskStatus.SUCCESS and len(seen) == len(set(seen))  # status changes only
    assert emu.stats()["tasks_created"] == 1


def test_generated_models_by_class_and_by_slug_against_repo_specs(api_key: str, fast_poll: Any) -> None:
    """The real generated classes + registry, served by an emulator loaded from the repo's specs/."""
    registry = pytest.importorskip("modellix_typed.registry")
    from modellix_typed.emulator import EmulatorConfig, running_emulator

    try:
        cls = registry.get("google/nano-banana")
    except registry.UnknownModel:
        pytest.skip("google/nano-banana is not generated")
    config = EmulatorConfig(api_keys=(api_key,), durations={"t2i": 0.2}, concurrency_limit=3)
    with running_emulator(config) as emu, Modellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
        with pytest.raises(registry.UnknownModel):
            c.submit("google/nano-bananna", {"prompt": "x"})
        with pytest.raises(ValidationError):
            c.submit("google/nano-banana", {"prompt": "x", "no_such_field": 1})
        assert emu.stats()["requests"] == []  # both rejected before any network
        by_slug = c.run("google/nano-banana", {"prompt": "A serene mountain lake"})
        by_class = c.run(cls.from_dict({"prompt": "A serene mountain lake"}))
        assert by_slug.status is by_class.status is TaskStatus.SUCCESS
        assert emu.stats()["tasks_by_slug"] == {"google/nano-banana": 2}


def test_async_run_success_and_concurrent_tasks(emu: RunningEmulator, Image: Any, api_key: str, fast_poll: Any) -> None:
    async def main() -> list[Any]:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            return await asyncio.gather(*(c.run(Image(f"cat {i}")) for i in range(5)))

    results = asyncio.run(main())
    assert [r.status for r in results] == [TaskStatus.SUCCESS] * 5
    assert len({r.task_id for r in results}) == 5
    stats = emu.stats()
    assert stats["tasks_created"] == 5
    assert not [r for r in stats["requests"] if r["status"] == 429]


def test_failed_task_raises_task_failed_with_server_message(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    emu.inject(Fault(kind="fail_task", route="submit", message="content policy violation"))
    with make_either(emu) as c:
        task = c.submit(Image("x"))
        with pytest.raises(TaskFailed) as info:
            task.wait()
    assert info.value.task_id == task.task_id
    assert "content policy violation" in str(info.value)
    assert c._limiter.in_use == 0  # slot released on the terminal state


def test_deadline_raises_task_timeout_then_resume(emu: RunningEmulator, make_either: Factory, Video: Any) -> None:
    with make_either(emu) as c:
        task = c.submit(Video("a long video"))
        with pytest.raises(TaskTimeout) as info:
            task.wait(timeout=0.1)
        assert info.value.task_id == task.task_id
        assert info.value.last_status in ("pending", "processing")
        assert c._limiter.in_use == 1  # still running on the server: the slot stays taken
        result = c.tasks.wait(info.value.task_id, timeout=10)
        assert result.status is TaskStatus.SUCCESS
        assert c._limiter.in_use == 0


def test_429_on_submit_is_sent_once_by_default(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    emu.inject(Fault(kind="status", route="submit", status=429, count=2, retry_after=0))
    with make_either(emu) as c, pytest.raises(RateLimited):
        c.run(Image("x"))
    assert [r["status"] for r in requests_to(emu, "POST", "/api/v1/rt/")] == [429]
    assert emu.stats()["tasks_created"] == 0


def test_429_on_submit_is_retried_with_the_opt_in_and_creates_one_task(
    emu: RunningEmulator, make_either: Factory, Image: Any
) -> None:
    emu.inject(Fault(kind="status", route="submit", status=429, count=2, retry_after=0))
    with make_either(emu, retry_policy=RetryPolicy(base_delay=0.01, retry_submissions=True)) as c:
        result = c.run(Image("x"))
    assert result.status is TaskStatus.SUCCESS
    statuses = [r["status"] for r in requests_to(emu, "POST", "/api/v1/rt/")]
    assert statuses == [429, 429, 200]
    assert emu.stats()["tasks_created"] == 1


def test_400_on_submit_is_not_retried(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    emu.inject(Fault(kind="status", route="submit", status=400, message="Invalid parameters: bad prompt"))
    with make_either(emu) as c, pytest.raises(BadRequest) as info:
        c.submit(Image("x"))
    assert info.value.category == "Invalid parameters" and info.value.detail == "bad prompt"
    assert len(requests_to(emu, "POST", "/api/v1/rt/")) == 1
    assert c._limiter.in_use == 0


def test_5xx_during_polling_is_survived(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    emu.inject(Fault(kind="status", route="poll", status=503, count=2, retry_after=0))
    emu.inject(Fault(kind="status", route="poll", status=500, count=1))
    with make_either(emu) as c:
        result = c.run(Image("x"))
    assert result.status is TaskStatus.SUCCESS
    polls = [r["status"] for r in requests_to(emu, "GET", "/api/v1/tasks/")]
    assert polls[:3] == [503, 503, 500] and polls[-1] == 200


@pytest.mark.parametrize("kind", ["drop", "malformed_json", "truncated"])
def test_broken_submit_reply_is_outcome_unknown_and_never_replayed(emu: RunningEmulator, kind: str, make_either: Factory, Image: Any) -> None:
    emu.inject(Fault(kind=kind, route="submit"))  # type: ignore[arg-type]
    body = Image("paid request")
    with make_either(emu) as c, pytest.raises(SubmissionOutcomeUnknown) as info:
        c.submit(body)
    err = info.value
    assert err.slug == "rt/image-model" and len(err.body_sha256) == 64
    assert len(requests_to(emu, "POST", "/api/v1/rt/")) == 1  # sent exactly once
    assert emu.stats()["tasks_created"] == 1  # ... and the server did create the task
    assert c._limiter.in_use == 0


def test_5xx_after_submit_is_outcome_unknown(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    emu.inject(Fault(kind="status", route="submit", status=502))
    with make_either(emu) as c, pytest.raises(SubmissionOutcomeUnknown) as info:
        c.submit(Image("x"))
    assert info.value.status == 502
    assert len(requests_to(emu, "POST", "/api/v1/rt/")) == 1


def test_submit_read_timeout_is_outcome_unknown(emu: RunningEmulator, make_either: Factory, Image: Any) -> None:
    from modellix_typed import Timeouts

    emu.inject(Fault(kind="slow", route="submit", delay=0.5))
    with make_either(emu, timeouts=Timeouts(submit_read=0.1)) as c, pytest.raises(SubmissionOutcomeUnknown):
        c.submit(Image("x"))
    assert len(requests_to(emu, "POST", "/api/v1/rt/")) <= 1


def test_connection_refused_before_sending_is_retried_then_reported(tmp_path: Path, Image: Any, api_key: str) -> None:
    import socket

    from modellix_typed import APIConnectionError

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Modellix(api_key, base_url=f"http://127.0.0.1:{port}", retry_policy=RetryPolicy(base_delay=0.01)) as c:
        with pytest.raises(APIConnectionError):
            c.submit(Image("x"))  # never sent: retried (safe), then a plain connection error
        assert c._limiter.in_use == 0


def test_expired_result_raises_result_expired(tmp_path: Path, make_either: Factory, Image: Any, fresh_emulator: Any) -> None:
    with fresh_emulator(result_ttl=0.3) as emu:
        with make_either(emu) as c:
            result = c.run(Image("x"))
            import time

            time.sleep(0.5)
            with pytest.raises(ResultExpired):
                save(c, result, tmp_path)
            with pytest.raises(NotFound):
                c.tasks.get(result.task_id)
    assert list(tmp_path.iterdir()) == []


def test_download_is_atomic_and_named_from_task_id(emu: RunningEmulator, tmp_path: Path, make_either: Factory, Image: Any) -> None:
    with make_either(emu) as c:
        result = c.run(Image("x", n=2))
        paths = c.download(result, tmp_path)
    assert [p.name for p in paths] == [f"{result.task_id}-0.png", f"{result.task_id}-1.png"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert sorted(tmp_path.iterdir()) == sorted(paths)  # no temp files left


def test_truncated_download_leaves_no_file(emu: RunningEmulator, tmp_path: Path, make_either: Factory, Image: Any) -> None:
    from modellix_typed import DownloadError

    with make_either(emu) as c:
        result = c.run(Image("x"))
        emu.inject(Fault(kind="truncated", route="download"))
        with pytest.raises(DownloadError):
            save(c, result, tmp_path)
        assert list(tmp_path.iterdir()) == []
        assert len(save(c, result, tmp_path)) == 1  # a clean retry works


def test_download_size_limit(emu: RunningEmulator, tmp_path: Path, make_either: Factory, Image: Any) -> None:
    from modellix_typed import DownloadTooLarge

    with make_either(emu) as c:
        result = c.run(Image("x"))
        with pytest.raises(DownloadTooLarge):
            save(c, result, tmp_path, max_bytes=10)
    assert list(tmp_path.iterdir()) == []


def test_async_download_and_failed_task(emu: RunningEmulator, tmp_path: Path, Image: Any, api_key: str, fast_poll: Any) -> None:
    async def main() -> tuple[list[Path], TaskFailed]:
        async with AsyncModellix(api_key, base_url=emu.base_url, poll_policy=fast_poll) as c:
            result = await c.run(Image("x"))
            paths = await c.download(result, tmp_path)
            emu.inject(Fault(kind="fail_task", route="submit", message="nsfw"))
            task = await c.submit(Image("y"))
            try:
                await task.wait()
            except TaskFailed as exc:
                return paths, exc
            raise AssertionError("expected TaskFailed")

    paths, failed = asyncio.run(main())
    assert paths[0].exists() and "nsfw" in failed.message


def test_common_api(emu: RunningEmulator, tmp_path: Path, make_either: Factory) -> None:
    with make_either(emu) as c:
        models = c.models()
        assert {m.slug for m in models} == {"rt/image-model", "rt/video-model"}
        assert c.validate_key() is True
        assert c.balance() > 0
        uploaded = c.media.upload(b"\x89PNG\r\n\x1a\nfake", filename="in.png")
        assert uploaded.file_id and uploaded.url.startswith("http")
        assert [f.file_id for f in c.media.list()] == [uploaded.file_id]
        c.media.delete(uploaded.file_id)
        assert c.media.list() == []
        with pytest.raises(NotFound):
            c.media.delete(uploaded.file_id)
    with Modellix("wrong-key-456", base_url=emu.base_url) as bad:
        assert bad.validate_key() is False


def test_media_upload_is_never_replayed(emu: RunningEmulator, make_either: Factory) -> None:
    # A 5xx after the upload was sent: the file may exist, so it must not be sent again.
    emu.inject(Fault(kind="status", route="common", status=503, retry_after=0))
    with make_either(emu) as c, pytest.raises(SubmissionOutcomeUnknown):
        c.media.upload(b"\x89PNG\r\n\x1a\nfake", filename="in.png")
    assert len(requests_to(emu, "POST", "/api/v1/media/files")) == 1


def test_download_creates_the_folder_with_ordinary_permissions(
    emu: RunningEmulator, tmp_path: Path, make_either: Factory, Image: Any
) -> None:
    import os

    target = tmp_path / "new" / "nested"
    with make_either(emu) as c:
        paths = c.download(c.run(Image("x")), target)
    assert [p.parent for p in paths] == [target]
    umask = os.umask(0)
    os.umask(umask)
    assert paths[0].stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600


def test_download_into_a_file_path_is_a_typed_error(
    emu: RunningEmulator, tmp_path: Path, make_either: Factory, Image: Any
) -> None:
    from modellix_typed import DownloadError

    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    with make_either(emu) as c:
        result = c.run(Image("x"))
        with pytest.raises(DownloadError, match="cannot be created"):
            c.download(result, blocker / "sub")
