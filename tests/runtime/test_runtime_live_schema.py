"""A model the shipped catalog lacks, called through its live api_schema (served by a real emulator).

``vidu/motion-sync`` has no doc page, so no generated class: its only source is the stored api_schema
(../shared/modellix-api-schema). The emulator serves it from a spec made of that schema; both clients fetch it
(no key sent, cached), refuse a body that breaks it before anything is sent, and send a good one to its
``servers[0].url``.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modellix_typed import AsyncModellix, Modellix, registry
from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator
from modellix_typed.live_schema import SchemaSource, SchemaUnavailable, submit_path
from modellix_typed.polling import PollPolicy
from modellix_typed.spec_source import spec_from_api_schema_data
from modellix_typed.validation import ValidationError

KEY = "test-key-live-schema"
SLUG = "vidu/motion-sync"
STORED = Path(__file__).resolve().parents[2].parent / "shared" / "modellix-api-schema" / "models" / "vidu" / "motion-sync"
FAST = PollPolicy(first_delay=0.01, max_delay=0.05, multiplier=1.5, default_timeout=20.0)
GOOD = {"image_url": "https://example.com/character.jpg", "video_url": "https://example.com/dance.mp4"}
BAD = {"image_url": "", "vidoe_url": "https://example.com/dance.mp4"}


@pytest.fixture(scope="module")
def specs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog of one model, made from the stored live schema (as a crawl of that source would)."""
    root = tmp_path_factory.mktemp("live-specs")
    spec = spec_from_api_schema_data(json.loads(STORED.joinpath("api_schema").read_text()), "vidu", "motion-sync")
    (root / "vidu").mkdir()
    (root / "vidu" / "motion-sync.json").write_text(json.dumps(spec))
    return root


@pytest.fixture(scope="module")
def emulator(specs_dir: Path) -> Iterator[RunningEmulator]:
    # legacy_paths: the schema's servers[0].url is the documented /async path, which the canonical path is not
    config = EmulatorConfig(specs_dir=specs_dir, api_keys=(KEY,), time_scale=0.001, legacy_paths=True)
    with running_emulator(config) as running:
        yield running


@pytest.fixture()
def live_env(emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    emulator.reset()
    monkeypatch.setenv("MODELLIX_SCHEMA_ORIGIN", emulator.base_url)
    monkeypatch.setenv("MODELLIX_SCHEMA_CACHE", str(tmp_path / "schema-cache"))
    monkeypatch.setenv("MODELLIX_POLL_STATS", "off")
    return tmp_path / "schema-cache"


def requests_to(emulator: RunningEmulator) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in emulator.stats()["requests"]]


def schema_gets(emulator: RunningEmulator) -> int:
    return sum(1 for method, path in requests_to(emulator) if path.endswith("/api_schema"))


def test_the_shipped_catalog_lacks_the_model() -> None:
    with pytest.raises(registry.UnknownModel):
        registry.get(SLUG)


