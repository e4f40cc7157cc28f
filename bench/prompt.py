"""The bench's one-field request class, importable without the emulator (spawned workers import it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from modellix_typed.request import Endpoint, RequestModel


class BenchPrompt(RequestModel):
    """A one-field request for the bench's scratch model (bench runs without generated code)."""

    ENDPOINT = Endpoint("bench", "image", "t2i", "POST", "/api/v1/bench/image", "https://docs.modellix.ai/bench")

    def __init__(self, prompt: str) -> None:
        self.prompt = prompt

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        return cls(str(data["prompt"]))

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return {"type": "object", "properties": {"prompt": {"type": "string"}}, "required": ["prompt"]}


def request_class(task_type: str, model_id: str) -> type[BenchPrompt]:
    endpoint = Endpoint("bench", model_id, task_type, "POST", f"/api/v1/bench/{model_id}", "https://docs.modellix.ai")
    return type(f"Bench_{model_id.replace('-', '_')}", (BenchPrompt,), {"ENDPOINT": endpoint})
