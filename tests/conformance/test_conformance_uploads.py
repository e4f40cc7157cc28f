"""Uploads and local files as inputs (issue 21): checked before anything is sent, uploaded once, never
re-sent, their URLs sent in place, deleted only after the last task that used them finished."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from modellix_typed import AsyncModellix, Modellix
from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator
from modellix_typed.errors import SubmissionOutcomeUnknown, TaskTimeout, UnsupportedUpload
from modellix_typed.retry import RetryPolicy

from .conftest import API_KEY, FAST_POLL, FAST_RETRY, PlainServer, envelope, error

MEDIA = "/api/v1/media/files"
EDIT = "/api/v1/google/nano-banana-edit"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
flavours = pytest.mark.parametrize("flavour", ["sync", "async"])


def uploaded(file_id: str) -> Any:
    return envelope({"file_id": file_id, "url": f"https://file.example/{file_id}.png", "type": "image",
                     "filename": "in.png", "size": len(PNG)})


def call(flavour: str, server: PlainServer, method: str, *args: Any, **kw: Any) -> Any:
    """``client.<method>(*args, **kw)`` (``media.upload`` spelled ``upload``) on a sync or an async client."""
    policy = kw.pop("retry_policy", FAST_RETRY)

    def target(client: Any) -> Any:
        return getattr(client.media, method) if method in ("upload", "delete") else getattr(client, method)

    if flavour == "sync":
        with Modellix(API_KEY, base_url=server.base_url, poll_policy=FAST_POLL, retry_policy=policy) as client:
            return target(client)(*args, **kw)

    async def go() -> Any:
        async with AsyncModellix(API_KEY, base_url=server.base_url, poll_policy=FAST_POLL, retry_policy=policy) as c:
            return await target(c)(*args, **kw)

    return asyncio.run(go())


# --- one upload, whatever the answer ----------------------------------------------------------------------


@flavours
@pytest.mark.parametrize("opt_in", [False, True])
def test_an_upload_answered_429_is_sent_once_and_its_outcome_is_unknown(
    flavour: str, opt_in: bool, server: PlainServer
) -> None:
    """dsh-modellix: an upload is never retried; a 429 may still have stored the file (quota used twice)."""
    server.on("POST", MEDIA, error(429, "Too many uploads", (("Retry-After", "0"),)), uploaded("f-1"))
    policy = RetryPolicy(max_retries=2, base_delay=0.01, retry_submissions=opt_in)
    with pytest.raises(SubmissionOutcomeUnknown) as caught:
        call(flavour, server, "upload", PNG, filename="in.png", retry_policy=policy)
    assert caught.value.status == 429
    assert len(server.requests("POST")) == 1  # not even the opt-in re-sends an upload


@flavours
@pytest.mark.parametrize("status", [408, 409, 425, 500, 503])
def test_other_ambiguous_upload_answers_are_outcome_unknown(flavour: str, status: int, server: PlainServer) -> None:
    server.on("POST", MEDIA, error(status, "Something happened"), uploaded("f-1"))
    with pytest.raises(SubmissionOutcomeUnknown):
        call(flavour, server, "upload", PNG, filename="in.png")
    assert len(server.requests("POST")) == 1


@flavours
def test_an_upload_sends_the_sniffed_type_and_parses_the_file(flavour: str, server: PlainServer) -> None:
    server.on("POST", MEDIA, uploaded("f-1"))
    media = call(flavour, server, "upload", io.BytesIO(JPEG), filename="photo.jpg")
    assert (media.file_id, media.url) == ("f-1", "https://file.example/f-1.png")
    [post] = server.requests("POST")
    assert b'filename="photo.jpg"' in post.body and b"Content-Type: image/jpeg" in post.body
    assert JPEG in post.body


# --- limits, before anything is sent -----------------------------------------------------------------------


@flavours
@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"", "min 1 byte"),
        (b"GIF89a" + b"\x00" * 10, "PNG, JPEG or WebP"),
        (b"%PDF-1.7 not an image", "PNG, JPEG or WebP"),
        (PNG + b"\x00" * (16 * 1024 * 1024), "max 16777216 bytes (16 MiB)"),
    ],
)
def test_upload_limits_are_refused_before_sending(flavour: str, data: bytes, rule: str, server: PlainServer) -> None:
    server.on("POST", MEDIA, uploaded("f-1"))
    with pytest.raises(UnsupportedUpload) as caught:
        call(flavour, server, "upload", data, filename="x.bin")
    assert caught.value.rule == rule and caught.value.field == "file" and rule in str(caught.value)
    assert server.requests() == []


def test_png_jpeg_and_webp_pass_the_check(server: PlainServer) -> None:
    server.on("POST", MEDIA, uploaded("f-1"))
    for data in (PNG, JPEG, WEBP):
        call("sync", server, "upload", data, filename="x")
    assert len(server.requests("POST")) == 3


@flavours
def test_a_bad_local_file_in_a_body_stops_everything_before_any_request(
    flavour: str, server: PlainServer, tmp_path: Path
) -> None:
    good, bad = tmp_path / "a.png", tmp_path / "notes.txt"
    good.write_bytes(PNG)
    bad.write_text("not an image")
    with pytest.raises(UnsupportedUpload) as caught:
        call(flavour, server, "submit", "google/nano-banana-edit", {"prompt": "x", "image": [good, bad]})
    assert caught.value.field == "image[1]"  # names the body field
    assert server.requests() == []  # no upload, no paid POST


# --- local files in a run: uploaded once, URL sent, deleted after the task ---------------------------------


@flavours
def test_run_uploads_a_local_file_once_sends_its_url_and_deletes_it_after_the_task(
    flavour: str, server: PlainServer, tmp_path: Path
) -> None:
    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    server.on("POST", MEDIA, uploaded("f-1"))
    server.on("POST", EDIT, envelope({"status": "pending", "task_id": "task-1"}))
    server.on(
        "GET", "/api/v1/tasks/task-1",
        envelope({"status": "processing", "task_id": "task-1"}),
        envelope({"status": "success", "task_id": "task-1", "resources": ["https://cdn.example/out.png"]}),
    )
    server.on("DELETE", f"{MEDIA}/f-1", envelope(None))
    body = {"prompt": "oil painting", "image": [picture, picture]}  # the same file twice: one upload
    result = call(flavour, server, "run", "google/nano-banana-edit", body, timeout=5)
    assert [u.file_id for u in result.uploads] == ["f-1"]
    seen = [(s.method, s.path) for s in server.requests()]
    assert seen.count(("POST", MEDIA)) == 1
    [post] = [s for s in server.requests("POST") if s.path == EDIT]
    assert json.loads(post.body)["image"] == ["https://file.example/f-1.png"] * 2
    last_poll = max(i for i, s in enumerate(seen) if s[0] == "GET")
    assert seen.index(("DELETE", f"{MEDIA}/f-1")) > last_poll  # only after the task finished


@flavours
def test_run_keeps_the_upload_when_the_task_may_still_run(flavour: str, server: PlainServer) -> None:
    server.on("POST", MEDIA, uploaded("f-1"))
    server.on("POST", EDIT, envelope({"status": "pending", "task_id": "task-1"}))
    server.on("GET", "/api/v1/tasks/task-1", envelope({"status": "processing", "task_id": "task-1"}))
    with pytest.raises(TaskTimeout):
        call(flavour, server, "run", "google/nano-banana-edit", {"prompt": "x", "image": [PNG]}, timeout=0.2)
    assert server.requests("DELETE") == []  # the running task may still read it


@flavours
def test_run_deletes_the_upload_when_the_post_created_nothing(flavour: str, server: PlainServer) -> None:
    server.on("POST", MEDIA, uploaded("f-1"))
    server.on("POST", EDIT, error(400, "Invalid parameters: prompt"))
    server.on("DELETE", f"{MEDIA}/f-1", envelope(None))
    with pytest.raises(Exception, match="Invalid parameters"):
        call(flavour, server, "run", "google/nano-banana-edit", {"prompt": "x", "image": [io.BytesIO(PNG)]})
    assert [s.path for s in server.requests("DELETE")] == [f"{MEDIA}/f-1"]


@flavours
def test_run_without_cleanup_leaves_the_upload(flavour: str, server: PlainServer) -> None:
    server.on("POST", MEDIA, uploaded("f-1"))
    server.on("POST", EDIT, envelope({"status": "pending", "task_id": "task-1"}))
    server.on("GET", "/api/v1/tasks/task-1", envelope({"status": "success", "task_id": "task-1", "resources": []}))
    call(flavour, server, "run", "google/nano-banana-edit", {"prompt": "x", "image": [PNG]}, cleanup_uploads=False)
    assert server.requests("DELETE") == []


# --- a batch naming local files, against the emulator ------------------------------------------------------


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(api_keys=(API_KEY,), default_duration=0.3, durations={}, concurrency_limit=3)
    with running_emulator(config) as running:
        yield running


def _media_posts(emu: RunningEmulator) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "POST" and r["path"] == MEDIA)


@flavours
def test_a_batch_uploads_each_distinct_file_once_and_cleans_up_after_the_last_task(
    flavour: str, emu: RunningEmulator, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.webp"
    a.write_bytes(PNG)
    b.write_bytes(WEBP)
    shared = io.BytesIO(JPEG)
    requests: list[Any] = [
        ("google/nano-banana-edit", {"prompt": "one", "image": [a]}),
        ("google/nano-banana-edit", {"prompt": "two", "image": [a, b]}),
        ("google/nano-banana-edit", {"prompt": "three", "image": [a.read_bytes()]}),  # same content as a
        ("google/nano-banana-edit", {"prompt": "four", "image": ["https://example.com/x.png"]}),
        ("google/nano-banana-edit", {"prompt": "five", "image": [shared, shared]}),  # one file object, twice
    ]
    before = _media_posts(emu)
    kw: dict[str, Any] = {"base_url": emu.base_url, "poll_policy": FAST_POLL, "retry_policy": FAST_RETRY}
    if flavour == "sync":
        with Modellix(API_KEY, **kw) as client:
            outcomes = client.batch(requests, cleanup_uploads=True, timeout=20)
            left = client.media.list()
    else:

        async def go() -> tuple[Any, Any]:
            async with AsyncModellix(API_KEY, **kw) as client:
                done = await client.batch(requests, cleanup_uploads=True, timeout=20)
                return done, await client.media.list()

        outcomes, left = asyncio.run(go())
    assert [o.kind for o in outcomes] == ["success"] * 5
    assert _media_posts(emu) - before == 3  # a (three times, once as bytes), b, the JPEG stream: one upload each
    urls = [[u.url for u in o.result.uploads] for o in outcomes]
    assert urls[0] == urls[2] and len(set(urls[1])) == 2 and urls[0][0] in urls[1] and urls[3] == []
    assert len(urls[4]) == 1 and urls[4][0] not in urls[1]
    assert left == [] and emu.stats()["media_files"] == 0  # deleted once the last task that used them ended


# --- the generated classes and the cleanup rule, without a server ------------------------------------------


def test_generated_media_url_fields_take_local_files_and_say_so(tmp_path: Path) -> None:
    import inspect

    from modellix_typed.models.google import NanoBananaEdit
    from modellix_typed.validation import ValidationError

    picture = tmp_path / "cat.png"
    picture.write_bytes(PNG)
    request = NanoBananaEdit(prompt="x", image=[picture, io.BytesIO(PNG), "https://example.com/a.png"])
    assert request.to_dict()["image"][0] == picture  # kept as given: the client uploads it before the POST
    assert NanoBananaEdit(prompt="x", image=[PNG]).image == [PNG]
    assert "LocalFile" in str(inspect.signature(NanoBananaEdit).parameters["image"].annotation)
    with pytest.raises(ValidationError) as caught:
        NanoBananaEdit(prompt=picture, image=["not a url"])  # type: ignore[arg-type]
    assert sorted(i.path for i in caught.value.issues) == ["image[0]", "prompt"]  # only media-URL fields take files


def test_a_batch_deletes_only_uploads_whose_every_task_finished() -> None:
    from modellix_typed._core.batch_book import BatchOutcome
    from modellix_typed._core.prepare import prepare_raw
    from modellix_typed._core.batch_uploads import batch_leftovers
    from modellix_typed.common_api import MediaFile

    shared, own = MediaFile("f-shared", "https://f/shared.png"), MediaFile("f-own", "https://f/own.png")
    items = [prepare_raw("a/b", {"i": n}) for n in range(3)]
    items = [attrs.evolve(items[0], uploads=(shared, own)), attrs.evolve(items[1], uploads=(shared,)), items[2]]
    done = [BatchOutcome(0, "a/b", "success", "t-0"), BatchOutcome(2, "a/b", "success", "t-2")]
    assert batch_leftovers(items, [*done, BatchOutcome(1, "a/b", "timeout", "t-1")]) == [own]  # t-1 may read it
    assert batch_leftovers(items, done) == [own]  # input 1 has no outcome (interrupted): its task may run
    finished = [*done, BatchOutcome(1, "a/b", "failed", "t-1")]
    assert sorted(f.file_id for f in batch_leftovers(items, finished)) == ["f-own", "f-shared"]
    refused = [*done, BatchOutcome(1, "a/b", "rate_limited")]  # nothing was created for input 1
    assert sorted(f.file_id for f in batch_leftovers(items, refused)) == ["f-own", "f-shared"]
