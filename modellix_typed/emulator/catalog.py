"""Load the model specs from specs/ and map submit paths to models.

The live API takes ``/api/v1/{provider}/{model_id}`` (the canonical path); the documented ``/async`` and
``/{type}/`` forms are only served when the emulator runs with ``legacy_paths``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

# Old-style path segment for each task type (`/api/v1/{type}/{provider}/{model}/async`).
TYPE_SEGMENTS: Mapping[str, str] = {
    "t2i": "text-to-image",
    "i2i": "image-to-image",
    "t2v": "text-to-video",
    "i2v": "image-to-video",
    "v2v": "video-to-video",
}
_OLD_PATH = re.compile(r"^/api/v1/(?P<segment>[a-z]+-to-[a-z]+)/(?P<provider>[^/]+)/(?P<model>[^/]+)/async$")
_VIDEO_TYPE = re.compile(r"2v$|video", re.IGNORECASE)


class CatalogError(Exception):
    """A spec file that cannot be served; the message names the file and the reason."""


@attrs.frozen(kw_only=True)
class ModelSpec:
    """What the emulator needs from one `specs/<provider>/<model_id>.json`."""

    slug: str
    provider: str
    model_id: str
    title: str
    summary: str
    task_type: str | None
    path: str
    doc_url: str
    request_schema: Mapping[str, Any]
    request_required: bool
    example_request: Any
    stale: bool
    rules: tuple[Mapping[str, Any], ...] = ()
    """The page's prose rules (SPEC_FORMAT.md), enforced by emulator/prose_rules.py."""

    @property
    def api_model_id(self) -> str:
        """`<provider>/<model_id>` as the API echoes it in task responses."""
        return f"{self.provider}/{self.model_id}"

    @property
    def type_segment(self) -> str | None:
        match = _OLD_PATH.match(self.path)
        if match:
            return match["segment"]
        return TYPE_SEGMENTS.get(self.task_type or "")

    @property
    def output_kind(self) -> str:
        """'video' or 'image': what the finished task produces."""
        probe = f"{self.task_type or ''} {self.type_segment or ''}"
        return "video" if _VIDEO_TYPE.search(probe) else "image"

    @property
    def canonical_path(self) -> str:
        return f"/api/v1/{self.provider}/{self.model_id}"

    def submit_paths(self) -> list[str]:
        """The canonical path first, then the documented path and the other forms older pages used."""
        base = self.canonical_path
        paths = [base, self.path, f"{base}/async"]
        segment = self.type_segment
        if segment:
            old = f"/api/v1/{segment}/{self.provider}/{self.model_id}"
            paths += [f"{old}/async", old]
        return list(dict.fromkeys(paths))

    @classmethod
    def unknown(cls, provider: str, model_id: str) -> ModelSpec:
        """A model with no spec (a raw call): any JSON object is accepted, the result is an image."""
        return cls(
            slug=f"{provider}/{model_id}",
            provider=provider,
            model_id=model_id,
            title=model_id,
            summary="no spec: accepted because the emulator runs with accept_unknown_models",
            task_type=None,
            path=f"/api/v1/{provider}/{model_id}",
            doc_url="",
            request_schema={"type": "object"},
            request_required=True,
            example_request=None,
            stale=False,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: Path) -> ModelSpec:
        try:
            examples = data.get("examples") or {}
            schema = data.get("request_schema") or {}
            if not isinstance(schema, Mapping):
                raise CatalogError(f"{source}: request_schema must be an object, got {type(schema).__name__}")
            return cls(
                slug=str(data["slug"]),
                provider=str(data["provider"]),
                model_id=str(data["model_id"]),
                title=str(data.get("title") or data["model_id"]),
                summary=str(data.get("summary") or ""),
                task_type=data.get("task_type"),
                path=str(data["path"]),
                doc_url=str(data.get("doc_url") or ""),
                request_schema=schema,
                request_required=bool(data.get("request_required", True)),
                example_request=examples.get("request") if isinstance(examples, Mapping) else None,
                stale=bool(data.get("stale", False)),
                rules=tuple(rule for rule in data.get("rules") or [] if isinstance(rule, Mapping)),
            )
        except KeyError as exc:
            raise CatalogError(f"{source}: missing field {exc.args[0]!r}") from None


def _spec_files(specs_dir: Path) -> Iterator[Path]:
    index = specs_dir / "index.json"
    if index.is_file():
        try:
            entries = json.loads(index.read_text(encoding="utf-8")).get("models", [])
        except (ValueError, AttributeError) as exc:
            raise CatalogError(f"{index}: not a valid index ({exc})") from None
        for entry in entries:
            yield specs_dir / str(entry["file"])
        return
    for path in sorted(specs_dir.glob("*/*.json")):
        if path.parent.name != "common":
            yield path


_CANONICAL = re.compile(r"^/api/v1/(?P<provider>[A-Za-z0-9][\w.-]*)/(?P<model>[A-Za-z0-9][\w.-]*)$")
RESERVED = frozenset({"tasks", "models", "media", "apikey", "team"})  # /api/v1/<these>/... are not models


@attrs.frozen
class Catalog:
    """All servable models, and the submit path -> model tables (canonical, and every legacy alias)."""

    models: tuple[ModelSpec, ...]
    routes: Mapping[str, ModelSpec]
    canonical: Mapping[str, ModelSpec] = attrs.field(factory=dict)

    @classmethod
    def load(cls, specs_dir: Path) -> Catalog:
        if not specs_dir.is_dir():
            raise CatalogError(f"specs directory not found: {specs_dir} (run the crawler or pass --specs)")
        models = []
        for file in _spec_files(specs_dir):
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CatalogError(f"{file}: cannot read spec ({exc})") from None
            models.append(ModelSpec.from_json(data, file))
        return cls.from_models(models)

    @classmethod
    def from_models(cls, models: list[ModelSpec]) -> Catalog:
        canonical = {model.canonical_path: model for model in models}
        routes: dict[str, ModelSpec] = dict(canonical)
        # Canonical and documented paths win over aliases of other models.
        for model in models:
            routes.setdefault(model.path, model)
        for model in models:
            for path in model.submit_paths()[1:]:  # [0] is canonical; a documented canonical path has aliases too
                routes.setdefault(path, model)
        return cls(tuple(sorted(models, key=lambda m: m.slug)), routes, canonical)

    def find(self, path: str, *, legacy: bool = True) -> ModelSpec | None:
        """The model served at ``path``; only the canonical path unless ``legacy`` (the emulator's option)."""
        path = path.rstrip("/") or "/"
        return (self.routes if legacy else self.canonical).get(path)

    @staticmethod
    def unknown_model(path: str) -> ModelSpec | None:
        """A spec-less model for a canonical-looking path (raw calls), None for anything else."""
        match = _CANONICAL.match(path.rstrip("/"))
        if match is None or match["provider"] in RESERVED:
            return None
        return ModelSpec.unknown(match["provider"], match["model"])
