"""Where results and errors are rendered (human text or ``--json``) and where exit codes are decided.

JSON shapes are stable: success ``{"ok": true, ...}`` on stdout; errors
``{"ok": false, "error": {"type": <error class>, "message": ..., <details>}}`` also on stdout (so a script
reads one document whatever happened). Human output goes to stdout, human errors to stderr.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import click

from ..errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    MissingAPIKey,
    ModellixError,
    SubmissionOutcomeUnknown,
    TaskFailed,
    TaskTimeout,
)
from ..results import TaskResult
from ..validation import Issue, ValidationError
from .safe_text import escape_json_controls, safe_text


class ExitCode(enum.IntEnum):
    """Documented process exit codes (also listed in ``modellix-typed --help``)."""

    OK = 0
    ERROR = 1  # API, network, download or task-not-ready error
    USAGE = 2  # bad arguments/options, unknown model slug, unreadable input, missing API key
    INVALID = 3  # the request body failed validation (nothing was sent)
    TASK_FAILED = 4  # the task finished with status "failed"
    TIMEOUT = 5  # the wait deadline passed; the task may still finish (resume with `task wait ID`)
    OUTCOME_UNKNOWN = 6  # a submission may or may not have been accepted; it was not retried
    INTERRUPTED = 130  # Ctrl+C


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 API/network/download error; 2 usage error (bad option, unknown model, unreadable "
    "input, missing MODELLIX_API_KEY); 3 validation failed; 4 task failed; 5 wait timed out; "
    "6 submission outcome unknown (not retried); 130 interrupted. batch: 0 when every item succeeded, else the "
    "code of the worst item: 6 outcome unknown > 1 rejected/error/download failed > 5 timed out > 4 failed."
)


class _Mode:
    """``--json`` is an eager option on every command; its callback flips this process-wide switch."""

    json = False


MODE = _Mode()


def set_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        MODE.json = True


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=set_json,
    help='Print one JSON document on stdout (stable shape: {"ok": true, ...} or {"ok": false, "error": ...}).',
)


class CLIError(Exception):
    """An error found by the CLI itself (not the SDK); rendered like SDK errors."""

    def __init__(self, type_: str, message: str, code: ExitCode, **details: Any) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message
        self.code = code
        self.details = details


def dump(document: Mapping[str, Any]) -> str:
    return escape_json_controls(json.dumps(document, ensure_ascii=False, default=str))


def emit(payload: Mapping[str, Any], human: Callable[[], None]) -> None:
    """Print a success: the JSON envelope in ``--json`` mode, else whatever ``human`` prints."""
    if MODE.json:
        click.echo(dump({"ok": True, **payload}))
    else:
        human()


def issue_json(issue: Issue) -> dict[str, Any]:
    return {"path": issue.path, "rule": issue.rule, "value": _jsonable(issue.value), "message": issue.message}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def task_json(result: TaskResult) -> dict[str, Any]:
    expires = result.expires_at
    return {
        "task_id": result.task_id,
        "status": result.status.value,
        "raw_status": result.raw_status,  # the server's own word (e.g. "completed", or one we do not know)
        "model_id": result.model_id,
        "duration_ms": result.duration_ms,
        "error": result.error,
        "resources": [
            {
                "url": r.url,
                "type": r.type,
                "width": r.width,
                "height": r.height,
                "format": r.format,
                "role": r.role,
            }
            for r in result.resources
        ],
        "metadata": dict(result.metadata),
        "extensions": dict(result.extensions),
        "expires_at": expires.isoformat() if expires else None,
    }


def describe_error(exc: BaseException) -> tuple[ExitCode, dict[str, Any]]:
    """Exit code and the ``error`` object of an exception (never includes the API key: SDK messages don't)."""
    from ..registry import UnknownModel

    error: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    code = ExitCode.ERROR
    if isinstance(exc, CLIError):
        error.update(type=exc.type, message=exc.message, **exc.details)
        code = exc.code
    elif isinstance(exc, ValidationError):
        error.update(
            message=f"{len(exc.issues)} validation error(s) for {exc.model} (nothing was sent)",
            model=exc.model,
            issues=[issue_json(issue) for issue in exc.issues],
        )
        code = ExitCode.INVALID
    elif isinstance(exc, UnknownModel):
        hint = f"; did you mean {' or '.join(exc.suggestions)}?" if exc.suggestions else ""
        error.update(
            message=f"unknown model {exc.slug!r}{hint} (see `modellix-typed models list`)",
            slug=exc.slug,
            suggestions=exc.suggestions,
        )
        code = ExitCode.USAGE
    elif isinstance(exc, TaskFailed):
        error.update(task_id=exc.task_id, reason=exc.message)
        if isinstance(exc.result, TaskResult):
            error["task"] = task_json(exc.result)
        code = ExitCode.TASK_FAILED
    elif isinstance(exc, TaskTimeout):
        error.update(
            message=f"task {exc.task_id} not finished after {exc.waited:.1f}s ({exc.seen}); "
            f"it keeps running: resume with `modellix-typed task wait {exc.task_id}`",
            task_id=exc.task_id,
            waited=round(exc.waited, 3),
            last_status=exc.last_status,
        )
        code = ExitCode.TIMEOUT
    elif isinstance(exc, SubmissionOutcomeUnknown):
        error.update(slug=exc.slug, body_sha256=exc.body_sha256, status=exc.status, reason=exc.reason)
        code = ExitCode.OUTCOME_UNKNOWN
    elif isinstance(exc, MissingAPIKey):
        error["message"] = "no API key: set the MODELLIX_API_KEY environment variable (never passed as an option)"
        code = ExitCode.USAGE
    elif isinstance(exc, ConfigurationError):
        code = ExitCode.USAGE
    elif isinstance(exc, APIError):
        error.update(status=exc.status, category=exc.category, detail=exc.detail, request_id=exc.request_id)
    elif isinstance(exc, APIConnectionError):
        error.update(reason=exc.reason)
    return code, error


def fail(exc: BaseException) -> NoReturn:
    """Render an error (JSON on stdout, or text on stderr) and exit with its code."""
    code, error = describe_error(exc)
    if MODE.json:
        click.echo(dump({"ok": False, "error": error}))
    else:
        click.echo(f"error: {safe_text(error['message'])}", err=True)
        for issue in error.get("issues", ()):
            got = "" if issue["value"] is None else f", got {issue['value']!r}"
            where = f"line {issue['line']}: " if "line" in issue else ""
            path = issue["path"] or ("<line>" if where else "<body>")
            click.echo(safe_text(f"  - {where}{path}: {issue['message']} (rule: {issue['rule']}{got})"), err=True)
    sys.exit(int(code))


def fail_usage(exc: click.ClickException) -> NoReturn:
    """Click's own usage errors, in the same JSON shape when ``--json`` was given."""
    if MODE.json:
        click.echo(dump({"ok": False, "error": {"type": "UsageError", "message": exc.format_message()}}))
    else:
        exc.show()
    sys.exit(exc.exit_code)


HANDLED: tuple[type[BaseException], ...] = (ModellixError, CLIError)
