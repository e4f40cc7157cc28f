"""``modellix-typed``: browse and validate models offline, run tasks, regenerate the SDK, start the emulator.

Exit codes (also in ``modellix-typed --help``; defined in :class:`modellix_typed.cli.output.ExitCode`):

====  ==========================================================================================
0     ok (``validate``: the body is valid)
1     API, network or download error; task not finished yet (``task download``)
2     usage error: bad option/argument, unknown model slug (with did-you-mean), unreadable input
      file, no API key, unknown profile, bad ``--base-url``, batch cost guard (``--max-tasks``/``--yes``)
3     validation failed: every problem is printed (``{"ok": false, "error": {"issues": [...]}}``)
4     the task finished with status ``failed``
5     the wait deadline (``--timeout``) passed; the task may still finish: ``task wait ID``
      (``--timeout-exit-code 124`` / ``MODELLIX_TIMEOUT_EXIT_CODE=124``: 124, as timeout(1) and modellix-cli)
6     the submission's outcome is unknown (it may have been accepted); it was not retried
130   interrupted (Ctrl+C); 143 after SIGTERM, 129 after SIGHUP (handled like Ctrl+C: the wait stops, what
      is known is printed with the command that continues it)
====  ==========================================================================================

``batch`` exits 0 when every item succeeded, otherwise with the code of its most serious item outcome,
most serious first: 6 (outcome unknown: re-running could submit twice) > 1 (rejected, error, download
failed) > 5 (timed out; the task keeps running) > 4 (failed). Each item's own outcome is in the output.

The API key is read from ``MODELLIX_API_KEY``, else from the saved profile (``auth login``; ``--profile``,
``MODELLIX_PROFILE``, the current one), never from an option: a ``--api-key`` would land in shell history
and in the process list. The base URL comes from ``--base-url`` or ``MODELLIX_BASE_URL`` (an origin only:
:mod:`.base_url`). The global options of :mod:`modellix_typed.cli.output` (``--json``, ``--quiet``,
``--output``, ``--no-color``, ``--no-progress``, ``--verbose``, ``--debug``, ``--profile``,
``--timeout-exit-code``) and ``--base-url`` are taken before or after the subcommand. SIGTERM and SIGHUP
are handled like Ctrl+C (:mod:`.interrupts`).

Subcommands are imported lazily (:class:`LazyGroup`) so ``models list`` never imports the crawler, the
emulator's server stack or the HTTP client.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from .base_url import global_base_url_option
from .output import (
    EXIT_CODES_HELP,
    HANDLED,
    MODE,
    ExitCode,
    exit_status,
    fail,
    fail_usage,
    json_option,
)

# command name -> (module, attribute); imported on first use
COMMANDS: dict[str, tuple[str, str]] = {
    "auth": ("modellix_typed.cli.auth", "auth"),
    "config": ("modellix_typed.cli.auth", "config_group"),
    "doctor": ("modellix_typed.cli.doctor", "doctor"),
    "models": ("modellix_typed.cli.models", "models"),
    "validate": ("modellix_typed.cli.validate", "validate"),
    "run": ("modellix_typed.cli.run", "run"),
    "batch": ("modellix_typed.cli.batch", "batch"),
    "task": ("modellix_typed.cli.tasks", "task"),
    "codegen": ("modellix_typed.cli.codegen", "codegen"),
    "emulator": ("modellix_typed.cli.emulator", "emulator"),
    "file": ("modellix_typed.cli.files", "file"),
}

# command name -> its one-line summary in `modellix-typed --help` (so --help imports no subcommand; a test
# checks each against the command's own docstring)
SUMMARIES: dict[str, str] = {
    "auth": "Save, check and remove API keys (named profiles, shared with modellix-cli).",
    "batch": "Run every request of the JSON Lines FILE (or stdin with -), one per line.",
    "codegen": "Build the specs/ snapshot that the SDK is generated from.",
    "config": "Where the local settings are, what they hold (keys masked), and removing them.",
    "doctor": (
        "Check Python and packages, the key's source (masked), connectivity, key validity, balance, submit path."
    ),
    "emulator": "Serve the local Modellix API emulator (every model in specs/) until interrupted.",
    "file": "Upload and delete media files (inputs for models that take image URLs).",
    "models": "Browse the models this SDK was generated for (offline).",
    "run": "Submit a task for SLUG with a JSON body (--body, --body-file or - for stdin).",
    "task": "Read, wait on and download tasks by id.",
    "validate": "Validate a JSON request body (--body JSON, FILE, --body-file FILE or -) against SLUG's rules.",
}


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut between words (never mid-word) with ``...``."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(",;:(") + "..."


class LazyGroup(click.Group):
    """Import a subcommand's module only when that subcommand runs (``--help`` lists :data:`SUMMARIES`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _cut(SUMMARIES[name], limit)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        command = getattr(importlib.import_module(target[0]), target[1])
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand with the SDK's log lines and warnings on stderr, sanitized (:func:`.connection.
        stderr_log`); ``--help`` and usage errors end before this, so they never load logging."""
        from .connection import stderr_log

        with stderr_log():
            return super().invoke(ctx)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise click.UsageError(f"No such command {name!r}.{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@json_option
@global_base_url_option
@click.version_option(package_name="modellix-typed")
def cli() -> None:
    """Typed, validating command line for the Modellix API.

    The API key is read from MODELLIX_API_KEY, else from the saved profile (`auth login`), never from the
    command line and never printed; the base URL from --base-url or MODELLIX_BASE_URL. Shell completion:
    eval "$(_MODELLIX_TYPED_COMPLETE=bash_source modellix-typed)" (zsh_source, fish_source).
    """


def _wants_json(args: list[str]) -> bool:
    pairs = zip(args, [*args[1:], ""])
    return "--json" in args or "--output=json" in args or any(a == "--output" and b == "json" for a, b in pairs)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and turn every error into its documented exit code."""
    from .interrupts import signal_name, signals_interrupt

    MODE.reset()
    args = sys.argv[1:] if argv is None else argv
    try:
        with signals_interrupt():  # Ctrl+C/SIGTERM/SIGHUP; the SDK's log lines: LazyGroup.invoke
            returned = cli.main(args=args, prog_name="modellix-typed", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl+C (click re-raises it as Abort), SIGTERM, SIGHUP
        click.echo(f"interrupted ({signal_name()})", err=True)
        sys.exit(exit_status(ExitCode.INTERRUPTED))
    except click.ClickException as exc:
        if _wants_json(args):  # the option parser failed before the eager callbacks ran
            MODE.json_flag = True
        fail_usage(exc)
    except HANDLED as exc:
        fail(exc)
    sys.exit(exit_status(returned) if isinstance(returned, int) else 0)


__all__ = ["cli", "main"]
