"""Where a model newer than the generated classes gets its rules: the live ``api_schema``, checked and cached.

``GET {origin}/models/{provider}/{model_id}/api_schema`` (origin ``https://www.modellix.ai`` unless
``MODELLIX_SCHEMA_ORIGIN`` says otherwise), as the platform's own client does it: no Authorization and no
cookie, ``accept: application/json``, redirects refused, 8 MiB at most. The reply is normalized like a doc page
(:mod:`.spec_source`), validated by :mod:`.spec_engine` and kept on disk for ``MODELLIX_SCHEMA_TTL`` seconds
(default one hour; ``MODELLIX_SCHEMA_CACHE``: the folder, or ``off``). The submission goes to the schema's
``servers[0].url`` when it is on the client's API origin. The I/O (one GET) lives in the client shells
(``_async``/``_sync`` ``schema_fetch``); everything they decide is here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .config import check_url
from .errors import ConfigurationError
from .fileio import replace_atomically
from .registry import UnknownModel, suggest
from .request import parse_slug
from .spec_engine import SpecModel

logger: logging.Logger = logging.getLogger("modellix_typed")

DEFAULT_SCHEMA_ORIGIN = "https://www.modellix.ai"
ENV_SCHEMA_ORIGIN = "MODELLIX_SCHEMA_ORIGIN"
ENV_SCHEMA_CACHE = "MODELLIX_SCHEMA_CACHE"
ENV_SCHEMA_TTL = "MODELLIX_SCHEMA_TTL"
DEFAULT_TTL = 3600.0
SCHEMA_MAX_BYTES = 8 * 1024 * 1024  # the platform's own client caps api_schema at 8 MiB
SCHEMA_HEADERS: Mapping[str, str] = {"accept": "application/json"}
NO_CREDENTIALS = ("authorization", "cookie")  # never sent to the schema origin, whatever the http client adds
_OFF = frozenset({"off", "0", "false", "no", ""})


class SchemaUnavailable(UnknownModel):
    """A slug with no generated class whose live schema could not be fetched or used: nothing was sent.

    An :class:`~modellix_typed.registry.UnknownModel` (with its did-you-mean: a typo is the likelier cause
    when a known slug is close) that also says why the schema failed and how to send the body anyway.
    """

    def __init__(self, slug: str, url: str, reason: str) -> None:
        super().__init__(slug, suggest(slug))
        self.url = url
        self.reason = reason
        hint = f"did you mean {' or '.join(repr(s) for s in self.suggestions)}? " if self.suggestions else ""
        self.args: tuple[Any, ...] = (
            f"unknown model {slug!r}: no generated class, and its live schema could not be used ({reason}; GET {url}). "
            f"Nothing was sent. {hint}Pass validate=False (CLI: --no-validate) to send the body unchecked, "
            f"or set {ENV_SCHEMA_ORIGIN} if the schema lives elsewhere.",
        )


@attrs.frozen
class LiveModel:
    """One model read from its live api_schema: its normalized spec, its validator and where to submit."""

    slug: str
    provider: str
    model_id: str
    spec: Mapping[str, Any]
    engine: SpecModel
    submit_url: str | None
    schema_url: str

    @property
    def task_type(self) -> str | None:
        value = self.spec.get("task_type")
        return value if isinstance(value, str) else None

    def validate(self, data: Any) -> None:
        """Raise a ValidationError with every issue, exactly as a generated class would."""
        self.engine.validate(data)


def submit_path(submit_url: str, base_url: str) -> str | None:
    """The path to POST, relative to ``base_url``, when ``submit_url`` is on that origin (and under its path);
    None otherwise (the key is never sent to another host: the client then uses the canonical path)."""
    target, base = urllib.parse.urlsplit(submit_url), urllib.parse.urlsplit(base_url)
    same_origin = (target.scheme, target.netloc.lower()) == (base.scheme, base.netloc.lower())
    prefix = base.path.rstrip("/")
    if not same_origin or target.query or target.fragment or not target.path.startswith(prefix + "/"):
        return None
    return target.path[len(prefix) :]


def _quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _cache_dir() -> Path | None:
    setting = os.environ.get(ENV_SCHEMA_CACHE)
    if setting is not None:
        return None if setting.strip().lower() in _OFF else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modellix-typed" / "api-schema"


def _ttl() -> float:
    raw = os.environ.get(ENV_SCHEMA_TTL)
    if raw is None:
        return DEFAULT_TTL
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{ENV_SCHEMA_TTL}: expected seconds (a number >= 0), got {raw!r}") from None
    if not value >= 0:
        raise ConfigurationError(f"{ENV_SCHEMA_TTL}: expected seconds (a number >= 0), got {raw!r}")
    return value


@attrs.frozen
class SchemaSource:
    """Where live schemas come from and how long a fetched one is trusted."""

    origin: str = DEFAULT_SCHEMA_ORIGIN
    cache_dir: Path | None = None
    ttl: float = DEFAULT_TTL

    @classmethod
    def from_env(cls) -> SchemaSource:
        origin = (os.environ.get(ENV_SCHEMA_ORIGIN) or DEFAULT_SCHEMA_ORIGIN).strip().rstrip("/")
        parts = check_url(origin, what=ENV_SCHEMA_ORIGIN)
        if parts.path or parts.query or parts.fragment:
            raise ConfigurationError(f"{ENV_SCHEMA_ORIGIN}: an origin (scheme://host[:port]) only, got {origin!r}")
        return cls(origin=origin, cache_dir=_cache_dir(), ttl=_ttl())

    def url(self, slug: str) -> str:
        provider, model_id = parse_slug(slug)
        return f"{self.origin}/models/{_quote(provider)}/{_quote(model_id)}/api_schema"

    def unavailable(self, slug: str, reason: str) -> SchemaUnavailable:
        return SchemaUnavailable(slug, self.url(slug), reason)

    def check_redirect_free(self, slug: str, status: int, location: str | None) -> None:
        if 300 <= status < 400:
            raise self.unavailable(slug, f"HTTP {status} redirect to {location or '(no Location)'} refused")

    def accept(self, slug: str, status: int, content_type: str, content: bytes) -> LiveModel:
        """The reply to the GET -> a LiveModel (stored in the cache), or SchemaUnavailable saying why not."""
        self.check_redirect_free(slug, status, None)
        if not 200 <= status < 300:
            raise self.unavailable(slug, f"HTTP {status}")
        media = content_type.split(";")[0].strip().lower()
        if media and "json" not in media:
            raise self.unavailable(slug, f"Content-Type {media!r} is not JSON")
        try:
            data = json.loads(content)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
            raise self.unavailable(slug, f"invalid JSON ({exc})") from None
        model = self.model(slug, data)
        self._store(slug, data)
        return model

    def model(self, slug: str, data: Any) -> LiveModel:
        """A parsed api_schema -> LiveModel; a schema we cannot read is SchemaUnavailable (never a guess)."""
        from .codegen.failures import PageError
        from .spec_source import spec_from_api_schema_data, submit_url

        provider, model_id = parse_slug(slug)
        try:
            spec = spec_from_api_schema_data(data, provider, model_id)
        except PageError as exc:
            raise self.unavailable(slug, f"unusable schema: {exc.detail}") from None
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            raise self.unavailable(slug, f"unusable schema: {type(exc).__name__}: {exc}") from None
        spec = {**spec, "slug": slug, "provider": provider, "model_id": model_id}
        return LiveModel(
            slug=slug,
            provider=provider,
            model_id=model_id,
            spec=spec,
            engine=SpecModel.from_spec(spec),
            submit_url=submit_url(data) if isinstance(data, Mapping) else None,
            schema_url=self.url(slug),
        )

    # --- the disk cache -------------------------------------------------------------------------------------

    def _cache_file(self, slug: str) -> Path | None:
        if self.cache_dir is None:
            return None
        provider, model_id = parse_slug(slug)
        origin = hashlib.sha256(self.origin.encode()).hexdigest()[:12]  # schemas of one origin never serve another
        return self.cache_dir / origin / _quote(provider) / f"{_quote(model_id)}.json"

    def cached(self, slug: str, now: float | None = None) -> LiveModel | None:
        """A schema fetched less than ``ttl`` seconds ago, or None (missing, expired or unreadable: refetch)."""
        path = self._cache_file(slug)
        if path is None or self.ttl <= 0:
            return None
        try:
            record = json.loads(path.read_bytes())
            age = (time.time() if now is None else now) - float(record["fetched_at"])
            if not 0 <= age <= self.ttl:
                return None
            return self.model(slug, record["schema"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError, SchemaUnavailable):
            return None

    def _store(self, slug: str, data: Any) -> None:
        path = self._cache_file(slug)
        if path is None or self.ttl <= 0:
            return
        record = {"fetched_at": time.time(), "url": self.url(slug), "schema": data}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, json.dumps(record).encode("utf-8"))
        except OSError as exc:  # a cache that cannot be written costs a refetch, nothing more
            logger.warning("could not cache the api_schema of %s in %s: %s", slug, path, exc)
