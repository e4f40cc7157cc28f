"""Where results and errors are rendered (human text or ``--json``) and where exit codes are decided.

JSON shapes are stable: success ``{"ok": true, ...}`` on stdout; errors
``{"ok": false, "error": {"type": <error class>, "message": ..., <details>}}`` also on stdout (so a script
reads one document whatever happened). Human output goes to stdout, human errors to stderr.
"""

from __future__ import annotations

import enum
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    MissingAPIKey,
    ModellixError,
    RateLimited,
    SubmissionOutcomeUnknown,
    TaskFailed,
    TaskTimeout,
    UnsupportedUpload,
)
from .safe_text import escape_json_controls, safe_text

if TYPE_CHECKING:  # imported where used: --help and --version never load attrs or the validators
    from ..results import TaskResult
    from ..validation import Issue


class ExitCode(enum.IntEnum):
    """Documented process exit codes (also listed in ``modellix-typed --help``)."""

    OK = 0
    ERROR = 1  # API, network, download or task-not-ready error
    USAGE = 2  # bad arguments/options, unknown model slug, unreadable input, missing API key
    INVALID = 3  # the request body failed validation (nothing was sent)
    TASK_FAILED = 4  # the task finished with status "failed"
    TIMEOUT = 5  # the wait deadline passed; the task may still finish (resume with `task wait ID`)
    OUTCOME_UNKNOWN = 6  # a submission may or may not have been accepted; it was not retried
    INTERRUPTED = 130  # Ctrl+C (SIGINT); SIGTERM exits 143 and SIGHUP 129 (128 + the signal's number)


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 API/network/download error; 2 usage error (bad option, unknown model, unreadable "
    "input, no API key, batch cost guard); 3 validation failed; 4 task failed; 5 wait timed out; "
    "6 submission outcome unknown (not retried); 130 interrupted (Ctrl+C; SIGTERM: 143, SIGHUP: 129: the "
    "resume command is printed). --timeout-exit-code 124 turns 5 into 124 "
    "(timeout(1), modellix-cli). batch: 0 when every item succeeded, else the code of the worst item: "
    "6 outcome unknown > 1 rejected/rate limited/error/download failed > 5 timed out > 4 failed."
)


OUTPUTS = ("human", "json", "quiet", "slugs", "task-id")


class _Mode:
    """Process-wide output settings, set by the eager global options every command takes.

    ``--quiet`` wins over ``--json``, which wins over the command's default (modellix-cli's order).
    ``slugs`` and ``task-id`` are modellix-cli's script formats: the quiet output of ``models list`` and
    ``run``; other commands treat them as ``quiet``.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.json_flag = False
        self.quiet_flag = False
        self.choice: str | None = None
        self.color = True
        self.progress = True
        self.verbosity = 0  # 1 --verbose, 2 --debug
        self.profile: str | None = None
        self.timeout_exit: int | None = None
        self.base_url: str | None = None  # --base-url given before the subcommand (already checked)
        self.signal: int | None = None  # the signal that interrupted this run (SIGINT, SIGTERM, SIGHUP)

    @property
    def output(self) -> str:
        if self.quiet_flag:
            return "quiet"
        if self.choice in ("quiet", "slugs", "task-id"):
            return self.choice
        if self.json_flag or self.choice == "json":
            return "json"
        return self.choice or "human"

    @property
    def json(self) -> bool:
        return self.output == "json"

    @property
    def quiet(self) -> bool:
        return self.output in ("quiet", "slugs", "task-id")


MODE = _Mode()


def in_ci() -> bool:
    """``CI`` set (GitHub Actions, GitLab, ...): no colors, no progress display."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _setter(apply: Callable[[Any], None]) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False and value != ():
            apply(value)

    return callback


def _set_verbosity(level: int) -> Callable[[Any], None]:
    def apply(value: Any) -> None:
        MODE.verbosity = max(MODE.verbosity, level)

    return apply


def _flag(*decls: str, apply: Callable[[Any], None], help: str) -> Callable[..., Any]:
    """An eager global flag whose callback changes :data:`MODE` (so every command shares one definition)."""
    return click.option(*decls, is_flag=True, is_eager=True, expose_value=False, callback=_setter(apply), help=help)


