"""One named regression test per cause of issue 19's hostile-case failures (deadlines: test_hostile_deadlines).

Each drives the public API (sync and async client, or the CLI) against a real server on 127.0.0.1 and checks
the contract: a typed ModellixError (or a safe result), "outcome unknown" for a POST, nothing sent twice.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import stat
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from modellix_typed import AsyncModellix, Modellix, registry
from modellix_typed._core.prepare import prepare
from modellix_typed.cli import main
from modellix_typed.errors import (
    DownloadError,
    DownloadTooLarge,
    InvalidResponse,
    ModellixError,
    SubmissionOutcomeUnknown,
)
from modellix_typed.json_bounds import MAX_REPLY_DEPTH
from modellix_typed.results import TaskResult, TaskStatus, parse_task
from modellix_typed.validation import ValidationError

from .conftest import (
    API_KEY,
    SLUG,
    SUBMIT_PATH,
    TASK_ID,
    TASK_PATH,
    Act,
    HostileServer,
    envelope,
    on_client,
    raw_response,
    reply,
    task_data,
)

flavours = pytest.mark.parametrize("flavour", ["sync", "async"])
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
HOSTILE_TEXT = "boom\x1b[2J\x1b]0;pwned\x07\r\x9b31m\u202egnp.exe\u2066x\x7f"
CONTROLS = ("\x1b", "\x07", "\r", "\x9b", "\x7f", "\u202e", "\u2066")


def download(flavour: str, server: HostileServer, folder: Path, **kwargs: Any) -> Any:
    if flavour == "sync":
        return on_client(flavour, server, lambda c: c.download(c.tasks.get(TASK_ID), folder, **kwargs))

    async def both(client: AsyncModellix) -> Any:
        return await client.download(await client.tasks.get(TASK_ID), folder, **kwargs)

    return on_client(flavour, server, both)


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# --- exceptions escaping the typed hierarchy ------------------------------------------------------------


@flavours
def test_deeply_nested_poll_reply_is_invalid_response_not_recursion_error(flavour: str, hostile: HostileServer) -> None:
    body = b'{"code":0,"message":"success","data":{"task_id":"task-h1","status":"success","x":' + deep(100_000) + b"}}"
    hostile.on("GET", TASK_PATH, reply(200, body))
    error = on_client(flavour, hostile, lambda c: c.tasks.get(TASK_ID))
    assert isinstance(error, InvalidResponse) and "nested deeper" in str(error)


@flavours
def test_deeply_nested_submit_reply_is_outcome_unknown_and_not_resent(flavour: str, hostile: HostileServer) -> None:
    hostile.on("POST", SUBMIT_PATH, reply(200, b'{"code":0,"data":' + deep(MAX_REPLY_DEPTH + 5) + b"}"))
    error = on_client(flavour, hostile, lambda c: c.submit(SLUG, {"prompt": "a cat"}))
    assert isinstance(error, SubmissionOutcomeUnknown) and "nested deeper" in error.reason
    assert len(hostile.requests("POST")) == 1


@flavours
def test_deeply_nested_error_body_is_still_a_typed_api_error(flavour: str, hostile: HostileServer) -> None:
    hostile.on("GET", TASK_PATH, reply(400, deep(100_000)))
    error = on_client(flavour, hostile, lambda c: c.tasks.get(TASK_ID))
    assert isinstance(error, ModellixError) and getattr(error, "status", None) == 400


@flavours
def test_metadata_as_list_and_extensions_as_number_give_a_result_not_type_error(
    flavour: str, hostile: HostileServer
) -> None:
    data = task_data("processing", result={"metadata": [1, 2], "extensions": 7})
    hostile.on("GET", TASK_PATH, reply(200, envelope(data)))
    result = on_client(flavour, hostile, lambda c: c.tasks.get(TASK_ID))
    assert isinstance(result, TaskResult) and result.metadata == {} and result.extensions == {}
    assert result.raw["result"] == {"metadata": [1, 2], "extensions": 7}  # kept, never lost


@pytest.mark.parametrize("end_time", [10**400, 1e300, 253402300799, "9999-12-31T23:59:59Z", -(10**30)])
def test_huge_end_time_gives_no_expiry_instead_of_overflow_error(end_time: Any) -> None:
    result = parse_task(task_data("success", result={"extensions": {"end_time": end_time}}))
    assert result.expires_at is None or result.expires_at.year <= 9999
    assert result.completed_at is None or result.completed_at.year <= 9999


def test_huge_end_time_through_the_cli_is_printed_not_a_traceback(
    hostile_env: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = task_data("success", result={"resources": ["http://127.0.0.1:1/x.png"], "extensions": {"end_time": 1e300}})
    hostile_env.on("GET", TASK_PATH, reply(200, envelope(data)))
    for args in (["task", "get", TASK_ID], ["task", "get", TASK_ID, "--json"]):
        with pytest.raises(SystemExit) as done:
            main(args)
        assert done.value.code == 0
    out = capsys.readouterr().out
    # An unusable end_time counts as unknown: the success is dated from when it was read.
    expires = json.loads(out.splitlines()[-1])["task"]["expires_at"]
    assert expires is not None and expires.startswith(("20", "21"))


@flavours
@pytest.mark.parametrize("url", ["http://127.0.0.1:1/a\x00b.png", "http://127.0.0.1:1/a\r\nX-Evil: 1", "http://127.0.0.1:1/\tx"])
def test_result_url_with_nul_or_crlf_is_a_download_error(
    flavour: str, url: str, hostile: HostileServer, tmp_path: Path
) -> None:
    hostile.on("GET", TASK_PATH, reply(200, envelope(task_data("success", resources=[url]))))
    error = download(flavour, hostile, tmp_path)
    assert isinstance(error, DownloadError) and "control character" in str(error)
    assert [s.path for s in hostile.requests()] == [TASK_PATH]  # nothing fetched


@flavours
@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/x", "http://[::1", "http://a\x00b/"]
)
def test_redirect_to_a_non_http_scheme_or_bad_url_is_a_download_error(
    flavour: str, location: str, hostile: HostileServer, tmp_path: Path
) -> None:
    hostile.on("GET", TASK_PATH, reply(200, envelope(task_data("success", resources=[f"{hostile.base_url}/f.png"]))))
    hostile.on("GET", "/f.png", Act("send", raw_response(302, b"", (("Location", location),))))
    error = download(flavour, hostile, tmp_path)
    assert isinstance(error, DownloadError), error  # checked by us ("redirect 1 ...") or refused by httpx
    assert "redirect 1" in str(error) or "location" in str(error).lower() or "URL" in str(error)
    assert list(tmp_path.iterdir()) == []
    assert [s.path for s in hostile.requests()] == [TASK_PATH, "/f.png"]  # never followed


@flavours
def test_nan_in_rate_limit_reset_header_never_reaches_a_sleep(flavour: str, hostile: HostileServer) -> None:
    headers = (("X-RateLimit-Reset", "nan"), ("X-RateLimit-Remaining", "0"))
    hostile.on("GET", TASK_PATH, reply(429, {"code": 429, "message": "slow down"}, headers=headers))
    error = on_client(flavour, hostile, lambda c: c.tasks.get(TASK_ID))
    assert isinstance(error, ModellixError) and getattr(error, "status", None) == 429


@flavours
def test_strict_json_replies_nan_token_is_invalid_and_huge_number_kept_as_text(
    flavour: str, hostile: HostileServer
) -> None:
    hostile.on("GET", TASK_PATH, reply(200, b'{"code":0,"data":{"task_id":"task-h1","status":"pending","x":NaN}}'))
    assert isinstance(on_client(flavour, hostile, lambda c: c.tasks.get(TASK_ID)), InvalidResponse)
    hostile.on("GET", TASK_PATH, reply(200, b'{"code":0,"data":{"task_id":"task-h1","status":"pending","duration":1e400}}'))
    result = on_client(flavour, hostile, lambda c: c.tasks.get(TASK_ID))
    assert isinstance(result, TaskResult) and result.raw["duration"] == "1e400" and result.duration_ms is None


# --- encodings ------------------------------------------------------------------------------------------


def _encoded(name: str, data: bytes) -> bytes:
    if name == "gzip":
        return gzip.compress(data)
    if name == "deflate":
        return zlib.compress(data)
    import brotli  # type: ignore[import-not-found,unused-ignore]

    return bytes(brotli.compress(data))


ENCODINGS = ["gzip", "deflate"] + (["br"] if "br" in httpx._decoders.SUPPORTED_DECODERS else [])


def serve_file(server: HostileServer, body: bytes, headers: tuple[tuple[str, str], ...], **kwargs: Any) -> None:
    server.on("GET", TASK_PATH, reply(200, envelope(task_data("success", resources=[f"{server.base_url}/f.png"]))))
    server.on("GET", "/f.png", Act("send", raw_response(200, body, (("Content-Type", "image/png"), *headers), **kwargs)))


@flavours
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_correctly_encoded_result_is_saved_not_rejected_as_truncated(
    flavour: str, encoding: str, hostile: HostileServer, tmp_path: Path
) -> None:
    serve_file(hostile, _encoded(encoding, PNG), (("Content-Encoding", encoding),))
    saved = download(flavour, hostile, tmp_path)
    assert not isinstance(saved, Exception), saved
    assert saved[0].read_bytes() == PNG


def test_brotli_is_supported_with_the_dev_dependencies() -> None:
    assert "br" in ENCODINGS  # brotli is a dev dependency (and the [brotli] extra): httpx decodes br


@flavours
def test_gzip_bomb_stops_at_max_bytes_of_decoded_data(flavour: str, hostile: HostileServer, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\x00" * (20 * 1024 * 1024))  # 20 MiB decoded from ~20 KiB on the wire
    serve_file(hostile, bomb, (("Content-Encoding", "gzip"),))
    error = download(flavour, hostile, tmp_path, max_bytes=1024 * 1024)
    assert isinstance(error, DownloadTooLarge)
    assert list(tmp_path.iterdir()) == []


@flavours
def test_wire_bytes_count_against_max_bytes_too(flavour: str, hostile: HostileServer, tmp_path: Path) -> None:
    serve_file(hostile, PNG, ())
    error = download(flavour, hostile, tmp_path, max_bytes=len(PNG) - 1)
    assert isinstance(error, DownloadTooLarge)


@flavours
@pytest.mark.parametrize(
    "case",
    ["gzip header, plain body", "content-length too long", "content-length too short", "reset after the request"],
)
def test_lying_result_hosts_give_download_errors_and_leave_nothing(
    flavour: str, case: str, hostile: HostileServer, tmp_path: Path
) -> None:
    if case == "gzip header, plain body":
        serve_file(hostile, PNG, (("Content-Encoding", "gzip"),))
    elif case == "content-length too long":
        serve_file(hostile, PNG, (), content_length=len(PNG) + 100)
    elif case == "content-length too short":
        serve_file(hostile, PNG, (), content_length=len(PNG) - 100)
    else:
        hostile.on("GET", TASK_PATH, reply(200, envelope(task_data("success", resources=[f"{hostile.base_url}/f.png"]))))
        hostile.on("GET", "/f.png", Act("reset"))
    outcome = download(flavour, hostile, tmp_path)
    if case == "content-length too short":  # HTTP/1.1 framing: the announced length is the body
        assert not isinstance(outcome, Exception) and outcome[0].read_bytes() == PNG[: len(PNG) - 100]
        return
    assert isinstance(outcome, DownloadError), outcome
    assert [p for p in tmp_path.iterdir()] == []


@flavours
def test_a_post_reset_after_its_body_was_read_is_outcome_unknown(flavour: str, hostile: HostileServer) -> None:
    hostile.on("POST", SUBMIT_PATH, Act("reset"))
    error = on_client(flavour, hostile, lambda c: c.submit(SLUG, {"prompt": "a cat"}))
    assert isinstance(error, SubmissionOutcomeUnknown)
    assert len(hostile.requests("POST")) == 1


# --- bodies are JSON or refused -------------------------------------------------------------------------

NOT_JSON = {
    "nan": (float("nan"), "finite"),
    "inf": (float("inf"), "finite"),
    "-inf": (float("-inf"), "finite"),
    "lone surrogate": ("a\ud800b", "unicode"),
}


@flavours
@pytest.mark.parametrize("case", list(NOT_JSON))
@pytest.mark.parametrize("validate", [True, False])
def test_non_json_bodies_are_validation_issues_before_anything_is_sent(
    flavour: str, case: str, validate: bool, hostile: HostileServer
) -> None:
    value, rule = NOT_JSON[case]
    body = {"prompt": "a cat", "camera_control": {"config": {"deep": [1, value]}}}
    if rule == "finite":
        body["cfg_scale"] = value
    error = on_client(flavour, hostile, lambda c: c.submit("kling/kling-v1-t2v", body, validate=validate))
    assert isinstance(error, ValidationError), error
    paths = {(issue.path, issue.rule) for issue in error.issues}
    assert ("camera_control.config.deep[1]", rule) in paths
    if rule == "finite":  # one issue per value: ±Infinity breaks the field's bound first, NaN passes bounds
        assert {r for p, r in paths if p == "cfg_scale"} & {"finite", "minimum", "maximum"}
        assert ("cfg_scale", "finite") in paths or validate
    assert hostile.requests() == []


def test_a_typed_float_field_holding_nan_is_refused_with_its_path() -> None:
    cls = registry.get("kling/kling-v1-t2v")
    request = cls(prompt="a cat", cfg_scale=float("nan"))  # the bounds check alone lets NaN through
    with pytest.raises(ValidationError) as caught:
        prepare(request)
    assert [(i.path, i.rule) for i in caught.value.issues] == [("cfg_scale", "finite")]


@pytest.mark.parametrize("case", list(NOT_JSON))
def test_validate_agrees_with_submit_on_non_json_bodies(case: str) -> None:
    value, rule = NOT_JSON[case]
    body = {"prompt": "a cat", "negative_prompt": value} if rule == "unicode" else {"prompt": "a", "cfg_scale": value}
    found = []
    for check in (registry.validate, registry.check):
        with pytest.raises(ValidationError) as caught:
            check("kling/kling-v1-t2v", body)
        found.append([(issue.path, issue.rule) for issue in caught.value.issues])
    with pytest.raises(ValidationError) as submitted:
        prepare("kling/kling-v1-t2v", body)
    assert found[0] == found[1] == [(issue.path, issue.rule) for issue in submitted.value.issues]


@pytest.mark.parametrize("text", ['{"prompt": "a", "cfg_scale": NaN}', '{"prompt": "a", "x": -Infinity}', '{"prompt": "a\\ud800"}'])
@pytest.mark.parametrize("command", ["validate", "run", "run --no-validate"])
@pytest.mark.parametrize("as_json", [False, True])
def test_cli_refuses_non_json_bodies_with_exit_3_and_no_traceback(
    text: str, command: str, as_json: bool, hostile_env: HostileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.json"
    body.write_text(text, encoding="utf-8")
    if command == "validate":
        args = ["validate", "kling/kling-v1-t2v", str(body)]
    else:
        args = ["run", "kling/kling-v1-t2v", "--body-file", str(body), *command.split()[1:]]
    with pytest.raises(SystemExit) as done:
        main(args + (["--json"] if as_json else []))
    assert done.value.code == 3
    captured = capsys.readouterr()
    if as_json:
        document = json.loads(captured.out, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))
        assert document["ok"] is False and document["error"]["issues"]
    else:
        assert "(rule: " in captured.err and "nothing was sent" in captured.err
    assert hostile_env.requests() == []


# --- terminal safety ------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True])
def test_sdk_warnings_shown_by_the_cli_are_sanitized(
    as_json: bool, hostile_env: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile_env.on("POST", "/api/v1/kling/kling-v1-t2v", reply(500, {"code": 500, "message": HOSTILE_TEXT}))
    with pytest.raises(SystemExit) as done:
        main(["run", "kling/kling-v1-t2v", "--body", '{"prompt": "a"}', "--no-wait"] + (["--json"] if as_json else []))
    assert done.value.code == 6
    captured = capsys.readouterr()
    assert "outcome unknown" in captured.err  # the SDK's warning reached the terminal...
    for control in CONTROLS:
        assert control not in captured.err and control not in captured.out  # ...without a raw control
    if as_json:
        assert HOSTILE_TEXT in json.loads(captured.out)["error"]["reason"]  # the data kept, escaped


def test_task_text_with_bidi_and_escapes_is_sanitized_in_every_output_mode(
    hostile_env: HostileServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = task_data("failed", error=HOSTILE_TEXT, resources=[f"http://127.0.0.1:1/{HOSTILE_TEXT[:4]}\u202ex.png"])
    hostile_env.on("GET", TASK_PATH, reply(200, envelope(data)))
    for mode in ([], ["--json"], ["--quiet"]):
        with pytest.raises(SystemExit):
            main(["task", "get", TASK_ID, *mode])
        captured = capsys.readouterr()
        for control in CONTROLS:
            assert control not in captured.out and control not in captured.err, (mode, control)


def test_sanitizer_covers_bidi_separators_and_surrogates() -> None:
    from modellix_typed.cli.safe_text import escape_json_controls, safe_text

    text = "a\u202eb\u2066c\u200fd\u2028e\ud800f\x1b]8;;x\x07"
    assert safe_text(text) == "a b c d e f ]8;;x "
    document = escape_json_controls(json.dumps({"t": text}, ensure_ascii=False))
    document.encode("utf-8")  # no lone surrogate left raw
    assert json.loads(document) == {"t": text}


# --- key files ------------------------------------------------------------------------------------------


def test_a_key_file_readable_by_others_warns_once_naming_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from modellix_typed import profiles

    monkeypatch.setenv("MODELLIX_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)
    monkeypatch.setattr(profiles, "_WARNED_OPEN", set())
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"currentProfile": "default", "profiles": {"default": {"apiKey": API_KEY}}}))
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING, logger="modellix_typed"):
        Modellix().close()
        Modellix().close()
    warnings = [r.getMessage() for r in caplog.records if "too open" in r.getMessage()]
    assert len(warnings) == 1
    assert str(path) in warnings[0] and "chmod 600" in warnings[0] and "0644" in warnings[0]
    assert API_KEY not in caplog.text
    caplog.clear()
    monkeypatch.setattr(profiles, "_WARNED_OPEN", set())
    os.chmod(path, 0o600)
    with caplog.at_level(logging.WARNING, logger="modellix_typed"):
        Modellix().close()
    assert "too open" not in caplog.text


def test_auth_login_writes_the_key_file_0600_and_warns_nothing(
    hostile_env: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODELLIX_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("MODELLIX_API_KEY")
    hostile_env.on("GET", "/api/v1/apikey/validate", reply(200, envelope({"is_valid": True})))
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(API_KEY))
    with pytest.raises(SystemExit) as done:
        main(["auth", "login"])
    assert done.value.code == 0
    config = tmp_path / "cfg" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "too open" not in capsys.readouterr().err


def test_reply_depth_limit_is_explicit() -> None:
    assert MAX_REPLY_DEPTH == 64
    assert parse_task(task_data("pending")).status is TaskStatus.PENDING
