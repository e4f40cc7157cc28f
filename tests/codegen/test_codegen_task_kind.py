"""Task types come from the docs' words (title, then the description), not from the shared spec file's suffix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modellix_typed import registry
from modellix_typed.codegen.task_kind import kind_from_docs

REPO = Path(__file__).resolve().parents[2]
VIDEO_EDITING = {
    "alibaba/wan2.2-animate-move": "v2v",  # in alibaba-t2i.json: "a legacy video editing and motion transfer model"
    "vidu/lip-sync": "v2v",  # in vidu-t2i.json: "a video-to-video audio synchronization model"
    "alibaba/wan2.7-videoedit": "v2v",  # in alibaba-i2i.json: "Wan 2.7 Video Editing"
    "alibaba/wan2.1-vace-plus": "v2v",  # in alibaba-i2i.json: "... - Unified Video Editing Model"
    "alibaba/happyhorse-1.0-video-edit": "v2v",  # in alibaba-i2i.json: "HappyHorse 1.0 Video Edit"
    "vidu/template-story": "i2v",  # in vidu-t2i.json: "a narrative video generation model" placing character images
}


@pytest.mark.parametrize(
    ("title", "summary", "fallback", "expected"),
    [
        (
            "Vidu Lip Sync",
            "[Core Function] Vidu Lip Sync is a video-to-video audio synchronization model.",
            "t2i",
            "v2v",
        ),
        (
            "Wan 2.1 VACE Plus - Unified Video Editing Model",
            "[Core Function] ... is an older generation image-to-image editing model. [Strengths] x",
            "i2i",
            "v2v",  # the title wins over a boilerplate description
        ),
        (
            "Vidu Template Story",
            "[Core Function] a narrative video generation model. [Strengths] character images",
            "t2i",
            "i2v",
        ),
        ("Some T2V", "", "i2i", "t2v"),
        (
            "Nano Banana",
            "[Core Function] Nano Banana is the original fast creative image model.",
            "t2i",
            "t2i",
        ),
        (
            "Kling V3 Omni Video",
            "[Core Function] a unified multimodal video generation endpoint.",
            "v2v",
            "v2v",
        ),
        ("Plain", None, None, None),
    ],
)
def test_kind_from_docs(
    title: str, summary: str | None, fallback: str | None, expected: str | None
) -> None:
    assert kind_from_docs(title, summary, fallback) == expected


def test_snapshot_and_catalog_type_the_video_models_as_video() -> None:
    index = {
        row["slug"]: row
        for row in json.loads((REPO / "specs" / "index.json").read_text())["models"]
    }
    for slug, kind in VIDEO_EDITING.items():
        assert index[slug]["task_type"] == kind, slug
        spec = json.loads((REPO / "specs" / index[slug]["file"]).read_text())
        assert spec["task_type"] == kind
        assert registry.info(slug).task_type == kind
        assert registry.get(slug).ENDPOINT.task_type == kind
