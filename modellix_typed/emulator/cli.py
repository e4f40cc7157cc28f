"""`python -m modellix_typed.emulator`: serve the emulator until interrupted; first stdout line is the URL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import EmulatorConfig, Fault, default_specs_dir
from .extra import missing_extra


def _fault(text: str) -> Fault:
    try:
        return Fault.from_text(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid --fault {text!r}: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modellix-typed emulator",
        description="Local Modellix API emulator serving every model in specs/.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--specs", type=Path, default=None, help="specs directory (default: the repo's specs/)")
    parser.add_argument("--api-key", action="append", dest="api_keys", metavar="KEY",
                        help="accepted bearer key; repeat for more (default: test-key)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiply every task duration")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency-limit", type=int, default=3)
    parser.add_argument("--rpm-limit", type=int, default=None)
    parser.add_argument("--result-ttl", type=float, default=7 * 86400.0,
                        help="seconds results stay available (default 7 days)")
    parser.add_argument("--expiry-form", choices=["none", "seconds", "ms", "iso"], default="none",
                        help="state each finished task's expiry: not at all, epoch seconds/ms or ISO")
    parser.add_argument("--expiry-at", choices=["task", "result", "resource"], default="task",
                        help="where the expiry is stated: data.result_expires_at, data.result, each resource")
    parser.add_argument("--balance", type=float, default=100.0)
    parser.add_argument("--fault", type=_fault, action="append", default=[], metavar="JSON",
                        help='fault to arm, e.g. \'{"kind": "status", "route": "submit", "status": 503}\'')
    parser.add_argument("--legacy-paths", action="store_true", help="also serve the documented /async paths")
    parser.add_argument("--accept-unknown-models", action="store_true", help="create tasks for spec-less models")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from .app import create_app
        from .catalog import CatalogError
        from .server import EmulatorServer
    except ImportError as exc:
        print(f"error: {missing_extra(exc)}", file=sys.stderr)
        return 2
    keys: tuple[str, ...] = tuple(args.api_keys or ("test-key",))
    try:
        config = EmulatorConfig(
            specs_dir=args.specs or default_specs_dir(),
            api_keys=keys,
            time_scale=args.time_scale,
            failure_rate=args.failure_rate,
            seed=args.seed,
            concurrency_limit=args.concurrency_limit,
            rpm_limit=args.rpm_limit,
            result_ttl=args.result_ttl,
            expiry_form=args.expiry_form,
            expiry_at=args.expiry_at,
            balance=args.balance,
            faults=tuple(args.fault),
            legacy_paths=args.legacy_paths,
            accept_unknown_models=args.accept_unknown_models,
        )
        server = EmulatorServer(create_app(config), host=args.host, port=args.port)
        server.start()
    except (ValueError, CatalogError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def announce() -> None:
        print(f"Modellix emulator listening on {server.base_url}", flush=True)
        print(f"{len(server.app.state.catalog.models)} models from {config.specs_dir}; Ctrl+C to stop", flush=True)
        print("Point the CLI and the SDK at it (in another shell):", flush=True)
        print(f"  export MODELLIX_BASE_URL={server.base_url}", flush=True)
        if not args.api_keys:  # the built-in test key (a key given on the command line is not repeated)
            print(f"  export MODELLIX_API_KEY={keys[0]}", flush=True)

    server.serve_until_interrupted(announce)
    return 0
