"""Fixtures for runtime tests: a tiny spec catalog, matching request classes, and a live emulator."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Self

import pytest

from modellix_typed.client import Modellix
from modellix_typed.emulator import EmulatorConfig, RunningEmulator, running_emulator
from modellix_typed.polling import PollPolicy
from modellix_typed.retry import RetryPolicy
from modellix_typed.request import Endpoint, RequestModel
from modellix_typed.validation import Issue, ValidationError
from tests.flavours import FLAVOURS, either_client

API_KEY = "test-key-123"
FAST_POLL = PollPolicy(first_delay=0.01, max_delay=0.05, multiplier=1.5, default_timeout=20.0)
FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)

PROMPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"prompt": {"type": "string", "minLength": 1}, "n": {"type": "integer", "minimum": 1}},
    "required": ["prompt"],
    "x-order": ["prompt", "n"],
}


def _spec(provider: str, model_id: str, task_type: str) -> dict[str, Any]:
    return {
        "format_version": 1,
        "slug": f"{provider}/{model_id}",
        "provider": provider,
        "model_id": model_id,
        "title": model_id,
        "summary": "runtime test model",
        "doc_url": f"https://docs.modellix.ai/{provider}/{model_id}",
        "source": {"kind": "docs", "url": f"https://docs.modellix.ai/{provider}/{model_id}.md", "spec_file": "x"},
        "task_type": task_type,
        "method": "POST",
        "path": f"/api/v1/{provider}/{model_id}",
        "server_origin": "https://api.modellix.ai",
        "request_schema": PROMPT_SCHEMA,
        "request_required": True,
        "response_schema": {},
        "examples": {"request": {"prompt": "a cat"}, "response": None},
        "body_notes": None,
        "stale": False,
        "stale_reason": None,
    }


class _PromptRequest(RequestModel):
    """A minimal hand-written RequestModel (the runtime must work with any implementation)."""

    def __init__(self, prompt: str, n: int | None = None) -> None:
        issues = []
        if not isinstance(prompt, str) or not prompt:
            issues.append(Issue("prompt", "minLength", prompt, "must be a non-empty string"))
        if n is not None and (not isinstance(n, int) or n < 1):
            issues.append(Issue("n", "minimum", n, "must be an integer >= 1"))
        if issues:
            raise ValidationError(self.ENDPOINT.slug, issues)
        self.prompt, self.n = prompt, n

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"prompt": self.prompt}
        if self.n is not None:
            body["n"] = self.n
        return body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        unknown = sorted(set(data) - {"prompt", "n"})
        if unknown:
            raise ValidationError(cls.ENDPOINT.slug, [Issue(k, "unknown", data[k], "unknown field") for k in unknown])
        return cls(data.get("prompt"), data.get("n"))  # type: ignore[arg-type]

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return dict(PROMPT_SCHEMA)


class TestImage(_PromptRequest):
    __test__ = False
    ENDPOINT = Endpoint("rt", "image-model", "t2i", "POST", "/api/v1/rt/image-model", "https://docs.modellix.ai/rt")


class TestVideo(_PromptRequest):
    __test__ = False
    ENDPOINT = Endpoint("rt", "video-model", "t2v", "POST", "/api/v1/rt/video-model", "https://docs.modellix.ai/rt")


@pytest.fixture(scope="session")
def api_key() -> str:
    return API_KEY


@pytest.fixture(scope="session")
def fast_poll() -> PollPolicy:
    return FAST_POLL


@pytest.fixture(scope="session")
def specs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("specs")
    (root / "rt").mkdir()
    for model_id, task_type in (("image-model", "t2i"), ("video-model", "t2v")):
        text = json.dumps(_spec("rt", model_id, task_type), indent=2, sort_keys=True) + "\n"
        (root / "rt" / f"{model_id}.json").write_text(text, encoding="utf-8")
    return root


def emulator_config(specs_dir: Path, **overrides: Any) -> EmulatorConfig:
    settings: dict[str, Any] = {
        "specs_dir": specs_dir,
        "api_keys": (API_KEY,),
        "durations": {"t2i": 0.3, "t2v": 0.6},
        "time_scale": 1.0,
        "concurrency_limit": 3,
        "rpm_limit": None,
        "result_ttl": 86400.0,
        "failure_rate": 0.0,
    }
    settings.update(overrides)
    return EmulatorConfig(**settings)


@pytest.fixture(scope="module")
def emulator(specs_dir: Path) -> Iterator[RunningEmulator]:
    with running_emulator(emulator_config(specs_dir)) as emu:
        yield emu


@pytest.fixture
def emu(emulator: RunningEmulator) -> RunningEmulator:
    """The module's emulator, reset (no tasks, faults or request log) for this test."""
    emulator.reset()
    return emulator


@pytest.fixture(scope="session")
def Image() -> type[TestImage]:  # noqa: N802 - reads like the class it returns
    return TestImage


@pytest.fixture(scope="session")
def Video() -> type[TestVideo]:  # noqa: N802
    return TestVideo


@pytest.fixture
def make_client() -> Iterator[Callable[..., Modellix]]:
    """``make_client(emu, **kwargs)``: a sync client with fast poll/retry policies, closed after the test."""
    made: list[Modellix] = []

    def make(emu: RunningEmulator, **kwargs: Any) -> Modellix:
        kwargs.setdefault("poll_policy", FAST_POLL)
        kwargs.setdefault("retry_policy", FAST_RETRY)
        made.append(Modellix(kwargs.pop("api_key", API_KEY), base_url=emu.base_url, **kwargs))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture(params=FLAVOURS)
def make_either(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``make_client`` in both flavours: the sync client, or the async client behind :class:`Blocking` (the same
    calls, each awaited on an event loop of its own), with the same fast policies; closed after the test."""
    with contextlib.ExitStack() as made:

        def make(emu: RunningEmulator, **kwargs: Any) -> Any:
            kwargs.setdefault("poll_policy", FAST_POLL)
            kwargs.setdefault("retry_policy", FAST_RETRY)
            api_key = kwargs.pop("api_key", API_KEY)
            return made.enter_context(either_client(request.param, api_key, base_url=emu.base_url, **kwargs))

        yield make


@pytest.fixture
def fresh_emulator(specs_dir: Path) -> Callable[..., AbstractContextManager[RunningEmulator]]:
    """A dedicated emulator with config overrides: ``with fresh_emulator(result_ttl=0.3) as emu: ...``."""
    return lambda **overrides: running_emulator(emulator_config(specs_dir, **overrides))
