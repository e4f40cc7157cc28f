"""``modellix-typed doctor``: is this machine ready to run tasks? Each check says what it found and why.

Checks, in order (a required check that fails makes the exit status 1 and is named on stderr):
python (3.11+, package versions), key (where it comes from, masked), connectivity and key validity
(``GET /api/v1/apikey/validate``), balance (``GET /api/v1/team/balance``; a warning only), and the submit
path the server routes: the canonical ``POST /api/v1/{provider}/{model_id}`` and the documented legacy
``.../async`` form are each probed with a body that is not JSON. That can never create (or bill) a task:
a route that exists rejects the body (400, or 401/402/429 before it even reads it); a route that does not
exist answers 404. So a non-404 answer means "this path is served", at no cost.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import TYPE_CHECKING, Any

import attrs
import click

from .connection import base_url_option, make_client
from .output import EXIT_CODES_HELP, MODE, ExitCode, dump, json_option
from .safe_text import safe_text

if TYPE_CHECKING:
    from .._sync.client import Modellix

PROBE_BODY = b"{not json: modellix-typed doctor probe}"  # unparseable: no server can turn it into a task
PROBE_MODEL = "google/nano-banana"


@attrs.frozen
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "required": self.required, "detail": self.detail}


def _versions() -> Check:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    packages = ", ".join(f"{n} {version(n)}" for n in ("modellix-typed", "httpx", "click", "attrs"))
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, f"Python {platform.python_version()} (needs 3.11+); {packages}")


def _key() -> tuple[Check, bool]:
    from .. import profiles
    from ..config import locate_api_key
    from ..errors import ConfigurationError

    try:
        key, source = locate_api_key(None, MODE.profile)
    except ConfigurationError as exc:
        return Check("key", False, str(exc)), False
    if key is None:
        detail = "no key: run `modellix-typed auth login` or set MODELLIX_API_KEY"
        return Check("key", False, detail), False
    return Check("key", True, f"{profiles.mask(key)} from {source}"), True


def _probe(client: Modellix, path: str) -> tuple[int | None, str]:
    """The status a POST of an unparseable body to ``path`` gets (None: no answer) and what it means."""
    import httpx

    headers = {"Content-Type": "application/json", **client.config.auth_headers()}
    try:
        with httpx.Client(follow_redirects=False, timeout=15.0) as http:
            response = http.post(client.config.url(path), content=PROBE_BODY, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"no answer ({type(exc).__name__})"
    status = response.status_code
    server_id = response.headers.get("x-request-id")
    rid = f", x-request-id {server_id}" if server_id else ""  # what Modellix support asks for
    if status == 404:
        return status, f"404: not served{rid}"
    if 200 <= status < 300:
        return status, f"{status}: served (it accepted an unparseable body: check the task list){rid}"
    return status, f"{status}: served{rid}"


def _submit_path(client: Modellix) -> Check:
    from .. import registry

    info = registry.info(PROBE_MODEL)
    canonical = f"/api/v1/{info.provider}/{info.model_id}"
    documented = info.path if info.path != canonical else canonical + "/async"
    results = {path: _probe(client, path) for path in (canonical, documented)}
    served = [path for path, (status, _) in results.items() if status is not None and status != 404]
    found = "; ".join(f"POST {path} -> {meaning}" for path, (_, meaning) in results.items())
    how = "probed with an unparseable body (never a task): "
    if not served:
        return Check("submit_path", False, how + found + "; no submit path is served")
    return Check("submit_path", True, how + found)


def diagnose(base_url: str | None) -> list[Check]:
    checks = [_versions()]
    key_check, has_key = _key()
    checks.append(key_check)
    if not has_key:
        checks.append(Check("connectivity", False, "skipped: no API key"))
        return checks
    from ..errors import ModellixError

    with make_client(base_url) as client:
        origin = client.config.base_url
        try:
            valid = client.validate_key()
        except ModellixError as exc:
            checks.append(Check("connectivity", False, f"{origin}: {exc}"))
            return checks
        checks.append(Check("connectivity", True, f"{origin} answered GET /api/v1/apikey/validate"))
        checks.append(Check("key_valid", valid, "the API accepts the key" if valid else "the API rejects the key"))
        if not valid:
            return checks
        try:
            checks.append(Check("balance", True, f"{client.balance():.4f} USD", required=False))
        except ModellixError as exc:
            checks.append(Check("balance", False, str(exc), required=False))
        checks.append(_submit_path(client))
    return checks


@click.command(epilog=EXIT_CODES_HELP)
@base_url_option
@json_option
def doctor(base_url: str | None) -> int:
    """Check Python and packages, the key's source (masked), connectivity, key validity, balance, submit path.

    Exit 0 when every required check passes, else 1 with the failed checks named on stderr
    (--json: {"ok", "checks": [{"name", "ok", "required", "detail"}]}). Never sends a billable request.
    """
    checks = diagnose(base_url)
    failed = [c.name for c in checks if c.required and not c.ok]
    if MODE.json:
        click.echo(dump({"ok": not failed, "checks": [c.to_json() for c in checks], "failed": failed}))
    elif MODE.quiet:
        click.echo("ok" if not failed else "failed: " + ", ".join(failed))
    else:
        for check in checks:
            label = "ok  " if check.ok else ("FAIL" if check.required else "warn")
            click.echo(safe_text(f"[{label}] {check.name}: {check.detail}"))
    if failed:
        click.echo(f"doctor: failed: {', '.join(failed)}", err=True)
        return int(ExitCode.ERROR)
    return int(ExitCode.OK)
