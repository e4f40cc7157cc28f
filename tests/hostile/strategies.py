"""The hypothesis strategies of the hostile-boundary property suites, and their example counts.

Generated: any JSON value at any path of the submit, poll and error envelopes (plus raw fragments no
serializer writes: ``NaN``, ``1e400``, 100,000 nested brackets, 5,000-digit numbers, lone surrogates), any
HTTP status and a few hostile headers, arbitrary result URLs. :data:`EXAMPLES` keeps the counts moderate:
both property files together run in well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from .conftest import TASK_ID, Act, HostileServer, raw_response

EXAMPLES = {
    "sync poll": 120,
    "sync submit": 80,
    "async poll": 50,
    "async submit": 40,
    "sync account endpoints": 40,
    "sync download": 50,
    "async download": 25,
    "request bodies": 200,
    "cli task get": 30,
    "cli run": 25,
}

def profile(name: str) -> Callable[[Any], Any]:
    return settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,  # the CLI's environment is set once per test, not per example
        ],
    )


# --- generated replies ----------------------------------------------------------------------------------

STRANGE = [
    "",
    " ",
    "success",
    "\x1b[2J\x1b]0;pwned\x07",
    "\r\nX-Injected: 1",
    "\x9b31m",
    "\u202egnp.exe",
    "\u2066\u2069\u200f",
    "\ud800",
    "a\udfffb",
    "\x00",
    "\x7f",
    "東京 ✓ naïve",
    "x" * 3000,
]
# Raw JSON text inserted as is (a serializer never writes these).
RAW = ["NaN", "-Infinity", "1e400", "-1e400", "1" * 5000, "[" * 100_000 + "]" * 100_000, '"\\ud800"', "1.5e-400"]
RAW_MARK = "\x00raw:"

text = st.one_of(st.text(max_size=12), st.sampled_from(STRANGE))
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 2**63, 10**400, -(10**30), 1e300, -1e-300, 1.5]),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
    st.sampled_from([RAW_MARK + raw for raw in RAW]),
)
json_values = st.recursive(
    scalar, lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3), max_leaves=8
)


def anything_or(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the plausible value, often any JSON value at all."""
    return st.one_of(valid, valid, json_values)


def urls(server: HostileServer | None = None) -> st.SearchStrategy[str]:
    hosts = ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://127.0.0.1:1"]
    if server is not None:
        hosts.append(server.base_url)
    return st.one_of(
        st.builds(lambda h, p: f"{h}/{p}", st.sampled_from(hosts), text),
        st.sampled_from(["file:///etc/passwd", "javascript:x", "http://[::1", "ftp://127.0.0.1/", "//x", "a b"]),
        text,
    )


resources = st.lists(
    st.one_of(urls(), st.fixed_dictionaries({"url": anything_or(urls())}, optional={"type": json_values}), json_values),
    max_size=3,
)
STATUS_WORDS = ["pending", "processing", "success", "completed", "failed", "canceled", "SUCCESS", "weird"]
task_data = st.fixed_dictionaries(
    {},
    optional={
        "task_id": anything_or(st.just(TASK_ID)),
        "status": anything_or(st.sampled_from(STATUS_WORDS)),
        "result": anything_or(
            st.fixed_dictionaries(
                {},
                optional={
                    "resources": anything_or(resources),
                    "metadata": json_values,
                    "extensions": anything_or(
                        st.fixed_dictionaries({}, optional={"end_time": json_values, "submit_time": json_values})
                    ),
                },
            )
        ),
        "resources": anything_or(resources),
        "error": json_values,
        "duration": json_values,
        "model_id": json_values,
    },
)
envelopes = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "code": anything_or(st.sampled_from([0, 200, 400, 402, 404, 429, 500, 503])),
            "message": anything_or(st.sampled_from(STRANGE)),
            "data": anything_or(task_data),
        },
    ),
    json_values,
)
statuses = st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 404, 408, 409, 429, 500, 503])
headers = st.lists(
    st.sampled_from(
        [
            ("Retry-After", "nan"),
            ("Retry-After", "1e400"),
            ("Retry-After", "-5"),
            ("X-RateLimit-Reset", "inf"),
            ("X-RateLimit-Remaining", "0"),
            ("Content-Type", "text/html"),
            ("X-Request-Id", "\x1b]0;id\x07"),
        ]
    ),
    max_size=3,
    unique=True,
)


def encode(value: Any) -> bytes:
    """JSON text of ``value``, raw fragments spliced in where the generator put a marker."""
    document = json.dumps(value)  # ensure_ascii: lone surrogates become \\udXXX escapes, as a server may send
    for raw in RAW:
        document = document.replace(json.dumps(RAW_MARK + raw), raw)
    return document.encode()


# The CLI runs with the default retry policy (real backoff): its replies avoid the statuses a read retries.
cli_statuses = st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 402, 404, 409])


@st.composite
def replies(draw: st.DrawFn, status_codes: st.SearchStrategy[int] = statuses) -> Act:
    status = draw(status_codes)
    body = encode(draw(envelopes)) if draw(st.integers(0, 9)) else draw(st.sampled_from([b"", b"<html>", b"\xff\xfe"]))
    return Act("send", raw_response(status, body, tuple(draw(headers))))
