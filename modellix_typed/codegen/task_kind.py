"""Where a model's task type is read from the docs' own words (title, then the page's one-line description).

The spec file a page embeds is shared by a provider's models (``model-api/vidu/vidu-t2i.json`` serves
``vidu/lip-sync``), so its ``-t2i`` suffix is only a fallback: a video editing model documented in a
text-to-image file is still a video model (llms.txt: "Vidu Lip Sync is a video-to-video audio
synchronization model"). The title is read first (the descriptions are partly boilerplate: "Wan 2.1 VACE Plus
- Unified Video Editing Model is an older generation image-to-image editing model").
"""

from __future__ import annotations

import re

VIDEO_KINDS = frozenset({"t2v", "i2v", "v2v"})
IMAGE_KINDS = frozenset({"t2i", "i2i"})

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "v2v",
        re.compile(
            r"video[- ]to[- ]video|\bV2V\b|video[- ]edit(?:ing)?\b|video modification|motion transfer"
            r"|replacement in video|\blip[- ]sync(?:hroni[sz]ation)?\s+model",
            re.IGNORECASE,
        ),
    ),
    ("t2v", re.compile(r"text[- ]to[- ]video|\bT2V\b", re.IGNORECASE)),
    (
        "i2v",
        re.compile(
            r"(?:image|reference|subject|frame)[- ]to[- ]video|\b(?:I|R|S|KF|FL)2V\b",
            re.IGNORECASE,
        ),
    ),
    (
        "i2i",
        re.compile(
            r"image[- ]to[- ]image|\bI2I\b|image[- ]edit(?:ing)?\b", re.IGNORECASE
        ),
    ),
    ("t2i", re.compile(r"text[- ]to[- ]image|\bT2I\b", re.IGNORECASE)),
)
_VIDEO = re.compile(r"\bvideos?\b", re.IGNORECASE)
_IMAGE_INPUT = re.compile(r"\bimages?\b|\bframes?\b|\bportrait\b", re.IGNORECASE)


def core_function(summary: str | None) -> str:
    """The description's first claim: the text before ``[Strengths]`` (Mintlify's house format)."""
    return (summary or "").split("[Strengths]", 1)[0]


def kind_from_docs(
    title: str | None, summary: str | None, fallback: str | None
) -> str | None:
    """The task type the docs state; ``fallback`` (the spec file suffix) where they name none.

    A description that only says "video" (``narrative video generation model``) makes a video type even when
    the spec file says image: ``i2v`` when the description speaks of images or frames, else ``t2v``.
    """
    for text in (title or "", core_function(summary)):
        for kind, pattern in _KINDS:
            if pattern.search(text):
                return kind
    if fallback not in VIDEO_KINDS and _VIDEO.search(core_function(summary)):
        return "i2v" if _IMAGE_INPUT.search(summary or "") else "t2v"
    return fallback
