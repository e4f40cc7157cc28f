"""What both clients decide without I/O: submit paths, accepted replies, poll calls, result parsing, slots."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..config import DOCUMENTED_PATH, ClientConfig, Timeouts
from ..errors import (
    ConfigurationError,
    InvalidResponse,
    NotFound,
    SubmissionOutcomeUnknown,
    TaskIdMismatch,
)
from ..polling import LearnedPlan, PollPolicy, policy_for
from ..pollstats import PollStats, completion_sample
from ..request import canonical_path
from ..results import TaskResult, parse_task
from ..retry import RequestKind, RetryPolicy
from .batch_book import (
    JournalPath,
)
from .exchange import (
    Call,
    Reply,
    data_of,
)
from .limiter_book import SlotHolder
from .prepare import Prepared
from .wait import Learn, OnUpdate, WaitState

if TYPE_CHECKING:
    from ..journal import Journal
    from ..live_schema import SchemaSource
logger = logging.getLogger("modellix_typed")


@contextlib.contextmanager
def open_journal(path: JournalPath | Journal | None, prepared: Prepared) -> Iterator[Journal | None]:
    """A new journal for one run, or nothing (``journal=None``)."""
    if path is None:
        yield None
        return
    from .batch_book import started

    with started(path, [prepared]) as run:
        yield run.journal


def journal_finished(book: Journal | None, task_id: str, error: BaseException | None) -> None:
    if book is not None:
        book.finished(0, task_id, error)


class ClientCore:
    """Everything both clients decide without I/O."""

    def __init__(self, config: ClientConfig, retry_policy: RetryPolicy) -> None:
        self.config = config
        self.retry_policy = retry_policy
        self.task_types: dict[str, str | None] = {}
        self.learned_paths: dict[str, str] = {}  # slug -> the submit path that answered (after a 404 fallback)
        self.on_rate_limited: Callable[[float | None], None] | None = None  # the limiter hears of submit 429s
        self.poll_stats: PollStats | None = None  # learned completion times (set by the client)
        self.accepted_at: dict[str, tuple[str, float]] = {}  # task id -> (slug, monotonic time of the 2xx)
        self._schemas: SchemaSource | None = None

    @classmethod
    def resolve(
        cls,
        api_key: str | None,
        base_url: str | None,
        timeouts: Timeouts | None,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        poll_policy: PollPolicy | Mapping[str, PollPolicy] | None,
        max_concurrency: int,
        submit_path: str | None = None,
        legacy_path_fallback: bool = True,
        profile: str | None = None,
    ) -> ClientCore:
        """The constructor arguments of both clients -> checked settings (no I/O, no key required yet).

        A ``retry_policy`` wins over ``max_retries``; the config then reports the policy's count (one truth).
        """
        config = ClientConfig.resolve(
            api_key=api_key,
            base_url=base_url,
            timeouts=timeouts,
            max_retries=retry_policy.max_retries if retry_policy is not None else max_retries,
            max_concurrency=max_concurrency,
            poll_policy=poll_policy,
            submit_path=submit_path,
            legacy_path_fallback=legacy_path_fallback,
            profile=profile,
        )
        return cls(config, retry_policy if retry_policy is not None else RetryPolicy(max_retries=config.max_retries))

    def submit_calls(self, prepared: Prepared, deadline: float | None = None) -> list[Call]:
        """The POST to send, then (only after a 404, which created nothing) the one legacy path to try.

        ``deadline``: a run's (monotonic), which no attempt passes (see :mod:`.deadline`)."""
        if prepared.pending:
            raise ConfigurationError(f"{prepared.slug}: the body's local files must be uploaded before the POST")
        return [
            Call(
                "POST",
                path,
                kind=RequestKind.SUBMIT,
                content=prepared.content,
                slug=prepared.slug,
                request_id=prepared.request_id,
                on_rate_limited=self.on_rate_limited,
                deadline=deadline,
            )
            for path in self.submit_paths(prepared)
        ]

    def submit_paths(self, prepared: Prepared) -> list[str]:
        config = self.config
        canonical = canonical_path(prepared.provider, prepared.model_id)
        if config.submit_path == DOCUMENTED_PATH:
            return [prepared.documented_path or canonical]
        if config.submit_path is not None:
            quote = functools.partial(urllib.parse.quote, safe="")
            return [config.submit_path.format(provider=quote(prepared.provider), model_id=quote(prepared.model_id))]
        if prepared.submit_url is not None:
            from ..live_schema import submit_path  # lazy: only models newer than the SDK have a submit URL

            live = submit_path(prepared.submit_url, config.base_url)
            if live is not None:
                return [live]  # the live schema's servers[0].url is the authoritative submit URL
            logger.warning(
                "%s: the live schema's servers[0].url %s is not on the API origin %s; using %s",
                prepared.slug,
                prepared.submit_url,
                config.base_url,
                canonical,
            )
        paths = [canonical]
        if config.legacy_path_fallback and prepared.documented_path not in (None, canonical):
            assert prepared.documented_path is not None
            paths.append(prepared.documented_path)
        learned = self.learned_paths.get(prepared.slug)
        return sorted(paths, key=lambda p: p != learned) if learned else paths

    def after_not_found(self, prepared: Prepared, calls: list[Call], index: int, error: NotFound) -> bool:
        """True when the next path is worth one try (a 404 to a POST means no task was created)."""
        if index + 1 >= len(calls):
            return False
        logger.warning(
            "%s: POST %s answered 404 (%s); trying the documented path %s once",
            prepared.slug,
            calls[index].path,
            error.message,
            calls[index + 1].path,
        )
        return True

    def path_worked(self, prepared: Prepared, call: Call, calls: list[Call]) -> None:
        """Log which path took the POST; a fallback that worked is tried first from now on (per client)."""
        if call is calls[0]:
            logger.debug("%s: submitted via %s", prepared.slug, call.path)
            return
        logger.warning("%s: submitted via %s; later submits of this model go there first", prepared.slug, call.path)
        self.learned_paths[prepared.slug] = call.path

    def accepted(self, reply: Reply, prepared: Prepared, call: Call) -> tuple[str, dt.datetime]:
        """The task id from a 2xx submit reply; anything unusable means the outcome is unknown."""
        payload = reply.payload
        data = payload.get("data")
        task_id = data.get("task_id") if isinstance(data, Mapping) else None
        if not isinstance(task_id, str) or not task_id.strip():
            excerpt = {"data": data} if isinstance(data, Mapping) else {"payload_keys": sorted(payload)}
            raise SubmissionOutcomeUnknown(
                "2xx reply without a usable data.task_id",
                slug=prepared.slug,
                body_sha256=call.body_sha256,
                status=reply.status,
                partial=excerpt,
                request_id=call.request_id,
            )
        self.task_types[task_id] = prepared.task_type
        self.accepted_at[task_id] = (prepared.slug, time.monotonic())
        logger.info("submitted %s as task %s", prepared.slug, task_id)
        return task_id, dt.datetime.now(dt.timezone.utc)

    def poll_call(self, task_id: str, *, retries: bool, deadline: float | None = None) -> Call:
        """One status read; ``deadline``: a wait's (monotonic), which the request never passes."""
        if not isinstance(task_id, str) or not task_id:
            raise ConfigurationError(f"task_id: must be a non-empty string, got {task_id!r}")
        path = f"/api/v1/tasks/{urllib.parse.quote(task_id, safe='')}"
        return Call("GET", path, retries=retries, deadline=deadline)

    def parse_result(self, payload: Mapping[str, Any], task_id: str, call: Call) -> TaskResult:
        data = data_of(payload, method=call.method, path=call.path)
        got = data.get("task_id")
        if isinstance(got, str) and got and got != task_id:
            raise TaskIdMismatch(task_id, got, method=call.method, path=call.path)
        try:
            return parse_task(data, task_id=task_id, message=payload.get("message"))
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # parsing is total: a typed error
            raise InvalidResponse(str(exc)[:300], method=call.method, path=call.path) from None

    def observe(self, task_id: str, result: TaskResult, limiter: SlotHolder) -> None:
        """A task seen finished gives its slot back (the one place a poll frees a slot)."""
        if result.done:
            limiter.release(task_id=task_id)
            self.task_types.pop(task_id, None)
            self.accepted_at.pop(task_id, None)

    def wait_state(
        self,
        task_id: str,
        timeout: float | None,
        on_update: OnUpdate | None,
        task_type: str | None,
        poll_first: bool,
        urgent: Callable[[], bool] | None = None,
    ) -> WaitState:
        kind = task_type if task_type is not None else self.task_types.get(task_id)
        policy = policy_for(kind, self.config.poll_policies)
        plan, learn = self.learned(task_id, policy)
        return WaitState(
            task_id, policy, timeout, on_update, poll_first=poll_first, urgent=urgent, plan=plan, learn=learn
        )

    def learned(self, task_id: str, policy: PollPolicy) -> tuple[LearnedPlan | None, Learn | None]:
        """For a task submitted by this client: when its model's tasks usually finish, and how to learn
        from this one (both relative to the wait's start; history counts from the submission)."""
        stats, seen = self.poll_stats, self.accepted_at.get(task_id)
        if stats is None or seen is None:
            return None, None
        slug, accepted = seen
        key = f"{slug} {self.config.base_url}"  # an emulator's timings must not teach the live API's
        offset = time.monotonic() - accepted
        expected = stats.expected(key)
        plan = None
        if expected is not None:
            plan = LearnedPlan.around(policy, expected.low - offset, expected.typical, expected.high - offset)

        def learn(result: TaskResult, upper: float, lower: float | None) -> None:
            stats.record(key, completion_sample(result, upper + offset, None if lower is None else lower + offset))

        return plan, learn

    @property
    def schemas(self) -> SchemaSource:
        """Where live api_schemas come from (read from the environment at first use)."""
        if self._schemas is None:
            from ..live_schema import SchemaSource  # lazy: importing a client must not load the spec engine

            self._schemas = SchemaSource.from_env()
        return self._schemas


class ClientBase:
    """What the two clients share beyond :class:`ClientCore`: the settings view and a key-free repr."""

    _core: ClientCore

    @property
    def config(self) -> ClientConfig:
        return self._core.config

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"
