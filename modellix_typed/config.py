"""Where client settings are resolved and checked: base URL, API key, timeouts, retries, concurrency.

Nothing here touches the network. A missing key is not an error until a call needs it
(:meth:`ClientConfig.require_key`), so constructing a client never fails for lack of a key.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from collections.abc import Mapping

import attrs

from .errors import ConfigurationError, MissingAPIKey
from .polling import PollPolicy
from .retry import DEFAULT_MAX_RETRIES

DEFAULT_BASE_URL = "https://api.modellix.ai"
ENV_API_KEY = "MODELLIX_API_KEY"
ENV_BASE_URL = "MODELLIX_BASE_URL"
DEFAULT_MAX_CONCURRENCY = 3  # the documented team concurrency, "typically 3 tasks"


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` and ``::1``: the only hosts allowed over plain HTTP."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, what: str) -> urllib.parse.SplitResult:
    """HTTPS required (HTTP only on loopback); no credentials; ``what`` names the setting in errors."""
    bad = next((ch for ch in url if ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF), None)
    if bad is not None:  # urlsplit silently drops CR/LF/tab; httpx refuses NUL: say so, never echo it raw
        kind = "a lone surrogate (not valid Unicode)" if ord(bad) >= 0xD800 else "a control character"
        raise ConfigurationError(f"{what}: the URL holds {kind} ({bad!r}); not used")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"{what}: scheme must be https, got {parts.scheme or 'none'!r} in {url!r}")
    if not parts.hostname:
        raise ConfigurationError(f"{what}: no host in {url!r}")
    if parts.username is not None or parts.password is not None:
        # Do not echo the URL: the credentials are secrets.
        raise ConfigurationError(f"{what}: credentials in the URL are not allowed (host {parts.hostname!r})")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"{what}: plain http is only allowed for loopback hosts, got host {parts.hostname!r}; use https"
        )
    try:
        parts.port
    except ValueError as exc:
        raise ConfigurationError(f"{what}: bad port in {url!r}: {exc}") from None
    return parts


def resolve_base_url(value: str | None) -> str:
    """Explicit value, else ``MODELLIX_BASE_URL``, else the public API; no query/fragment, no trailing /."""
    url = (value if value is not None else os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).strip()
    parts = check_url(url, what="base_url")
    if parts.query:
        raise ConfigurationError(f"base_url: a query string is not allowed, got {url!r}")
    if parts.fragment or url.endswith("#"):
        raise ConfigurationError(f"base_url: a fragment is not allowed, got {url!r}")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def locate_api_key(value: str | None, profile: str | None = None) -> tuple[str | None, str]:
    """The key and where it came from: ``api_key``, ``MODELLIX_API_KEY``, or a saved profile (``none``).

    The environment wins over a saved profile (also over ``profile=``): CI and one-off overrides set it.
    """
    if value is not None:
        return _check_key(value, explicit=True), "api_key"
    from_env = _check_key(os.environ.get(ENV_API_KEY), explicit=False)
    if from_env is not None:
        return from_env, ENV_API_KEY
    from . import profiles  # lazy: reads a file only when no key was given

    store = profiles.load()
    name, chosen_by = profiles.select(profile, store)
    key = store.keys.get(name) if store is not None else None
    if key is None:
        if chosen_by in ("option", profiles.ENV_PROFILE):
            saved = ", ".join(sorted(store.keys)) if store is not None else "none"
            raise ConfigurationError(
                f"profile {name!r} is not saved in {profiles.config_path()} (saved: {saved}); "
                f"save it with `modellix-typed auth login --profile {name}`"
            )
        return None, "none"
    try:
        return _check_key(key, explicit=True), f"profile {name!r} ({profiles.config_path()})"
    except ConfigurationError as exc:
        raise ConfigurationError(f"profile {name!r} in {profiles.config_path()}: {exc}") from None


def _check_key(key: str | None, *, explicit: bool) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key:
        if explicit:
            raise ConfigurationError("api_key: empty string")
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        # Never echo the key, not even a part of it.
        raise ConfigurationError("api_key: contains whitespace or control characters")
    if not key.isascii():
        # An HTTP header is ASCII: httpx would fail at the first call with a UnicodeEncodeError whose args
        # hold the whole "Bearer <key>" header value.
        raise ConfigurationError("api_key: contains non-ASCII characters (check for a mis-pasted key)")
    return key


DOCUMENTED_PATH = "documented"


def check_submit_path(template: str | None) -> None:
    """None, ``"documented"``, or a path template using ``{provider}`` and ``{model_id}`` only."""
    if template is None or template == DOCUMENTED_PATH:
        return
    if not isinstance(template, str) or not template.startswith("/"):
        raise ConfigurationError(
            f"submit_path: expected None, 'documented' or a path template starting with '/' such as "
            f"'/api/v1/{{provider}}/{{model_id}}/async', got {template!r}"
        )
    try:
        template.format(provider="p", model_id="m")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigurationError(
            f"submit_path: only {{provider}} and {{model_id}} may appear in the template, got {template!r} ({exc!r})"
        ) from None


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name}: must be a number of seconds > 0, got {value!r}")
    return value


@attrs.frozen
class Timeouts:
    """Per-request network timeouts, in seconds (submission is slower than a status read)."""

    connect: float = 10.0
    read: float = 30.0
    submit_read: float = 60.0
    download_read: float = 120.0

    def __attrs_post_init__(self) -> None:
        for field in attrs.fields(Timeouts):
            _positive(f"timeouts.{field.name}", getattr(self, field.name))


@attrs.frozen(repr=False)
class ClientConfig:
    """Resolved settings of one client. ``repr`` and ``str`` never show the key."""

    base_url: str
    api_key: str | None = attrs.field(repr=False)
    timeouts: Timeouts = Timeouts()
    max_retries: int = DEFAULT_MAX_RETRIES
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    poll_policies: Mapping[str, PollPolicy] = attrs.field(factory=dict)
    user_agent: str = "modellix-typed/0.1"
    # None: the canonical /api/v1/{provider}/{model_id}; "documented": each page's path; else a template.
    submit_path: str | None = None
    legacy_path_fallback: bool = True  # after a 404 on the canonical path, try the page's documented path once
    key_source: str = "api_key"  # where the key came from (never the key): see locate_api_key

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.timeouts, Timeouts):
            # A bare number is ambiguous (connect? read? submission?): say which object is expected.
            raise ConfigurationError(
                f"timeouts: expected a Timeouts object, e.g. Timeouts(read=30.0, submit_read=60.0), "
                f"got {self.timeouts!r}"
            )
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigurationError(f"max_retries: must be an integer >= 0, got {self.max_retries!r}")
        if (
            isinstance(self.max_concurrency, bool)
            or not isinstance(self.max_concurrency, int)
            or self.max_concurrency < 1
        ):
            raise ConfigurationError(f"max_concurrency: must be an integer >= 1, got {self.max_concurrency!r}")
        check_submit_path(self.submit_path)
        if not isinstance(self.legacy_path_fallback, bool):
            raise ConfigurationError(f"legacy_path_fallback: must be True or False, got {self.legacy_path_fallback!r}")

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        poll_policy: PollPolicy | Mapping[str, PollPolicy] | None = None,
        submit_path: str | None = None,
        legacy_path_fallback: bool = True,
        profile: str | None = None,
    ) -> ClientConfig:
        if isinstance(poll_policy, PollPolicy):
            policies: dict[str, PollPolicy] = {"*": poll_policy}
        elif poll_policy is None or isinstance(poll_policy, Mapping):
            policies = dict(poll_policy or {})
        else:
            raise ConfigurationError(
                f"poll_policy: expected a PollPolicy or a mapping of task type -> PollPolicy, got {poll_policy!r}"
            )
        for kind, policy in policies.items():
            # Checked now: a bad entry would otherwise surface only after a paid submission, when a wait starts.
            if not isinstance(policy, PollPolicy):
                raise ConfigurationError(f"poll_policy[{kind!r}]: expected a PollPolicy, got {policy!r}")
        key, key_source = locate_api_key(api_key, profile)
        return cls(
            base_url=resolve_base_url(base_url),
            api_key=key,
            key_source=key_source,
            timeouts=Timeouts() if timeouts is None else timeouts,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            poll_policies=policies,
            submit_path=submit_path,
            legacy_path_fallback=legacy_path_fallback,
        )

    def require_key(self) -> str:
        if self.api_key is None:
            raise MissingAPIKey(
                f"no API key: pass api_key=... to the client, set the {ENV_API_KEY} environment variable, "
                "or save one with `modellix-typed auth login`"
            )
        return self.api_key

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.require_key()}"}

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return (
            f"ClientConfig(base_url={self.base_url!r}, api_key=<{key}>, max_retries={self.max_retries}, "
            f"max_concurrency={self.max_concurrency})"
        )
