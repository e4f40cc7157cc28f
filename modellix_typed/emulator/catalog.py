"""Load the model specs from specs/ and map every submit path (documented and aliases) to its model."""

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

    def submit_paths(self) -> list[str]:
        """The documented path first, then the other path forms the API has used for the same model."""
        base = f"/api/v1/{self.provider}/{self.model_id}"
        paths = [self.path, f"{base}/async", base]
        segment = self.type_segment
        if segment:
            old = f"/api/v1/{segment}/{self.provider}/{self.model_id}"
            paths += [f"{old}/async", old]
        return list(dict.fromkeys(paths))

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


@attrs.frozen
class Catalog:
    """All servable models, and the submit path -> model table."""

    models: tuple[ModelSpec, ...]
    routes: Mapping[str, ModelSpec]

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
        routes: dict[str, ModelSpec] = {}
        # Documented paths win over aliases of other models.
        for model in models:
            routes[model.path] = model
        for model in models:
            for path in model.submit_paths()[1:]:
                routes.setdefault(path, model)
        return cls(tuple(sorted(models, key=lambda m: m.slug)), routes)

    def find(self, path: str) -> ModelSpec | None:
        return self.routes.get(path.rstrip("/") or "/")
