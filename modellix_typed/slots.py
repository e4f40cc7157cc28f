"""Where the team's slots are counted when several processes or machines share one Modellix team.

Modellix limits running tasks per team, not per process. A :class:`SlotStore` counts the team's slots in a
place every worker sees: a lock file (:class:`FileSlots`, one machine) or Redis (:class:`RedisSlots`, any
number of machines). Each slot is a *lease* with an owner and an expiry, renewed by :class:`LeaseKeeper`
while the task runs, so the slots of a worker that crashed come back by themselves.

Chosen by ``Modellix(limiter=...)`` or ``MODELLIX_LIMITER_URL``: ``file:///path``, ``redis://host:port/db``
(``rediss://`` too), each taking ``?limit=N`` (the team limit, default 3), ``&lease=SECONDS`` (default 30)
and ``&team=NAME`` (default: derived from a hash of the API key, so teams can share one file or Redis);
``local`` (or nothing) keeps today's in-process limiter.
"""


from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
import time
import urllib.parse
import weakref
from typing import Any

from .errors import ConfigurationError
from .slot_stores import (
    CONTENDED_FOR,
    DEFAULT_LEASE,
    FileSlots,
    LimiterUnavailable,
    RedisSlots,
    SlotStore,
)

# The stores live in .slot_stores; this module, which picks and feeds them, keeps every name at its old path.
__all__ = ["CONTENDED_FOR", "DEFAULT_LEASE", "ENV_LIMITER_URL", "POLL_INTERVAL", "FileSlots", "LeaseKeeper"]
__all__ += ["LimiterUnavailable", "RedisSlots", "SlotStore", "keeper_for", "resolve_store", "store_from_url"]
__all__ += ["team_for_key"]

logger: logging.Logger = logging.getLogger("modellix_typed")

ENV_LIMITER_URL = "MODELLIX_LIMITER_URL"
POLL_INTERVAL = 0.05  # how often a blocked acquire asks the shared store again (jittered)


# --- which store -------------------------------------------------------------------------------------------


def team_for_key(api_key: str | None) -> str:
    """A team name from the API key that does not reveal it (a short SHA-256 prefix)."""
    if api_key is None:
        return "default"
    return "key-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _query_settings(parts: urllib.parse.SplitResult, what: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Our settings (limit, lease, team) from the query; the other query pairs are returned untouched."""
    settings: dict[str, Any] = {}
    rest: list[tuple[str, str]] = []
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if name == "limit":
            try:
                settings["limit"] = int(value)
            except ValueError:
                raise ConfigurationError(f"limiter: limit must be an integer >= 1, got {value!r} in {what}") from None
        elif name == "lease":
            try:
                settings["lease"] = float(value)
            except ValueError:
                raise ConfigurationError(f"limiter: lease must be seconds > 0, got {value!r} in {what}") from None
        elif name == "team":
            settings["team"] = value
        else:
            rest.append((name, value))
    return settings, rest


def store_from_url(url: str) -> SlotStore | None:
    """``file:///path``, ``redis://...``, ``rediss://...`` -> a store; ``local`` -> None (in-process)."""
    text = url.strip()
    if text in ("", "local"):
        return None
    parts = urllib.parse.urlsplit(text)
    if parts.scheme == "file":
        what = f"{text!r}"
        settings, rest = _query_settings(parts, what)
        if rest:
            raise ConfigurationError(
                f"limiter: unknown setting(s) {sorted(n for n, _ in rest)} in {what}; known: limit, lease, team"
            )
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ConfigurationError(f"limiter: file URL must be file:///absolute/path, got {what}")
        return FileSlots(urllib.parse.unquote(parts.path), **settings)
    if parts.scheme in ("redis", "rediss"):
        # The URL may hold a password: name the host only.
        what = f"{parts.scheme}://{parts.hostname or ''} (limiter URL)"
        settings, rest = _query_settings(parts, what)
        redis_url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(rest)))
        return RedisSlots(redis_url, **settings)
    shown = f"{parts.scheme}:..." if parts.scheme else repr(text)
    raise ConfigurationError(
        f"limiter: expected 'local', file:///path or redis://host:port/db, got {shown}"
    )


