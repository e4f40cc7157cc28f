"""Where a team's slots are stored when several processes or machines share one Modellix team: the store
interface (:class:`SlotStore`: atomic take/renew/give-back of leases, no waiting) and its two places, a lock
file (:class:`FileSlots`, one machine) and Redis (:class:`RedisSlots`, any number of machines). Chosen and
renewed by :mod:`.slots`."""

from __future__ import annotations

import abc
import contextlib
import json
import logging
import os
import re
import socket
import time
import urllib.parse
import uuid
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from .config import DEFAULT_MAX_CONCURRENCY
from .errors import ConfigurationError, ModellixError

logger: logging.Logger = logging.getLogger("modellix_typed")

DEFAULT_LEASE = 30.0  # seconds a slot outlives its owner; renewed every third of it while the task runs
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
