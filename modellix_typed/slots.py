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

import abc
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import socket
import threading
import time
import urllib.parse
import uuid
import weakref
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from .config import DEFAULT_MAX_CONCURRENCY
from .errors import ConfigurationError, ModellixError

logger: logging.Logger = logging.getLogger("modellix_typed")

ENV_LIMITER_URL = "MODELLIX_LIMITER_URL"
DEFAULT_LEASE = 30.0  # seconds a slot outlives its owner; renewed every third of it while the task runs
POLL_INTERVAL = 0.05  # how often a blocked acquire asks the shared store again (jittered)
CONTENDED_FOR = 1.0  # seconds a failed acquire marks the team as wanted (running tasks are polled promptly)
_TEAM_NAME = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class LimiterUnavailable(ModellixError):
    """The shared slot store (lock file or Redis) cannot be used; nothing was submitted."""


class SlotStore(abc.ABC):
    """A team's slots shared between processes: atomic take/renew/give-back of leases, no waiting.

    ``limit`` is the team limit; ``team`` (None: derive it from the API key) names whose slots these are.
    """

    def __init__(self, *, limit: int, lease: float, team: str | None) -> None:
        self.limit: int = _check_limit(limit)
        self.lease: float = _check_lease(lease)
        self.team: str | None = None if team is None else _check_team(team)

    @abc.abstractmethod
    def acquire(self, team: str) -> str | None:
        """A new lease id when the team has a free slot; else None (and the team is marked contended)."""

    @abc.abstractmethod
    def renew(self, team: str, leases: Collection[str]) -> list[str]:
        """Push the expiry of ``leases`` one lease time ahead; returns those that were already gone."""

    @abc.abstractmethod
    def release(self, team: str, lease: str) -> None:
        """Give a lease back (unknown or expired leases are ignored)."""

    @abc.abstractmethod
    def count(self, team: str) -> int:
        """Leases alive for ``team`` across every process."""

    @abc.abstractmethod
    def contended(self, team: str) -> bool:
        """Whether some worker failed to get a slot within the last second."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.where()}, limit={self.limit}, lease={self.lease}, team={self.team!r})"

    @abc.abstractmethod
    def where(self) -> str:
        """The store's location for messages (never a password)."""


# --- one machine: a lock file ------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class FileSlots(SlotStore):
    """Slots in a JSON file guarded by ``fcntl.flock``: every process on this machine shares them.

    A lease records its owner's host and pid: a lease whose owner process is gone is reclaimed at once,
    any lease past its expiry too (pid reuse, another host on a shared disk). The file is rewritten in
    place under the lock (a rename would give lockers different files).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        limit: int = DEFAULT_MAX_CONCURRENCY,
        lease: float = DEFAULT_LEASE,
        team: str | None = None,
    ) -> None:
        super().__init__(limit=limit, lease=lease, team=team)
        try:
            import fcntl  # noqa: F401  (POSIX only)
        except ImportError:
            raise ConfigurationError("limiter: file:// needs fcntl (POSIX); use redis:// on this platform") from None
        self.path: Path = Path(path)
        self.host: str = socket.gethostname()

    def where(self) -> str:
        return f"file {str(self.path)!r}"

    @contextlib.contextmanager
    def _book(self, *, write: bool) -> Iterator[dict[str, Any]]:
        """The whole file as a dict, locked (shared for reads); written back when ``write``."""
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LimiterUnavailable(f"limiter: cannot open the slot file {str(self.path)!r}: {exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
                raw = b""
                while chunk := os.read(fd, 65536):
                    raw += chunk
            except OSError as exc:
                raise LimiterUnavailable(f"limiter: cannot read the slot file {str(self.path)!r}: {exc}") from None
            try:
                book = json.loads(raw) if raw.strip() else {}
            except ValueError:
                logger.warning("limiter: slot file %s was unreadable; starting it afresh", self.path)
                book = {}
            if not isinstance(book, dict) or not isinstance(book.get("teams"), dict):
                book = {"teams": {}}
            yield book
            if write:
                data = json.dumps(book, separators=(",", ":")).encode()
                try:
                    os.lseek(fd, 0, os.SEEK_SET)
                    os.write(fd, data)
                    os.ftruncate(fd, len(data))
                except OSError as exc:
                    raise LimiterUnavailable(f"limiter: cannot write the slot file {str(self.path)!r}: {exc}") from None
        finally:
            os.close(fd)  # also drops the lock

    def _team(self, book: dict[str, Any], team: str, now: float) -> dict[str, Any]:
        """The team's entry with dead and expired leases removed."""
        entry: dict[str, Any] = book["teams"].setdefault(team, {})
        leases = entry.setdefault("leases", {})
        for lease, owner in list(leases.items()):
            pid = int(owner.get("pid", 0))
            gone = owner.get("host") == self.host and pid > 0 and not _alive(pid)
            if gone or float(owner.get("expires", 0)) <= now:
                del leases[lease]
        return entry

    def acquire(self, team: str) -> str | None:
        with self._book(write=True) as book:
            now = time.time()
            entry = self._team(book, team, now)
            if len(entry["leases"]) >= self.limit:
                entry["wanted_until"] = now + CONTENDED_FOR
                return None
            lease = uuid.uuid4().hex
            entry["leases"][lease] = {"host": self.host, "pid": os.getpid(), "expires": now + self.lease}
            return lease

    def renew(self, team: str, leases: Collection[str]) -> list[str]:
        with self._book(write=True) as book:
            now = time.time()
            held = self._team(book, team, now)["leases"]
            lost = []
            for lease in leases:
                if lease in held:
                    held[lease]["expires"] = now + self.lease
                else:
                    lost.append(lease)
            return lost

    def release(self, team: str, lease: str) -> None:
        with self._book(write=True) as book:
            book["teams"].get(team, {}).get("leases", {}).pop(lease, None)

    def count(self, team: str) -> int:
        with self._book(write=True) as book:  # write: dead owners' leases are dropped on the way
            return len(self._team(book, team, time.time())["leases"])

    def contended(self, team: str) -> bool:
        with self._book(write=False) as book:
            entry = book["teams"].get(team, {})
            return float(entry.get("wanted_until", 0)) > time.time()


