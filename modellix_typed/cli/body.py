"""Where a request body is read (``--body`` text, ``--body-file`` path, or ``-`` for stdin) and parsed as JSON.

An unreadable source is a usage error (exit 2); text that is not a JSON object is a validation failure
(exit 3) reported as an issue, so CI sees it like any other invalid payload. A string ``"@path"`` naming a
file (relative to the working directory) is that local file: checked, uploaded once, its URL sent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")

from ..validation import Issue, ValidationError, json_type_name
from .output import CLIError, ExitCode


def read_source(source: str) -> tuple[str, str]:
    """(text, label) of a file path or ``-`` (stdin)."""
    if source == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CLIError("InputError", f"cannot read {source!r}: {reason}", ExitCode.USAGE, source=source) from None


def parse_body(text: str, label: str, slug: str) -> dict[str, Any]:
    """The JSON object in ``text``; anything else raises ValidationError naming the position or the type."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        issue = Issue("", "json", None, f"{label} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        raise ValidationError(slug, [issue]) from None
    if not isinstance(data, dict):
        issue = Issue("", "type", None, f"the request body must be a JSON object, got {json_type_name(data)}")
        raise ValidationError(slug, [issue])
    return data


def load_body(slug: str, *, body: str | None, body_file: str | None, stdin: bool) -> dict[str, Any]:
    """Exactly one of ``--body``, ``--body-file`` or ``-`` gives the body."""
    given = [
        name for name, on in (("--body", body is not None), ("--body-file", body_file is not None), ("-", stdin)) if on
    ]
    if len(given) != 1:
        which = " and ".join(given) if given else "none"
        raise CLIError(
            "UsageError",
            f"give exactly one request body: --body JSON, --body-file FILE or - (stdin); got {which}",
            ExitCode.USAGE,
        )
    if body is not None:
        return dict(local_files(parse_body(body, "--body", slug)))
    text, label = read_source(body_file if body_file is not None else "-")
    return dict(local_files(parse_body(text, label, slug)))


def local_files(body: Any, path: str = "") -> Any:
    """``"@path"`` strings naming an existing file -> that file (uploaded by the client before the POST).

    Any other ``@...`` string stays text (a prompt may start with ``@``), except one that looks like an
    image path (no spaces, an image suffix) but names no file: that is a usage error naming the field."""
    if isinstance(body, str) and body.startswith("@") and len(body) > 1:
        target = Path(body[1:]).expanduser()
        if target.is_file():
            return target
        if not any(c.isspace() for c in body) and target.suffix.lower() in IMAGE_SUFFIXES:
            raise CLIError("InputError", f"{path or 'body'}: no such file {body[1:]!r} (from {body!r})",
                           ExitCode.USAGE, field=path)
        return body
    if isinstance(body, dict):
        return {k: local_files(v, f"{path}.{k}" if path else str(k)) for k, v in body.items()}
    if isinstance(body, list):
        return [local_files(v, f"{path}[{i}]") for i, v in enumerate(body)]
    return body
