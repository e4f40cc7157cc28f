"""Task store and lifecycle: the status is derived lazily from the creation time on every query."""

from __future__ import annotations

import math
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import attrs

from .catalog import ModelSpec
from .config import EmulatorConfig
from .media import output_shape, utc_iso

Status = Literal["pending", "processing", "success", "failed"]
_COUNT_PARAM = re.compile(
    r"^(n|samplecount|numimages|numberofimages|imagecount|numoutputs|numberofoutputs|batchsize|count|numvideos)$"
)
MAX_RESOURCES = 10
FAILURE_MESSAGE = "Internal processing error: the model provider failed to generate a result"


def resource_count(body: Mapping[str, Any]) -> int:
    """How many files a task yields: an n/sampleCount/num_images-like integer if sent, else 1."""
    for name, value in body.items():
        if _COUNT_PARAM.match(name.replace("_", "").lower()) and isinstance(value, int) and value > 0:
            return min(value, MAX_RESOURCES)
    return 1


@attrs.define(kw_only=True)
class Task:
    task_id: str
    key_label: str
    team: str
    model: ModelSpec
    created: float  # time.monotonic()
    submitted_at: datetime
    duration: float  # seconds until the final state
    processing_after: float
    failure: str | None
    count: int
    width: int
    height: int

    @property
    def kind(self) -> str:
        return self.model.output_kind

    @property
    def extension(self) -> str:
        return "mp4" if self.kind == "video" else "png"

    @property
    def finished_at(self) -> float:
        return self.created + self.duration

    def status(self, now: float) -> Status:
        elapsed = now - self.created
        if elapsed >= self.duration:
            return "failed" if self.failure else "success"
        if elapsed >= self.duration * self.processing_after:
            return "processing"
        return "pending"

    def is_running(self, now: float) -> bool:
        return self.status(now) in ("pending", "processing")

    def to_json(self, now: float, base_url: str, config: EmulatorConfig) -> tuple[dict[str, Any], str]:
        """The task's ``data`` and the envelope ``message``, in the shapes ``config`` selects."""
        status = self.status(now)
        data: dict[str, Any] = {
            "status": config.status_word(status),
            "task_id": self.task_id,
            "model_id": self.model.api_model_id,
        }
        if status in ("pending", "processing"):
            return data, "success"
        data["duration"] = int(round(self.duration * 1000))
        if status == "failed":
            if config.failure_in == "message":
                return data, str(self.failure)
            data["error"] = {"message": self.failure}
            return data, "success"
        end_time = utc_iso(self.submitted_at + timedelta(seconds=self.duration))
        result: dict[str, Any] = {
            "metadata": {f"{self.kind}_count": self.count, "request_id": f"req-{self.task_id[5:17]}"},
            "extensions": {"submit_time": utc_iso(self.submitted_at), "end_time": end_time},
        }
        prefix = f"{base_url}/_redirect/{config.redirect_results}" if config.redirect_results else base_url
        urls = [f"{prefix}/files/{self.task_id}/{index}.{self.extension}" for index in range(self.count)]
        described = [
            {"url": url, "type": self.kind, "width": self.width, "height": self.height,
             "format": self.extension, "role": "primary"}
            for url in urls
        ]
        if config.result_shape == "result":
            result["resources"] = described
        elif config.result_shape == "urls":
            result["resources"] = urls
        elif config.result_shape == "data":
            data["resources"] = described
        data["result"] = result
        self._state_expiry(data, config)
        return data, "success"

    def _state_expiry(self, data: dict[str, Any], config: EmulatorConfig) -> None:
        """The expiry (end time + ``result_ttl``) in the form and place ``config`` selects."""
        if config.expiry_form == "none":
            return
        expires = self.submitted_at + timedelta(seconds=self.duration + config.result_ttl)
        value: Any = {
            "seconds": int(expires.timestamp()),
            "ms": int(expires.timestamp() * 1000),
            "iso": utc_iso(expires),
        }[config.expiry_form]
        result = data["result"]
        if config.expiry_at == "task":
            data["result_expires_at"] = value
        elif config.expiry_at == "result":
            result["expires_at"] = value
        else:
            for resource in result.get("resources") or data.get("resources") or []:
                if isinstance(resource, dict):
                    resource["expires_at"] = value


class TaskStore:
    """All tasks of a run; ids are unguessable and scoped to the key that created them."""

    def __init__(self, *, seed: int, failure_rate: float) -> None:
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()
        self._seed = seed
        self._failure_rate = failure_rate
        self._random = random.Random(seed)
        self.created_by_key: Counter[str] = Counter()
        self.created_by_slug: Counter[str] = Counter()

    def running(self, team: str, now: float) -> list[Task]:
        with self._lock:
            return [t for t in self._tasks.values() if t.team == team and t.is_running(now)]

    def create(
        self,
        *,
        key_label: str,
        team: str,
        model: ModelSpec,
        body: Mapping[str, Any],
        now: float,
        duration: float,
        processing_after: float,
        forced_failure: str | None,
    ) -> Task:
        width, height = output_shape(body, model.output_kind)
        with self._lock:
            failure = forced_failure
            if failure is None and self._random.random() < self._failure_rate:
                failure = FAILURE_MESSAGE
            task = Task(
                task_id=f"task-{uuid.uuid4().hex}",
                key_label=key_label,
                team=team,
                model=model,
                created=now,
                submitted_at=datetime.now(timezone.utc),
                duration=duration,
                processing_after=processing_after,
                failure=failure,
                count=resource_count(body),
                width=width,
                height=height,
            )
            self._tasks[task.task_id] = task
            self.created_by_key[key_label] += 1
            self.created_by_slug[model.slug] += 1
            return task

    def get(self, task_id: str, *, now: float, ttl: float) -> Task | None:
        """The task if it exists and its result has not expired (expiry counts from the final state)."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or now >= task.finished_at + ttl:
            return None
        return task

    def all(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self.created_by_key.clear()
            self.created_by_slug.clear()
            self._random = random.Random(self._seed)


def seconds_until_free(running: list[Task], now: float) -> int:
    """Retry-After for a full team: when the first running task finishes (at least 1 s)."""
    if not running:
        return 1
    return max(1, math.ceil(min(t.finished_at for t in running) - now))