# --- many machines: Redis ----------------------------------------------------------------------------------

# Leases are members of one sorted set per team, scored by their expiry in Redis's own clock (TIME), so the
# workers' clocks do not matter. Each script runs atomically.
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
_ACQUIRE = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease_ms = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease_ms, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], lease_ms * 2)
  return 1
end
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[4]))
return 0
"""
_RENEW = _NOW + """
local lease_ms = tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV do
  local expires = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expires and tonumber(expires) > now then
    redis.call('ZADD', KEYS[1], now + lease_ms, ARGV[i])
  else
    redis.call('ZREM', KEYS[1], ARGV[i])
    table.insert(lost, ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[1], lease_ms * 2)
return lost
"""
_COUNT = _NOW + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')"


class RedisSlots(SlotStore):
    """Slots in Redis (one sorted set per team, ``modellix:slots:{<team>}``): shared by every machine.

    The team is a hash tag, so a team's two keys (its leases, and who waits) live on one Redis Cluster node.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        limit: int = DEFAULT_MAX_CONCURRENCY,
        lease: float = DEFAULT_LEASE,
        team: str | None = None,
        prefix: str = "modellix:slots:",
        client: Any = None,
    ) -> None:
        super().__init__(limit=limit, lease=lease, team=team)
        parts = urllib.parse.urlsplit(url)
        self._where = f"redis {parts.scheme}://{parts.hostname or ''}{'' if parts.port is None else f':{parts.port}'}"
        if client is None:
            try:
                import redis
            except ImportError:
                raise ConfigurationError(
                    "limiter: redis:// needs the redis package: pip install 'modellix-typed[redis]'"
                ) from None
            client = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self.redis = client
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._count = client.register_script(_COUNT)

    def where(self) -> str:
        return self._where

    def _key(self, team: str) -> str:
        return self.prefix + "{" + team + "}"

    def _run(self, what: str, call: Any) -> Any:
        try:
            return call()
        except Exception as exc:  # redis.RedisError and OSError: the store is down, say which one
            raise LimiterUnavailable(f"limiter: {self._where} failed to {what}: {type(exc).__name__}: {exc}") from None

    def acquire(self, team: str) -> str | None:
        lease = uuid.uuid4().hex
        key = self._key(team)
        args = [self.limit, int(self.lease * 1000), lease, int(CONTENDED_FOR * 1000)]
        got = self._run("take a slot", lambda: self._acquire(keys=[key, key + ":wanted"], args=args))
        return lease if int(got) == 1 else None

    def renew(self, team: str, leases: Collection[str]) -> list[str]:
        args = [int(self.lease * 1000), *leases]
        lost = self._run("renew slots", lambda: self._renew(keys=[self._key(team)], args=args))
        return [x.decode() if isinstance(x, bytes) else str(x) for x in lost]

    def release(self, team: str, lease: str) -> None:
        self._run("give a slot back", lambda: self.redis.zrem(self._key(team), lease))

    def count(self, team: str) -> int:
        return int(self._run("count slots", lambda: self._count(keys=[self._key(team)])))

    def contended(self, team: str) -> bool:
        return bool(self._run("read contention", lambda: self.redis.exists(self._key(team) + ":wanted")))


# --- settings ------------------------------------------------------------------------------------------------


def _check_limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"limiter: limit must be an integer >= 1, got {value!r}")
    return value


def _check_lease(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"limiter: lease must be a number of seconds > 0, got {value!r}")
    return float(value)


def _check_team(value: object) -> str:
    if not isinstance(value, str) or not _TEAM_NAME.fullmatch(value):
        raise ConfigurationError(
            f"limiter: team must be 1-64 characters of letters, digits, '.', '_', ':' or '-', got {value!r}"
        )
    return value


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
