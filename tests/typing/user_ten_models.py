"""A user's file with dict bodies for ten models (type-checked by tests/typing/test_typed_bodies.py, and timed)."""

from __future__ import annotations

from modellix_typed import AsyncModellix, Modellix, registry
from modellix_typed.models.google import NanoBananaPro


def submit_all(client: Modellix) -> None:
    client.submit("alibaba/happyhorse-1.0-i2v", {"first_frame_image": "https://x.test/a.png", "duration": 5})
    client.submit("alibaba/wan2.2-animate-move", {"image_url": "https://x.test/a.png", "video_url": "https://x.test/v.mp4", "mode": "wan-std"})
    client.submit("alibaba/wan2.7-t2v", {"prompt": "a cat", "duration": 4})
    client.submit("bytedance/seedream-4.5-t2i", {"prompt": "a cat", "sequential_image_generation": "auto"})
    client.run("google/nano-banana-pro", {"prompt": "a cat", "aspectRatio": "16:9", "imageSize": "2K"}, timeout=60)
    client.run("google/veo-3.1-lite-i2v", {"prompt": "a cat", "image": "https://x.test/a.png", "durationSeconds": "8"})
    registry.validate("kling/kling-v1.5-i2i", {"prompt": "a cat", "image": "https://x.test/a.png", "aspect_ratio": "1:1"})
    registry.check("kling/kling-video-o1", {"prompt": "a cat", "multi_shot": False})
    registry.check("minimax/minimax-image-01-live-i2i", {"prompt": "a cat", "aspect_ratio": "4:3"})
    NanoBananaPro.from_dict({"prompt": "a cat", "imageSize": "4K"})


async def submit_async(client: AsyncModellix) -> None:
    task = await client.submit("vidu/template-story", {"story": "pigsy", "images": ["https://x.test/a.png"]})
    await task.wait()
    slug: str = "newco/model-2027"  # a model this package does not know: raw, as before
    await client.run(slug, {"prompt": "a cat", "new_param": 3}, validate=False)
    await client.run("newco/model-2027", {"prompt": "a cat", "new_param": 3}, validate=False)
