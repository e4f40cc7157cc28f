"""`make demo`: one generated request, end to end, against a local emulator (no network, no real key).

It shows the whole path a user takes: a typed request class validates before anything is sent, the client
submits it, polls until the task succeeds, and saves the result atomically into a folder.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from .emulator import EmulatorConfig, running_emulator

DEFAULT_OUT = Path("out") / "demo"


def main(argv: list[str] | None = None) -> int:
    from . import Modellix, ValidationError
    from .models.google import NanoBanana

    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    # A throwaway key: the emulator accepts exactly this one, and it is never printed.
    key = f"demo-{secrets.token_hex(8)}"

    try:
        NanoBanana(prompt="a lighthouse", aspect_ratio="1024x1024")  # type: ignore[arg-type]
    except ValidationError as exc:
        print(f"rejected before sending, as it should be:\n{exc}\n")

    request = NanoBanana(prompt="A lighthouse on a cliff at dawn, long exposure", aspect_ratio="16:9")
    # time_scale 0.05: an image task that takes ~5 s on Modellix takes ~0.25 s here.
    with running_emulator(EmulatorConfig(api_keys=(key,), time_scale=0.05)) as emulator:
        print(f"emulator listening on {emulator.base_url}")
        with Modellix(api_key=key, base_url=emulator.base_url) as client:
            task = client.submit(request)
            print(f"submitted {task.slug}: task {task.task_id}")
            result = task.wait(timeout=60, on_update=lambda r: print(f"  status: {r.status.value}"))
            paths = client.download(result, out)
    for path in paths:
        print(f"saved {path} ({path.stat().st_size} bytes)")
    print("emulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
