"""``auth login|status|logout`` and ``config path|show|clear``: saved profiles, keys always masked.

The key is typed at a hidden prompt, or read from stdin when stdin is not a terminal (``... | auth login``),
never taken as an option. It is checked with ``GET /api/v1/apikey/validate`` before anything is saved.
The file is modellix-cli's own (see :mod:`modellix_typed.profiles`): a key saved by either tool works in both.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .. import profiles
from ..config import ENV_API_KEY, locate_api_key
from ..local_files import config_dir
from .connection import base_url_option, checked_base_url, tracing
from .output import EXIT_CODES_HELP, MODE, CLIError, ExitCode, emit, json_option


def _read_key() -> str:
    """Hidden prompt on a terminal; else the first line of stdin (scripts). Never echoed."""
    if sys.stdin.isatty():
        key = click.prompt("Modellix API key", hide_input=True, err=True)
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise CLIError("UsageError", "no API key given (type it at the prompt or pipe it on stdin)", ExitCode.USAGE)
    return key


def _validate(key: str, base_url: str | None) -> bool:
    from .._sync.client import Modellix

    with tracing() as extra, Modellix(api_key=key, base_url=checked_base_url(base_url), **extra) as client:
        return client.validate_key()


@click.group(epilog=EXIT_CODES_HELP)
@json_option
def auth() -> None:
    """Save, check and remove API keys (named profiles, shared with modellix-cli)."""


@auth.command(epilog=EXIT_CODES_HELP)
@click.option("--check", is_flag=True, help="Only validate the key; save nothing.")
@base_url_option
@json_option
def login(check: bool, base_url: str | None) -> None:
    """Validate an API key with the API, then save it as the profile (--profile, else the current one).

    The key is read at a hidden prompt, or from stdin when it is not a terminal:
    `printf %s "$KEY" | modellix-typed auth login --profile work`. An invalid key is never saved (exit 1).
    """
    name, _ = profiles.select(MODE.profile, profiles.load())
    key = _read_key()
    masked = profiles.mask(key)
    if not _validate(key, base_url):
        raise CLIError(
            "InvalidAPIKey", f"the API rejected the key {masked} (nothing saved)", ExitCode.ERROR, profile=name
        )
    path = None if check else profiles.save(name, key)
    payload = {"profile": name, "key": masked, "valid": True, "saved": path is not None, "path": str(path or "")}
    message = f"key {masked} is valid" + (f"; saved as profile {name!r} in {path}" if path else " (not saved)")
    emit(payload, lambda: click.echo(message), lambda: [name])


@auth.command(epilog=EXIT_CODES_HELP)
@base_url_option
@json_option
def status(base_url: str | None) -> None:
    """Which profile and key are used (masked), where the key comes from, and whether the API accepts it.

    Exit 0 when the key is valid, 1 when the API rejects it, 2 when there is no key.
    """
    from ..errors import MissingAPIKey

    store = profiles.load()
    name, chosen_by = profiles.select(MODE.profile, store)
    key, source = locate_api_key(None, MODE.profile)
    if key is None:
        raise MissingAPIKey("no key")
    valid = _validate(key, base_url)
    payload = {
        "profile": name,
        "profile_source": chosen_by,
        "key_source": source,
        "key": profiles.mask(key),
        "valid": valid,
        "saved_profiles": sorted(store.keys) if store is not None else [],
    }
    if not valid:
        raise CLIError(
            "InvalidAPIKey", f"the API rejects the key {profiles.mask(key)} from {source}", ExitCode.ERROR, **payload
        )

    def human() -> None:
        click.echo(f"profile: {name} ({chosen_by})")
        click.echo(f"key: {profiles.mask(key)} from {source}: valid")

    emit(payload, human, lambda: [name])


auth.add_command(status, "whoami")  # modellix-cli's other name for it


@auth.command(epilog=EXIT_CODES_HELP)
@json_option
def logout() -> None:
    """Remove the selected saved profile (--profile, else the current one). MODELLIX_API_KEY is untouched."""
    name, _ = profiles.select(MODE.profile, profiles.load())
    removed, left = profiles.remove(name)
    payload: dict[str, Any] = {
        "profile": name,
        "removed": removed,
        "current_profile": left.current if left is not None else None,
        "remaining_profiles": sorted(left.keys) if left is not None else [],
    }

    def human() -> None:
        click.echo(f"removed profile {name!r}" if removed else f"no saved profile {name!r}")
        if os.environ.get(ENV_API_KEY):
            click.echo(f"note: {ENV_API_KEY} is set in this environment and still provides a key", err=True)

    emit(payload, human, lambda: [name] if removed else [])


@click.group("config", epilog=EXIT_CODES_HELP)
@json_option
def config_group() -> None:
    """Where the local settings are, what they hold (keys masked), and removing them."""


@config_group.command("path", epilog=EXIT_CODES_HELP)
@json_option
def path_() -> None:
    """The config file (profiles) and the task history file."""
    from .history import history_path

    payload = {"config": str(profiles.config_path()), "history": str(history_path()), "dir": str(config_dir())}
    emit(payload, lambda: click.echo(payload["config"]), lambda: [payload["config"]])


@config_group.command("show", epilog=EXIT_CODES_HELP)
@json_option
def show() -> None:
    """Saved profiles (keys masked), the current one, and the environment variables that override them."""
    store = profiles.load()
    env = {
        ENV_API_KEY: profiles.mask(os.environ[ENV_API_KEY].strip()) if os.environ.get(ENV_API_KEY) else None,
        profiles.ENV_PROFILE: os.environ.get(profiles.ENV_PROFILE) or None,
        "MODELLIX_BASE_URL": os.environ.get("MODELLIX_BASE_URL") or None,
    }
    saved = {n: profiles.mask(k) for n, k in sorted(store.keys.items())} if store is not None else {}
    payload = {
        "path": str(profiles.config_path()),
        "exists": store is not None,
        "current_profile": store.current if store is not None else None,
        "profiles": saved,
        "environment": env,
    }

    def human() -> None:
        click.echo(f"config: {payload['path']}" + ("" if store is not None else " (none saved)"))
        for name, masked in saved.items():
            marker = "*" if store is not None and name == store.current else " "
            click.echo(f" {marker} {name}: {masked}")
        for var, value in env.items():
            if value is not None:
                click.echo(f"{var}={value} (overrides the saved setting)")

    emit(payload, human, lambda: list(saved))


@config_group.command("clear", epilog=EXIT_CODES_HELP)
@click.option("--all", "everything", is_flag=True, help="Remove every saved profile (the whole config file).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed when stdin is not a terminal).")
@json_option
def clear(everything: bool, yes: bool) -> None:
    """Remove the selected saved profile (--profile, else the current one), or --all of them."""
    path = profiles.config_path()
    what = f"every saved profile in {path}" if everything else "the selected profile"
    if not yes:
        if not sys.stdin.isatty():
            raise CLIError("UsageError", f"config clear removes {what}: confirm with --yes", ExitCode.USAGE)
        click.confirm(f"Remove {what}?", abort=True, err=True)
    if everything:
        from ..local_files import locked

        with locked(path):
            existed = path.exists()
            path.unlink(missing_ok=True)
        payload: dict[str, Any] = {"path": str(path), "removed": existed, "profile": None}
        emit(payload, lambda: click.echo(f"removed {path}" if existed else f"nothing saved in {path}"))
        return
    name, _ = profiles.select(MODE.profile, profiles.load())
    removed, _left = profiles.remove(name)
    payload = {"path": str(path), "removed": removed, "profile": name}
    emit(payload, lambda: click.echo(f"removed profile {name!r}" if removed else f"no saved profile {name!r}"))
