"""Fault engine: scripted faults wait here until a matching request spends them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from .config import Fault

# Faults decided before the handler runs, and faults applied to the handler's answer.
BEFORE = ("slow", "status")
AFTER = ("drop", "malformed_json", "truncated")


class FaultEngine:
    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._armed: list[list[Any]] = []  # [fault, remaining]
        self.injected: list[dict[str, Any]] = []
        self.fired: list[dict[str, Any]] = []
        for fault in faults:
            self.inject(fault)

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append([fault, fault.count])
            self.injected.append(fault.to_json())

    def take(self, route: str, kinds: Iterable[str], *, method: str = "", path: str = "") -> Fault | None:
        """Spend one use of the oldest armed fault of `kinds` that matches `route`."""
        wanted = set(kinds)
        with self._lock:
            for entry in self._armed:
                fault: Fault = entry[0]
                if fault.kind in wanted and fault.route in (route, "any"):
                    entry[1] -= 1
                    if entry[1] <= 0:
                        self._armed.remove(entry)
                    self.fired.append({"kind": fault.kind, "route": route, "method": method, "path": path})
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**entry[0].to_json(), "remaining": entry[1]} for entry in self._armed]

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self.injected.clear()
            self.fired.clear()