def test_sync_refuses_a_bad_body_before_sending_and_sends_a_good_one_to_servers_url(
    emulator: RunningEmulator, live_env: Path
) -> None:
    with Modellix(api_key=KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
        with pytest.raises(ValidationError) as caught:
            client.submit(SLUG, BAD)
        issues = [(i.path, i.rule) for i in caught.value.issues]
        # the same issues a generated class gives: unknown key first (did-you-mean), then the field rules
        assert issues == [
            ("vidoe_url", "unknown_field"),
            ("image_url", "minLength"),
            ("image_url", "format"),  # "Accepts a URL or base64 data URI"
            ("video_url", "required"),
        ]
        assert "did you mean 'video_url'?" in caught.value.issues[0].message
        assert not [r for r in requests_to(emulator) if r[0] == "POST"]  # nothing was sent
        result = client.run(SLUG, GOOD, timeout=20)
    assert result.status.value == "success"
    posts = [path for method, path in requests_to(emulator) if method == "POST"]
    assert posts == ["/api/v1/vidu/motion-sync/async"]  # servers[0].url, not the canonical path
    assert schema_gets(emulator) == 1  # fetched once, then served from the disk cache
    assert any(live_env.rglob("motion-sync.json"))


def test_async_client_does_the_same(emulator: RunningEmulator, live_env: Path) -> None:
    async def main() -> tuple[Any, Any]:
        async with AsyncModellix(api_key=KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
            with pytest.raises(ValidationError) as caught:
                await client.validate(SLUG, BAD)
            result = await client.run(SLUG, GOOD, timeout=20)
            return caught.value, result

    error, result = asyncio.run(main())
    assert [i.rule for i in error.issues] == ["unknown_field", "minLength", "format", "required"]
    assert result.status.value == "success"
    assert [p for m, p in requests_to(emulator) if m == "POST"] == ["/api/v1/vidu/motion-sync/async"]


def test_the_schema_is_fetched_without_credentials_and_cached(emulator: RunningEmulator, live_env: Path) -> None:
    seen: list[dict[str, str]] = []
    with Modellix(api_key=KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
        http = client._transport.http
        http.event_hooks["request"].append(lambda request: seen.append(dict(request.headers)))
        client.validate(SLUG, GOOD)
        client.validate(SLUG, GOOD)
    schema_requests = [headers for headers in seen if "authorization" not in headers]
    assert len(seen) == 1 and len(schema_requests) == 1  # one GET, no key, no cookie
    assert seen[0]["accept"] == "application/json" and "cookie" not in seen[0]


def test_an_unfetchable_schema_is_a_clear_error_suggesting_validate_false(
    emulator: RunningEmulator, live_env: Path
) -> None:
    with Modellix(api_key=KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
        with pytest.raises(SchemaUnavailable) as caught:
            client.submit("vidu/no-such-model", {"prompt": "x"})
        assert "validate=False" in str(caught.value) and "HTTP 404" in str(caught.value)
        assert not [r for r in requests_to(emulator) if r[0] == "POST"]
        task = client.submit(SLUG, GOOD, validate=False)  # the documented way around it: sent unchecked
        assert task.task_id


@pytest.fixture()
def redirecting_origin() -> Iterator[str]:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(302)
            self.send_header("Location", "https://elsewhere.example/api_schema")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_refused(
    emulator: RunningEmulator, live_env: Path, redirecting_origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELLIX_SCHEMA_ORIGIN", redirecting_origin)
    with Modellix(api_key=KEY, base_url=emulator.base_url) as client:
        with pytest.raises(SchemaUnavailable, match="redirect to https://elsewhere.example/api_schema refused"):
            client.validate(SLUG, GOOD)


def test_servers_url_off_the_api_origin_is_not_used() -> None:
    assert submit_path("https://api.modellix.ai/api/v1/vidu/motion-sync/async", "https://api.modellix.ai") == (
        "/api/v1/vidu/motion-sync/async"
    )
    assert submit_path("https://evil.example/api/v1/vidu/motion-sync", "https://api.modellix.ai") is None
    assert submit_path("https://api.modellix.ai/api/v1/x?y=1", "https://api.modellix.ai") is None
    assert submit_path("http://127.0.0.1:5/p/api/v1/a/b", "http://127.0.0.1:5/p") == "/api/v1/a/b"


def test_an_expired_cache_entry_is_refetched(tmp_path: Path) -> None:
    source = SchemaSource(origin="https://www.modellix.ai", cache_dir=tmp_path, ttl=60)
    model = source.accept(SLUG, 200, "application/json", STORED.joinpath("api_schema").read_bytes())
    assert model.submit_url == "https://api.modellix.ai/api/v1/vidu/motion-sync/async"
    assert source.cached(SLUG) is not None
    import time

    assert source.cached(SLUG, now=time.time() + 61) is None
    with pytest.raises(SchemaUnavailable, match="not JSON"):
        source.accept(SLUG, 200, "text/html", b"<html></html>")


def test_a_schema_nested_past_the_parser_is_unavailable_not_a_recursion_error(tmp_path: Path) -> None:
    source = SchemaSource(origin="https://www.modellix.ai", cache_dir=tmp_path, ttl=60)
    for depth in (200_000, 950):  # past the JSON parser's recursion; parsed but past the schema reader's
        with pytest.raises(SchemaUnavailable, match="invalid JSON|unusable schema"):
            source.accept(SLUG, 200, "application/json", b'{"a":' * depth + b"1" + b"}" * depth)
    cache_file = next(iter(tmp_path.rglob("*.json")), None)
    assert cache_file is None  # nothing unusable was cached
    source.accept(SLUG, 200, "application/json", STORED.joinpath("api_schema").read_bytes())
    [cache_file] = tmp_path.rglob("*.json")
    cache_file.write_bytes(b"[" * 200_000)  # a cache file damaged on disk: refetch, never crash
    assert source.cached(SLUG) is None


def test_the_runtime_path_needs_no_codegen_extra() -> None:
    """Live schemas are normalized and validated with the codegen's extras absent (blocked on import)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('yaml', 'jinja2', 'openapi_spec_validator', 'openapi_python_client'):\n"
        "    sys.modules[name] = None\n"
        "import json, pathlib\n"
        "from modellix_typed.live_schema import SchemaSource\n"
        f"data = pathlib.Path({str(STORED / 'api_schema')!r}).read_bytes()\n"
        "model = SchemaSource().accept('vidu/motion-sync', 200, 'application/json', data)\n"
        "print([issue.rule for issue in model.engine.issues({})])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['required', 'required']"


def test_the_readme_example_runs_against_the_emulator(emulator: RunningEmulator, live_env: Path, tmp_path: Path) -> None:
    import os
    import re
    import subprocess
    import sys

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    [block] = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "vidu/motion-sync" in b]
    env = {**os.environ, "MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emulator.base_url}
    done = subprocess.run(
        [sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["('video_url', 'required')", "success"]


def test_a_batch_fetches_each_new_models_schema_once_and_refuses_bad_bodies_unsent(
    emulator: RunningEmulator, live_env: Path
) -> None:
    with Modellix(api_key=KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
        with pytest.raises(ValidationError) as caught:
            client.batch([(SLUG, GOOD), (SLUG, BAD)])
        assert {i.path.split(".")[0] for i in caught.value.issues} == {"[1]"}
        assert not [r for r in requests_to(emulator) if r[0] == "POST"]
        outcomes = client.batch([(SLUG, GOOD), (SLUG, GOOD)], timeout=20)
    assert [o.kind for o in outcomes] == ["success", "success"]
    assert [p for m, p in requests_to(emulator) if m == "POST"] == ["/api/v1/vidu/motion-sync/async"] * 2
    assert schema_gets(emulator) == 1


def test_an_async_batch_too(emulator: RunningEmulator, live_env: Path) -> None:
    async def main() -> list[Any]:
        async with AsyncModellix(api_key=KEY, base_url=emulator.base_url, poll_policy=FAST) as client:
            return await client.batch([(SLUG, GOOD)], timeout=20)

    assert [o.kind for o in asyncio.run(main())] == ["success"]
    assert [p for m, p in requests_to(emulator) if m == "POST"] == ["/api/v1/vidu/motion-sync/async"]


LOADS_NOTHING_LIVE = """
import sys
from modellix_typed import Modellix
from modellix_typed.emulator import EmulatorConfig, running_emulator

with running_emulator(EmulatorConfig(api_keys=("k",), time_scale=0.001)) as emu:
    with Modellix(api_key="k", base_url=emu.base_url) as client:
        kinds = [o.kind for o in client.batch([("google/nano-banana", {"prompt": "a cat"})], timeout=20)]
print(kinds, [name in sys.modules for name in ("modellix_typed.live_schema", "modellix_typed.spec_engine")])
"""


def test_a_batch_of_known_models_loads_no_live_schema_machinery(tmp_path: Path) -> None:
    """Only a model newer than the generated classes needs the spec engine (fresh interpreter: nothing loaded)."""
    done = subprocess.run([sys.executable, "-c", LOADS_NOTHING_LIVE], capture_output=True, text=True, timeout=60,
                          check=False, cwd=tmp_path, env={**os.environ, "MODELLIX_POLL_STATS": "off"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['success'] [False, False]"
