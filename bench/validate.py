"""Construct-and-validate throughput of a generated class vs jsonschema on the same payload and schema."""

from __future__ import annotations

import json
import timeit
from typing import Any

import jsonschema

from modellix_typed import registry

SLUG = "google/imagen-4.0-generate-001"
BODY: dict[str, Any] = {
    "prompt": "A golden retriever playing fetch on the beach at sunset",
    "sampleCount": 2,
    "aspectRatio": "16:9",
    "personGeneration": "allow_adult",
    "imageSize": "2K",
}


def _rate(func: Any, number: int) -> float:
    best = min(timeit.repeat(func, number=number, repeat=5))
    return number / best


def run() -> dict[str, Any]:
    slug = SLUG if SLUG in {info.slug for info in registry.list_models()} else registry.list_models()[0].slug
    cls = registry.get(slug)
    body = BODY if slug == SLUG else cls.from_dict(_example(slug)).to_dict()
    documented = cls._DOCUMENTED  # type: ignore[attr-defined]
    kwargs = {documented[key]: value for key, value in body.items()}
    validator = jsonschema.Draft202012Validator(cls.json_schema())
    assert validator.is_valid(body)
    bad = {**body, "sampleCount": 9} if slug == SLUG else body
    number = 20000
    ours_construct = _rate(lambda: cls(**kwargs), number)
    ours_from_dict = _rate(lambda: cls.from_dict(body), number)
    ours_to_dict = _rate(lambda: cls.from_dict(body).to_dict(), number)
    theirs = _rate(lambda: validator.is_valid(body), number // 10)
    theirs_errors = _rate(lambda: list(validator.iter_errors(bad)), number // 10)
    return {
        "model": slug,
        "payload_fields": len(body),
        "construct_per_s": round(ours_construct),
        "from_dict_per_s": round(ours_from_dict),
        "from_dict_to_dict_per_s": round(ours_to_dict),
        "baseline_jsonschema_is_valid_per_s": round(theirs),
        "baseline_jsonschema_iter_errors_per_s": round(theirs_errors),
        "ratio_construct_vs_jsonschema": round(ours_construct / theirs, 1),
        "ratio_from_dict_vs_jsonschema": round(ours_from_dict / theirs, 1),
        "goal_ratio": 10,
    }


def _example(slug: str) -> dict[str, Any]:
    schema = registry.json_schema(slug)
    return {
        name: node.get("example") for name, node in schema["properties"].items() if name in schema.get("required", [])
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
