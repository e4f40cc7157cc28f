"""Validation results shared by generated classes, the registry and the CLI (no network, no I/O)."""

from __future__ import annotations

from typing import Any

import attrs

from .errors import ModellixError


@attrs.frozen
class Issue:
    """One broken rule: where (field path), which rule, the offending value, and a readable message."""

    path: str
    rule: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (rule: {self.rule}, got {self.value!r})"


class ValidationError(ModellixError, ValueError):
    """Every problem found in one request, not only the first."""

    def __init__(self, model: str, issues: list[Issue]) -> None:
        self.model = model
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} validation error(s) for {model}:\n{lines}")
