"""Where a request body becomes the bytes sent (no I/O, no HTTP stack): canonical JSON, hashed as sent, so
preparing a request never imports httpx."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def encode_json(body: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes: what is sent is exactly what is hashed for SubmissionOutcomeUnknown.

    Standard JSON only (ValueError on NaN/Infinity, UnicodeEncodeError on a lone surrogate): callers check
    :func:`..json_bounds.json_problems` first and report field paths; this is the backstop.
    """
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=False, allow_nan=False).encode(
        "utf-8"
    )