def resolve_store(limiter: str | SlotStore | None) -> SlotStore | None:
    """The explicit ``limiter=`` argument, else ``MODELLIX_LIMITER_URL``, else None (in-process)."""
    if isinstance(limiter, SlotStore):
        return limiter
    if limiter is None:
        limiter = os.environ.get(ENV_LIMITER_URL)
        if limiter is None:
            return None
    if not isinstance(limiter, str):
        raise ConfigurationError(
            f"limiter: expected a URL string or a SlotStore (FileSlots, RedisSlots), got {type(limiter).__name__}"
        )
    return store_from_url(limiter)


def keeper_for(limiter: str | SlotStore | None, api_key: str | None) -> LeaseKeeper | None:
    """What a client's limiter shares its slots through: None keeps them in this process."""
    store = resolve_store(limiter)
    if store is None:
        return None
    return LeaseKeeper(store, store.team if store.team is not None else team_for_key(api_key))


# --- the leases one process holds ----------------------------------------------------------------------------


class LeaseKeeper:
    """The leases this process holds in a store for one team, renewed by a daemon thread while any is held.

    The thread stops when the last lease is given back, when the client is closed or dropped, and with the
    process; the leases it no longer renews expire by themselves.
    After a fork the child starts with no leases: the parent's belong to the parent.
    """

    def __init__(self, store: SlotStore, team: str) -> None:
        self.store = store
        self.team = team
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._leases: set[str] = set()
        self._renewer: threading.Thread | None = None
        self._contended = (0.0, False)  # (checked at, answer): asked on every poll, so cached briefly

    def _this_process(self) -> None:
        if os.getpid() != self._pid:
            self._reset()

    def poll_interval(self) -> float:
        """How long a blocked acquire waits before asking the store again (jittered to spread workers)."""
        return POLL_INTERVAL * random.uniform(0.5, 1.5)

    def take(self) -> str | None:
        self._this_process()
        lease = self.store.acquire(self.team)
        if lease is not None:
            with self._lock:
                self._leases.add(lease)
                if self._renewer is None:
                    self._renewer = threading.Thread(
                        target=_renew_while_held, args=(weakref.ref(self), self.store.lease / 3),
                        name="modellix-leases", daemon=True,
                    )
                    self._renewer.start()
        return lease

    def give_back(self, lease: str) -> None:
        """Never raises: it runs after a task ended, and a store outage must not cost that task's result."""
        self._this_process()
        with self._lock:
            if lease not in self._leases:
                return
            self._leases.discard(lease)
        try:
            self.store.release(self.team, lease)
        except LimiterUnavailable as exc:
            logger.warning("%s; the slot comes back when its lease expires (%.0f s)", exc, self.store.lease)

    def stop(self) -> None:
        """The client closed: stop renewing; the leases still held expire within the lease time."""
        with self._lock:
            self._leases.clear()

    def count(self) -> int:
        return self.store.count(self.team)

    def contended(self) -> bool:
        checked, answer = self._contended
        now = time.monotonic()
        if now - checked > 0.2:
            try:
                answer = self.store.contended(self.team)
            except LimiterUnavailable:
                answer = False
            self._contended = (now, answer)
        return answer

    def renew_once(self) -> bool:
        """Renew every lease held; False when none is left (the renewer then stops)."""
        with self._lock:
            if not self._leases or os.getpid() != self._pid:
                self._renewer = None
                return False
            leases = list(self._leases)
        try:
            gone = self.store.renew(self.team, leases)
        except LimiterUnavailable as exc:
            logger.warning("%s; will retry", exc)
            return True
        except Exception:  # a renewer that dies silently would let the leases lapse
            logger.exception("limiter: renewing slot leases failed; will retry")
            return True
        with self._lock:
            lost = self._leases.intersection(gone)  # not those given back meanwhile
            self._leases -= lost
        if lost:
            logger.warning(
                "limiter: %d slot lease(s) of team %s expired before renewal (process paused longer than %.0f s?)",
                len(lost), self.team, self.store.lease,
            )
        return True


def _renew_while_held(keeper: weakref.ref[LeaseKeeper], period: float) -> None:
    """The renewer thread. It holds the keeper weakly: a client dropped without close() stops renewing too."""
    while True:
        time.sleep(period)
        alive = keeper()
        if alive is None or not alive.renew_once():
            return
        del alive