_GLOBAL_OPTIONS = (
    _flag(
        "--json", "as_json",
        apply=lambda v: setattr(MODE, "json_flag", True),
        help='Print one JSON document on stdout (stable shape: {"ok": true, ...} or {"ok": false, "error": ...}).',
    ),
    _flag(
        "--quiet", "-q", "as_quiet",
        apply=lambda v: setattr(MODE, "quiet_flag", True),
        help="Print only the primary value (slugs, task ids, result URLs or saved paths); wins over --json.",
    ),
    click.option(
        "--output", "output_choice", type=click.Choice(OUTPUTS), is_eager=True, expose_value=False,
        callback=_setter(lambda v: setattr(MODE, "choice", v)),
        help="Output format (slugs: `models list`; task-id: `run`; elsewhere both mean quiet).",
    ),
    _flag(
        "--no-color", "no_color",
        apply=lambda v: setattr(MODE, "color", False),
        help="No terminal colors (also when CI or NO_COLOR is set).",
    ),
    _flag(
        "--no-progress", "no_progress",
        apply=lambda v: setattr(MODE, "progress", False),
        help="No progress on stderr: no live line, status lines or heartbeats (the task id line stays).",
    ),
    _flag(
        "--verbose", "-v", "verbose",
        apply=_set_verbosity(1),
        help="HTTP diagnostics on stderr: method, path, attempt, status, time (never the key or bodies).",
    ),
    _flag(
        "--debug", "debug",
        apply=_set_verbosity(2),
        help="--verbose plus the SDK's debug log (retries, polling) on stderr (never the key or bodies).",
    ),
    click.option(
        "--profile", "profile", metavar="NAME", is_eager=True, expose_value=False,
        callback=_setter(lambda v: setattr(MODE, "profile", v)),
        help="Saved profile to use (else MODELLIX_PROFILE, else the current one). MODELLIX_API_KEY still wins.",
    ),
    click.option(
        "--timeout-exit-code", "timeout_exit", type=click.IntRange(1, 255), metavar="CODE", is_eager=True,
        expose_value=False, envvar="MODELLIX_TIMEOUT_EXIT_CODE",
        callback=_setter(lambda v: setattr(MODE, "timeout_exit", v)),
        help="Exit with CODE instead of 5 when a wait times out (124 matches timeout(1) and modellix-cli).",
    ),
)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The global options every command takes: output mode, colors, progress, diagnostics, profile."""
    for option in reversed(_GLOBAL_OPTIONS):
        command = option(command)
    return command


global_options = json_option


if TYPE_CHECKING:
    _FloatType = click.ParamType[float]
else:  # click < 8.4 (the floor is 8.1): ParamType is not subscriptable at run time
    _FloatType = click.ParamType


class Duration(_FloatType):
    """Seconds: a bare number, or modellix-cli's forms ``500ms``, ``30s``, ``5m``, ``2h`` (> 0)."""

    name = "duration"
    UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

    def __init__(self, *, allow_zero: bool = False) -> None:
        self.allow_zero = allow_zero  # 0 means "off" (e.g. --heartbeat 0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        else:
            text = str(value).strip().lower()
            unit = next((u for u in ("ms", "s", "m", "h") if text.endswith(u)), "")
            try:
                seconds = float(text[: len(text) - len(unit)]) * self.UNITS.get(unit, 1.0)
            except ValueError:
                self.fail(f"{value!r} is not a duration (seconds, or e.g. 500ms, 30s, 5m, 2h)", param, ctx)
        if seconds == 0 and self.allow_zero:
            return 0.0
        if not seconds > 0 or seconds != seconds or seconds == float("inf"):
            self.fail(f"{value!r}: a duration must be > 0{' (or 0: off)' if self.allow_zero else ''}", param, ctx)
        return seconds


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


def emit(
    payload: Mapping[str, Any], human: Callable[[], None], quiet: Callable[[], Iterable[str]] | None = None
) -> None:
    """Print a success: the JSON envelope, the ``quiet`` lines (one value per line), or what ``human`` prints."""
    if MODE.json:
        click.echo(dump({"ok": True, **payload}))
    elif MODE.quiet and quiet is not None:
        for line in quiet():
            click.echo(safe_text(line))  # task ids and URLs come from the server
    else:
        human()


