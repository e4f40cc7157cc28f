"""Polling that learns: per-model completion times seen by this machine, to poll when a task should be done.

A blind backoff polls an image every second or so whatever the model; a model that reliably takes 8 s is
better polled once at ~8 s and then briefly at short intervals. Samples are kept per model and API origin
(``"<slug> <base URL>"``: an emulator's timings never teach the live API's). Each successful task adds one sample (the
server's ``duration`` when it gives one, else an estimate from our own polls) to a small JSON file, by
default ``$XDG_CACHE_HOME/modellix-typed/poll-stats.json`` (``~/.cache/...``). Override the path with
``MODELLIX_POLL_STATS=PATH`` or ``poll_stats=PATH``; turn it off with ``MODELLIX_POLL_STATS=off`` or
``poll_stats=False``. The file is bounded (:data:`MAX_SAMPLES` per model, :data:`MAX_MODELS` models, least
recently updated dropped first) and safe with concurrent writers: read-merge-write under an exclusive lock
on a sidecar ``.lock`` file, replaced atomically. Any problem with the file only disables learning (logged):
polling never fails because of it. Without history the per-type schedule of :mod:`.polling` is used.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .fileio import lock, replace_atomically, unlock
from .results import TaskResult

logger: logging.Logger = logging.getLogger("modellix_typed")

ENV_POLL_STATS = "MODELLIX_POLL_STATS"
OFF = ("off", "0", "false", "no", "")
MAX_SAMPLES = 20
MAX_MODELS = 500
FORMAT_VERSION = 1
# Without a server-reported duration, a task found done at the very first poll only says "at most this":
# record a little less, so the next first poll comes a little earlier until a poll sees it still running.
PROBE_FACTOR = 0.85

PollStatsSetting = str | os.PathLike[str] | bool | None


@attrs.frozen
class Expectation:
    """When tasks of one model finished, relative to their submission (seconds): quantiles of the samples."""

    low: float
    typical: float
    high: float
    samples: int


def default_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modellix-typed" / "poll-stats.json"


def resolve(setting: PollStatsSetting) -> PollStats | None:
    """``poll_stats=`` of the clients: None (environment, else the default file), False (off), or a path."""
    if setting is False:
        return None
    if setting is None or setting is True:
        env = os.environ.get(ENV_POLL_STATS)
        if env is not None:
            return None if env.strip().lower() in OFF else PollStats(Path(env))
        return PollStats(default_path())
    return PollStats(Path(setting))


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class PollStats:
    """One stats file; reads are cached and refreshed when another process changed the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._models: dict[str, Any] = {}
        self._stamp: tuple[int, int] | None = None
        self._broken = False

    def __repr__(self) -> str:
        return f"PollStats({str(self.path)!r})"

    def expected(self, slug: str) -> Expectation | None:
        """What this machine saw for ``slug``; None without history (or when the file is unusable)."""
        self._refresh()
        samples = self._models.get(slug, {}).get("samples")
        if not isinstance(samples, list):
            return None
        ordered = sorted(float(s) for s in samples if isinstance(s, (int, float)) and s > 0)
        if not ordered:
            return None
        return Expectation(_quantile(ordered, 0.1), _quantile(ordered, 0.5), _quantile(ordered, 0.9), len(ordered))

    def record(self, slug: str, seconds: float) -> None:
        """Add one completion time (merged with what other processes wrote meanwhile)."""
        if self._broken or not seconds > 0:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                lock(fd, wait=True)
                try:
                    models = self._read()
                    known = models.get(slug)
                    entry: dict[str, Any] = known if isinstance(known, dict) else {}
                    samples = [s for s in entry.get("samples", []) if isinstance(s, (int, float))]
                    samples = (samples + [round(seconds, 4)])[-MAX_SAMPLES:]
                    models[slug] = {"samples": samples, "updated": round(time.time(), 3)}
                    if len(models) > MAX_MODELS:
                        by_age = sorted(models, key=lambda s: models[s].get("updated", 0) if isinstance(
                            models[s], dict) else 0)
                        for old in by_age[: len(models) - MAX_MODELS]:
                            del models[old]
                    self._write(models)
                    self._models = models
                finally:
                    unlock(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self._broken = True
            logger.warning("poll statistics disabled: %s cannot be written (%s)", self.path, exc.strerror)

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except OSError:
            self._models, self._stamp = {}, None
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._models, self._stamp = self._read(), stamp

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("poll statistics in %s ignored (%s); they will be rewritten", self.path, exc)
            return {}
        models = data.get("models") if isinstance(data, dict) and data.get("version") == FORMAT_VERSION else None
        return dict(models) if isinstance(models, Mapping) else {}

    def _write(self, models: dict[str, Any]) -> None:
        text = json.dumps({"version": FORMAT_VERSION, "models": models}, separators=(",", ":"), sort_keys=True)
        replace_atomically(self.path, text.encode("utf-8"))


def completion_sample(result: TaskResult, upper: float, lower: float | None) -> float:
    """How long the task took from our submission: the server's duration when it fits what we saw (it was
    done ``upper`` s after submission, still running at ``lower``), else an estimate from those polls."""
    server = result.duration_ms / 1000 if result.duration_ms else None
    if server is not None and 0 < server:
        return min(server, upper)
    if lower is None:
        return upper * PROBE_FACTOR
    return (lower + upper) / 2
