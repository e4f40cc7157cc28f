"""Dict bodies a type checker must reject (tests/typing/test_typed_bodies.py asserts each marked line)."""

from __future__ import annotations

from modellix_typed import AsyncModellix, Modellix, registry
from modellix_typed.models.google import NanoBanana, NanoBananaBody


async def wrong(client: Modellix, aclient: AsyncModellix) -> None:
    client.submit("google/nano-banana", {"prompt": "x", "aspectRatoi": "16:9"})  # E: wrong key
    client.run("google/nano-banana", {"prompt": "x", "aspectRatio": "2:1"}, timeout=5)  # E: wrong literal
    await aclient.submit("google/nano-banana", {"prompt": "x", "aspectRatio": "2:1"})  # E: wrong literal
    registry.validate("google/nano-banana", {"aspectRatio": "16:9"})  # E: required key missing
    registry.check("google/nano-banana", {"prompt": 3})  # E: wrong type
    NanoBanana.from_dict({"prompt": "x", "aspectRatio": "2:1"})  # E: wrong literal
    NanoBanana(prompt="x", aspectRatio="16:9")  # E: wire name as a keyword
    body: NanoBananaBody = {"prompt": "x", "aspectRatio": "7:5"}  # E: wrong literal
    print(body)


async def right(client: Modellix, aclient: AsyncModellix, slug: str) -> None:
    client.submit("google/nano-banana", {"prompt": "x", "aspectRatio": "16:9"})
    client.submit(NanoBanana(prompt="x", aspect_ratio="16:9"))
    await aclient.run("google/nano-banana", {"prompt": "x"}, timeout=5)
    client.submit(slug, {"anything": 1})  # a slug that is not a literal: raw Mapping, as before
    client.run("newco/model-2027", {"prompt": "a cat", "new_param": 3}, validate=False)  # unknown slug
    registry.check("google/nano-banana", {"prompt": "x"})