def exit_status(code: int) -> int:
    """The process exit status of ``code``: a timeout becomes ``--timeout-exit-code`` when given."""
    if code == ExitCode.TIMEOUT and MODE.timeout_exit is not None:
        return MODE.timeout_exit
    if code == ExitCode.INTERRUPTED and MODE.signal is not None:
        return 128 + MODE.signal  # 130 Ctrl+C, 143 SIGTERM, 129 SIGHUP: what a shell reports for the signal
    return int(code)


def issue_json(issue: Issue) -> dict[str, Any]:
    return {"path": issue.path, "rule": issue.rule, "value": _jsonable(issue.value), "message": issue.message}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)  # NaN/Infinity are not JSON: shown as their repr
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
        "expires_at_from_server": result.expires_at_from_server,  # False: an estimate (7 days after the end)
    }


def describe_error(exc: BaseException) -> tuple[ExitCode, dict[str, Any]]:
    """Exit code and the ``error`` object of an exception (never includes the API key: SDK messages don't)."""
    from ..live_schema import SchemaUnavailable
    from ..registry import UnknownModel
    from ..results import TaskResult
    from ..validation import ValidationError

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
    elif isinstance(exc, SchemaUnavailable):  # a slug with no class whose live api_schema failed
        error.update(
            type="UnknownModel", slug=exc.slug, suggestions=exc.suggestions, schema_url=exc.url, reason=exc.reason
        )
        code = ExitCode.USAGE
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
        error.update(slug=exc.slug, body_sha256=exc.body_sha256, status=exc.status, reason=exc.reason,
                     request_id=exc.request_id, server_request_id=exc.server_request_id)
        code = ExitCode.OUTCOME_UNKNOWN
    elif isinstance(exc, MissingAPIKey):
        error["message"] = (
            "no API key: run `modellix-typed auth login` or set the MODELLIX_API_KEY environment variable "
            "(never passed as an option)"
        )
        code = ExitCode.USAGE
    elif isinstance(exc, ConfigurationError):
        if isinstance(exc, UnsupportedUpload):  # a local file refused before anything was sent
            error.update(field=exc.field, rule=exc.rule)
        code = ExitCode.USAGE
    elif isinstance(exc, APIError):
        error.update(status=exc.status, category=exc.category, detail=exc.detail, request_id=exc.request_id)
        if isinstance(exc, RateLimited):
            error.update(retry_after=exc.retry_after, rate_limit_reset=exc.reset_at)
    elif isinstance(exc, APIConnectionError):
        error.update(reason=exc.reason)
    cli_hint = getattr(exc, "cli_hint", None)  # added by connection.explain: key source, API origin
    if isinstance(cli_hint, str):
        error["message"] = f"{error['message']}; {cli_hint}"
        error["hint"] = cli_hint
    return code, error


def fail(exc: BaseException) -> NoReturn:
    """Render an error (JSON on stdout, or text on stderr) and exit with its code."""
    code, error = describe_error(exc)
    if MODE.json:
        click.echo(dump({"ok": False, "error": error}))
    else:
        click.echo(f"error: {safe_text(error['message'])}", err=True)
        for issue in error.get("issues", ()):
            click.echo(safe_text(f"  - {issue_line(issue)}"), err=True)
    sys.exit(exit_status(code))


def issue_line(issue: Mapping[str, Any]) -> str:
    """One issue of the ``issues`` list as a line: ``[line N: ]path: message (rule: R, got V)``."""
    from ..wording import render_issue

    where = f"line {issue['line']}: " if "line" in issue else ""
    path = issue["path"] or ("<line>" if where else "<body>")
    text = render_issue(path, issue["message"], issue["rule"], issue["value"])
    if issue["value"] is None:
        text = text.rsplit(" (rule: ", 1)[0] + f" (rule: {issue['rule']})"
    return where + text


def fail_usage(exc: click.ClickException) -> NoReturn:
    """Click's own usage errors, in the same JSON shape when ``--json`` was given."""
    if MODE.json:
        click.echo(dump({"ok": False, "error": {"type": "UsageError", "message": exc.format_message()}}))
    else:  # click's own text quotes what the user typed: sanitized like everything else
        shown = io.StringIO()
        exc.show(file=shown)
        click.echo(safe_text(shown.getvalue(), multiline=True), err=True, nl=False)
    sys.exit(exc.exit_code)


HANDLED: tuple[type[BaseException], ...] = (ModellixError, CLIError)
