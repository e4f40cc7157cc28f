"""``models list --type``: the video editing models documented in image spec files are listed as video types."""

from __future__ import annotations

from .conftest import cli

VIDEO_EDITING = (
    "alibaba/wan2.2-animate-move",
    "vidu/lip-sync",
    "alibaba/wan2.7-videoedit",
    "alibaba/wan2.1-vace-plus",
    "alibaba/happyhorse-1.0-video-edit",
)


def test_models_list_type_v2v_shows_them() -> None:
    result = cli("models", "list", "--type", "v2v", "--json")
    assert result.code == 0, result.err
    slugs = {row["slug"] for row in result.json()["models"]}
    assert set(VIDEO_EDITING) <= slugs
    assert "vidu/template-story" not in slugs
    i2v = {
        row["slug"]
        for row in cli("models", "list", "--type", "i2v", "--json").json()["models"]
    }
    assert "vidu/template-story" in i2v
