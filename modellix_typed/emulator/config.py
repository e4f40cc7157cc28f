"""Run settings of the emulator: timings, limits, keys and the faults to play."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import attrs

FaultKind = Literal["status", "drop", "slow", "malformed_json", "truncated", "fail_task"]
# Where a finished task's files appear: data.result.resources (objects), data.resources (objects),
# data.result.resources as bare URL strings, or nowhere (a success without files).
ResultShape = Literal["result", "data", "urls", "none"]
FailureIn = Literal["data.error", "message"]  # a failed task's reason: in data.error, or the envelope's message
RESULT_SHAPES: tuple[str, ...] = get_args(ResultShape)
FAILURE_PLACES: tuple[str, ...] = get_args(FailureIn)
# How a finished task states its expiry (canvas's fixture: data.result_expires_at in epoch ms; dsh also reads
# expires_at on result and on each resource): not at all, or as epoch seconds / milliseconds / an ISO string.
ExpiryForm = Literal["none", "seconds", "ms", "iso"]
ExpiryAt = Literal["task", "result", "resource"]
EXPIRY_FORMS: tuple[str, ...] = get_args(ExpiryForm)
EXPIRY_PLACES: tuple[str, ...] = get_args(ExpiryAt)
STATUSES = ("pending", "processing", "success", "failed")
FaultRoute = Literal["submit", "poll", "download", "common", "any"]

FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
FAULT_ROUTES: tuple[str, ...] = get_args(FaultRoute)

DEFAULT_DURATIONS: Mapping[str, float] = {"t2i": 5.0, "i2i": 5.0, "t2v": 60.0, "i2v": 60.0, "v2v": 60.0}
DEFAULT_TEAM = "team-default"
MiB = 1024 * 1024


def _check_kind(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in FAULT_KINDS:
        raise ValueError(f"Fault.kind must be one of {list(FAULT_KINDS)}, got {value!r}")


def _check_route(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in FAULT_ROUTES:
        raise ValueError(f"Fault.route must be one of {list(FAULT_ROUTES)}, got {value!r}")


def _check_status(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 100 <= value <= 599:
        raise ValueError(f"Fault.status must be an HTTP status (100-599), got {value!r}")


def _check_positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"Fault.{attribute.name} must be >= 1, got {value!r}")


def _check_non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"Fault.{attribute.name} must be >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Fault:
    """One scripted misbehaviour; it fires on the next `count` matching requests, then is spent."""

    kind: FaultKind = attrs.field(validator=_check_kind)
    route: FaultRoute = attrs.field(default="any", validator=_check_route)
    status: int = attrs.field(default=503, validator=_check_status)
    count: int = attrs.field(default=1, validator=_check_positive)
    delay: float = attrs.field(default=1.0, validator=_check_non_negative)
    retry_after: int = attrs.field(default=1, validator=_check_non_negative)
    message: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        """Build from the HTTP introspection API's JSON, naming any unknown field."""
        known = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Fault field(s) {unknown}; known: {sorted(known)}")
        if "kind" not in data:
            raise ValueError("Fault field 'kind' is required")
        return cls(**dict(data))

    @classmethod
    def from_text(cls, text: str) -> Fault:
        """Parse a command line's `--fault JSON`; any problem is a ValueError naming it."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError(f"must be a JSON object, got {json.dumps(data)}")
        try:
            return cls.from_json(data)
        except TypeError as exc:  # attrs: a field of the wrong type
            raise ValueError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _keys(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _faults(value: Iterable[Fault]) -> tuple[Fault, ...]:
    return tuple(value)


def default_specs_dir() -> Path:
    """The specs the package ships (``emulator/specs``: the repo's specs/ in a checkout, a copy once
    installed), else ./specs."""
    packaged = Path(__file__).resolve().parent / "specs"
    if packaged.is_dir():
        return packaged
    return Path.cwd() / "specs"


@attrs.frozen(kw_only=True)
class EmulatorConfig:
    """Everything that shapes one emulator run; immutable so a run is reproducible."""

    specs_dir: Path = attrs.field(factory=default_specs_dir, converter=Path)
    api_keys: tuple[str, ...] = attrs.field(default=("test-key",), converter=_keys)
    teams: Mapping[str, str] = attrs.field(factory=dict)
    durations: Mapping[str, float] = attrs.field(factory=lambda: dict(DEFAULT_DURATIONS))
    default_duration: float = 60.0
    time_scale: float = 1.0
    failure_rate: float = 0.0
    seed: int = 0
    concurrency_limit: int | None = 3
    rpm_limit: int | None = None
    result_ttl: float = 7 * 86400.0  # results are kept 7 days (FACTS.md section 4)
    processing_after: float = 0.2
    balance: float = 100.0
    faults: tuple[Fault, ...] = attrs.field(default=(), converter=_faults)
    max_upload_bytes: int = 16 * MiB
    max_files_per_team: int = 10
    media_ttl: float = 7 * 86400.0
    # How the live API's answers may look (each switch lets a test cover one shape the official clients accept).
    legacy_paths: bool = False  # also serve the documented `/async` and `/{type}/` submit paths
    status_words: Mapping[str, str] = attrs.field(factory=dict)  # e.g. {"processing": "running"}
    result_shape: ResultShape = "result"
    failure_in: FailureIn = "data.error"
    expiry_form: ExpiryForm = "none"  # how a finished task states its expiry (end time + result_ttl)
    expiry_at: ExpiryAt = "task"  # where: data.result_expires_at, data.result.expires_at, each resource's
    redirect_results: int = 0  # result URLs answer this many 302 hops before the file
    # slug -> price fields merged into its /api/v1/models entry (e.g. {"price": 0.04}, {"pricing": {"usd": 0.5}})
    prices: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    # servers[0].url origin of the api_schema it serves (None: the origin the request came to)
    schema_api_origin: str | None = None
    accept_unknown_models: bool = False  # a POST to /api/v1/{provider}/{model_id} with no spec creates a task

    def __attrs_post_init__(self) -> None:
        if not self.api_keys:
            raise ValueError("EmulatorConfig.api_keys must hold at least one key")
        if self.time_scale < 0:
            raise ValueError(f"EmulatorConfig.time_scale must be >= 0, got {self.time_scale!r}")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"EmulatorConfig.failure_rate must be within [0, 1], got {self.failure_rate!r}")
        if not 0.0 <= self.processing_after <= 1.0:
            raise ValueError(
                f"EmulatorConfig.processing_after must be within [0, 1], got {self.processing_after!r}"
            )
        for name in ("concurrency_limit", "rpm_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"EmulatorConfig.{name} must be >= 1 or None, got {value!r}")
        unknown_words = sorted(set(self.status_words) - set(STATUSES))
        if unknown_words:
            raise ValueError(f"EmulatorConfig.status_words keys must be among {list(STATUSES)}, got {unknown_words}")
        if self.expiry_form not in EXPIRY_FORMS or self.expiry_at not in EXPIRY_PLACES:
            raise ValueError(
                f"EmulatorConfig.expiry_form/expiry_at must be one of {list(EXPIRY_FORMS)}/{list(EXPIRY_PLACES)}, "
                f"got {self.expiry_form!r}/{self.expiry_at!r}"
            )
        if self.result_shape not in RESULT_SHAPES:
            raise ValueError(f"EmulatorConfig.result_shape must be one of {list(RESULT_SHAPES)}, got {self.result_shape!r}")
        if self.failure_in not in FAILURE_PLACES:
            raise ValueError(f"EmulatorConfig.failure_in must be one of {list(FAILURE_PLACES)}, got {self.failure_in!r}")
        if not 0 <= self.redirect_results <= 10:
            raise ValueError(f"EmulatorConfig.redirect_results must be within [0, 10], got {self.redirect_results!r}")
        unknown = sorted(set(self.teams) - set(self.api_keys))
        if unknown:
            raise ValueError(f"EmulatorConfig.teams names {len(unknown)} key(s) that are not in api_keys")

    def team_of(self, key: str) -> str:
        return self.teams.get(key, DEFAULT_TEAM)

    def key_label(self, key: str) -> str:
        """A stable name for a key that never reveals it (stats and logs must not hold keys)."""
        return f"key#{self.api_keys.index(key)}"

    def status_word(self, status: str) -> str:
        """The word the API sends for an internal status (the docs' word unless ``status_words`` says otherwise)."""
        return self.status_words.get(status, status)

    def duration_for(self, task_type: str | None) -> float:
        """Seconds from submit to a final state, after time scaling."""
        base = self.durations.get(task_type or "", self.default_duration)
        return base * self.time_scale
