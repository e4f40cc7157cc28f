"""Property-based tests at the boundary (hypothesis), the caller's side and the terminal: any request body
is sent as strict JSON or refused with issues (and ``validate`` agrees), and the CLI, whatever the server
answers, exits with a documented code, prints no traceback, no raw control character, strict JSON with
``--json``. Strategies and example counts: :mod:`.strategies`.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modellix_typed import registry
from modellix_typed._core.prepare import prepare
from modellix_typed.cli import main
from modellix_typed.validation import ValidationError

from .conftest import API_KEY, SLUG, SUBMIT_PATH, TASK_ID, TASK_PATH, Act, HostileServer
from .strategies import STRANGE, cli_statuses, profile, replies

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 5, 6}
# What must never reach a terminal raw: C0 but newline, DEL, C1, bidi controls, separators.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


# --- request bodies -------------------------------------------------------------------------------------

body_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and ±Infinity included
        st.text(alphabet=st.characters(codec=None), max_size=8),  # lone surrogates included
        st.sampled_from(STRANGE),
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)
bodies = st.dictionaries(st.sampled_from(["prompt", "cfg_scale", "camera_control", "x", "aspect_ratio"]), body_values)


def _strict(data: bytes) -> Any:
    return json.loads(data, parse_constant=lambda name: pytest.fail(f"{name} sent"))


def _has_non_json(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(_has_non_json(k) or _has_non_json(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_non_json(v) for v in value)
    return False


@profile("request bodies")
@given(body=bodies, validate=st.booleans())
def test_any_request_body_is_sent_as_strict_json_or_refused_with_issues(body: dict[str, Any], validate: bool) -> None:
    slug = "kling/kling-v1-t2v"
    try:
        prepared = prepare(slug, body, validate=validate)
    except ValidationError as exc:
        assert exc.issues and all(issue.path is not None and issue.rule for issue in exc.issues)
        str(exc).encode("utf-8")  # the message itself is printable
        refused = True
    else:
        assert _strict(prepared.content) is not None
        refused = False
    assert refused or not _has_non_json(body)
    if _has_non_json(body):
        assert refused
    # `validate` (registry.validate / registry.check) agrees with the validated submit.
    if validate:
        verdicts = []
        for check in (registry.validate, registry.check):
            try:
                check(slug, body)
                verdicts.append(False)
            except ValidationError:
                verdicts.append(True)
        assert verdicts == [refused, refused]


# --- the command line -----------------------------------------------------------------------------------


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``main(args)`` in process with strict UTF-8 stdout/stderr (a lone surrogate would fail to print)."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="strict", write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        main(args)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    else:
        code = 0
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def check_cli(code: int, out: str, err: str, mode: str) -> None:
    assert code in DOCUMENTED_EXIT_CODES, (code, out, err)
    assert "Traceback" not in err
    assert not RAW_CONTROL.search(out) and not RAW_CONTROL.search(err), (out, err)
    if mode == "--json":
        document = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))
        assert document["ok"] is (code == 0)


@pytest.fixture
def cli_env(_hostile: HostileServer, monkeypatch: pytest.MonkeyPatch) -> HostileServer:
    monkeypatch.setenv("MODELLIX_API_KEY", API_KEY)
    monkeypatch.setenv("MODELLIX_BASE_URL", _hostile.base_url)
    monkeypatch.setenv("CI", "1")
    return _hostile


modes = st.sampled_from(["", "--json", "--quiet"])


@profile("cli task get")
@given(act=replies(cli_statuses), mode=modes)
def test_cli_task_get_with_any_reply_exits_documented_without_traceback(
    cli_env: HostileServer, act: Act, mode: str
) -> None:
    cli_env.reset().on("GET", TASK_PATH, act)
    check_cli(*run_cli(["task", "get", TASK_ID, *filter(None, [mode])]), mode)


@profile("cli run")
@given(act=replies(st.sampled_from([200, 200, 201, 204, 302, 400, 402, 404, 408, 409, 500, 503])), mode=modes)
def test_cli_run_no_wait_with_any_submit_reply_exits_documented_without_traceback(
    cli_env: HostileServer, act: Act, mode: str
) -> None:
    cli_env.reset().on("POST", SUBMIT_PATH, act)
    code, out, err = run_cli(["run", SLUG, "--body", '{"prompt": "a cat"}', "--no-wait", *filter(None, [mode])])
    check_cli(code, out, err, mode)
    if code == 6:
        assert len(cli_env.requests("POST")) == 1
