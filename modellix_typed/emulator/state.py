"""One emulator run's mutable state: tasks, media, limits, faults and the request log."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from .catalog import Catalog, CatalogError, ModelSpec
from .config import EmulatorConfig, Fault
from .faults import FaultEngine
from .limits import RpmLimiter
from .media import MediaStore
from .tasks import TaskStore
from .validator import RequestValidator

REQUEST_LOG_SIZE = 10_000  # a long CLI run must not grow without bound
CLIENT_DISCONNECTED = "client_disconnected"  # request-log outcome: the client left before it was answered


class EmulatorState:
    """Shared by the server thread and the test thread, so every store locks for itself."""

    def __init__(self, config: EmulatorConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.catalog: Catalog = catalog if catalog is not None else Catalog.load(config.specs_dir)
        self.validators: dict[str, RequestValidator] = {}
        for model in self.catalog.models:
            try:
                self.validators[model.slug] = RequestValidator(
                    model.request_schema, required=model.request_required, rules=model.rules
                )
            except Exception as exc:  # jsonschema.SchemaError and friends, reported per model
                raise CatalogError(f"{model.slug}: request_schema is not valid JSON Schema ({exc})") from None
        self.tasks: TaskStore = TaskStore(seed=config.seed, failure_rate=config.failure_rate)
        self.media: MediaStore = MediaStore(max_files=config.max_files_per_team, ttl=config.media_ttl)
        self.rpm: RpmLimiter = RpmLimiter(config.rpm_limit)
        self.faults: FaultEngine = FaultEngine(config.faults)
        self.submit_lock: threading.Lock = threading.Lock()  # concurrency check + task creation are one step
        self._log_lock = threading.Lock()
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)

    @staticmethod
    def now() -> float:
        return time.monotonic()

    def validator_for(self, model: ModelSpec) -> RequestValidator:
        validator = self.validators.get(model.slug)
        if validator is None:  # a spec-less model of a raw call: any JSON object
            validator = self.validators.setdefault(
                model.slug, RequestValidator(model.request_schema, required=model.request_required)
            )
        return validator

    def record(
        self, method: str, path: str, status: int | None, route: str, *, outcome: str | None = None,
        sent_id: str | None = None,
    ) -> None:
        """Log one request; `outcome` says why there is no status (only set when something went wrong);
        `sent_id` is the x-request-id the client sent, if any."""
        entry: dict[str, Any] = {"method": method, "path": path, "status": status, "route": route}
        if outcome is not None:
            entry["outcome"] = outcome
        if sent_id is not None:
            entry["sent_id"] = sent_id
        with self._log_lock:
            self.requests.append(entry)

    def inject(self, fault: Fault) -> None:
        self.faults.inject(fault)

    def stats(self) -> dict[str, Any]:
        with self._log_lock:
            requests = [dict(r) for r in self.requests]
        return {
            "tasks_created": sum(self.tasks.created_by_key.values()),
            "tasks_by_key": dict(self.tasks.created_by_key),
            "tasks_by_slug": dict(self.tasks.created_by_slug),
            "requests": requests,
            "faults_injected": list(self.faults.injected),
            "faults_fired": list(self.faults.fired),
            "faults_pending": self.faults.pending(),
            "media_files": self.media.count(),
        }

    def snapshot(self) -> dict[str, Any]:
        """Stats plus every task's current status, for the /_emulator/state endpoint."""
        now = self.now()
        return {
            **self.stats(),
            "models": len(self.catalog.models),
            "tasks": [
                {"task_id": t.task_id, "key": t.key_label, "team": t.team, "slug": t.model.slug,
                 "status": t.status(now)}
                for t in self.tasks.all()
            ],
        }

    def reset(self) -> None:
        """Back to the start of the run: no tasks, files, counters or log; the config's faults re-armed."""
        self.tasks.clear()
        self.media.clear()
        self.rpm.clear()
        self.faults.clear()
        for fault in self.config.faults:
            self.faults.inject(fault)
        with self._log_lock:
            self.requests.clear()
