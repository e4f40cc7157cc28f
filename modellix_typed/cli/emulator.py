"""``modellix-typed emulator``: serve the local API emulator until Ctrl+C/SIGTERM.

The first stdout line is ``Modellix emulator listening on <URL>`` (or, with ``--json``, one JSON document with
``base_url``), so scripts and tests can read the URL. The accepted key is ``MODELLIX_API_KEY`` when set
(so ``run``/``task`` work against it unchanged), else the fixed test key ``test-key``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .output import EXIT_CODES_HELP, CLIError, ExitCode, emit, json_option

if TYPE_CHECKING:
    from ..emulator.config import Fault

DEFAULT_KEY = "test-key"


def export_lines(base_url: str, test_key: str | None) -> list[str]:
    """The shell lines that point a client at the emulator (a real key is never printed: only the test key)."""
    import shlex

    lines = [f"export MODELLIX_BASE_URL={shlex.quote(base_url)}"]
    if test_key is not None:
        lines.append(f"export MODELLIX_API_KEY={shlex.quote(test_key)}")
    return lines


def _fault(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Fault]:
    from ..emulator.config import Fault

    faults = []
    for text in values:
        try:
            faults.append(Fault.from_text(text))
        except ValueError as exc:
            raise click.BadParameter(f"{text!r}: {exc}") from None
    return faults


@click.command(epilog=EXIT_CODES_HELP)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--specs", type=click.Path(path_type=Path), default=None, help="specs directory (default: the repo's).")
@click.option(
    "--time-scale", default=1.0, show_default=True, type=click.FloatRange(min=0), help="Multiply task durations."
)
@click.option("--failure-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--concurrency-limit", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--rpm-limit", default=None, type=click.IntRange(min=1))
@click.option("--result-ttl", default=7 * 86400.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds results stay available (7 days).")
@click.option("--expiry-form", type=click.Choice(["none", "seconds", "ms", "iso"]), default="none",
              show_default=True, help="State each finished task's expiry: not at all, epoch seconds/ms or ISO.")
@click.option("--expiry-at", type=click.Choice(["task", "result", "resource"]), default="task", show_default=True,
              help="Where the expiry is stated: data.result_expires_at, data.result.expires_at, each resource.")
@click.option("--balance", default=100.0, show_default=True, type=float)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_fault,
    metavar="JSON",
    help='Fault to arm (repeatable), e.g. \'{"kind": "status", "route": "submit", "status": 503}\'.',
)
@click.option("--legacy-paths", is_flag=True, help="Also serve the documented /async and /{type}/ submit paths.")
@click.option("--accept-unknown-models", is_flag=True, help="Create tasks for models with no spec (raw calls).")
@click.option(
    "--status-word",
    "status_words",
    multiple=True,
    metavar="STATUS=WORD",
    help="Send WORD for pending/processing/success/failed (repeatable), e.g. processing=running.",
)
@click.option("--result-shape", type=click.Choice(["result", "data", "urls", "none"]), default="result",
              show_default=True, help="Where result files appear in a finished task.")
@click.option("--failure-in", type=click.Choice(["data.error", "message"]), default="data.error",
              show_default=True, help="Where a failed task's reason appears.")
@click.option("--redirect-results", type=click.IntRange(0, 10), default=0, show_default=True,
              help="302 hops before each result file.")
@click.option("--price", "prices", multiple=True, metavar="SLUG=USD",
              help="List SLUG with this unit price in GET /api/v1/models (repeatable), e.g. google/nano-banana=0.04.")
@click.option("--schema-api-origin", default=None, metavar="URL",
              help="servers[0].url origin of the /models/.../api_schema it serves (default: its own address).")
@json_option
def emulator(
    host: str,
    port: int,
    specs: Path | None,
    time_scale: float,
    failure_rate: float,
    seed: int,
    concurrency_limit: int,
    rpm_limit: int | None,
    result_ttl: float,
    expiry_form: str,
    expiry_at: str,
    balance: float,
    faults: list[Fault],
    legacy_paths: bool,
    accept_unknown_models: bool,
    status_words: tuple[str, ...],
    result_shape: str,
    failure_in: str,
    redirect_results: int,
    prices: tuple[str, ...],
    schema_api_origin: str | None,
) -> None:
    """Serve the local Modellix API emulator (every model in specs/) until interrupted.

    It accepts the key in MODELLIX_API_KEY, or "test-key" when that is unset.
    """
    from ..emulator.config import EmulatorConfig, default_specs_dir
    from ..emulator.extra import missing_extra

    try:
        from ..emulator.app import create_app
        from ..emulator.catalog import CatalogError
        from ..emulator.server import EmulatorServer
    except ImportError as exc:
        raise CLIError("MissingExtra", missing_extra(exc), ExitCode.USAGE) from None

    key = os.environ.get("MODELLIX_API_KEY", "").strip()
    try:
        config = EmulatorConfig(
            specs_dir=specs or default_specs_dir(),
            api_keys=(key or DEFAULT_KEY,),
            time_scale=time_scale,
            failure_rate=failure_rate,
            seed=seed,
            concurrency_limit=concurrency_limit,
            rpm_limit=rpm_limit,
            result_ttl=result_ttl,
            expiry_form=expiry_form,  # type: ignore[arg-type]  # click.Choice checked it
            expiry_at=expiry_at,  # type: ignore[arg-type]
            balance=balance,
            faults=tuple(faults),
            legacy_paths=legacy_paths,
            accept_unknown_models=accept_unknown_models,
            status_words=dict(word.partition("=")[::2] for word in status_words),
            result_shape=result_shape,  # type: ignore[arg-type]  # click.Choice checked it
            failure_in=failure_in,  # type: ignore[arg-type]
            redirect_results=redirect_results,
            prices={slug: {"price": usd} for slug, _, usd in (item.partition("=") for item in prices)},
            schema_api_origin=schema_api_origin,
        )
        server = EmulatorServer(create_app(config), host=host, port=port)
        server.start()
    except (ValueError, CatalogError, RuntimeError) as exc:
        raise CLIError("EmulatorError", f"emulator did not start: {exc}", ExitCode.USAGE) from None
    models = len(server.app.state.catalog.models)
    accepted = "the key in MODELLIX_API_KEY" if key else f"the test key {DEFAULT_KEY!r} (MODELLIX_API_KEY is unset)"

    def human() -> None:
        click.echo(f"Modellix emulator listening on {server.base_url}")
        click.echo(f"{models} models from {config.specs_dir}; accepts {accepted}; Ctrl+C to stop")
        click.echo("Point the CLI and the SDK at it (in another shell):")
        for line in export_lines(server.base_url, None if key else DEFAULT_KEY):
            click.echo(f"  {line}")

    info = {"base_url": server.base_url, "models": models, "specs_dir": str(config.specs_dir)}
    server.serve_until_interrupted(lambda: emit(info, human))
