"""Find the OpenAPI document embedded in a doc page.

Mintlify renders it as a four-backtick fence whose info string names the spec file and the operation:
````yaml model-api/google/google-t2i.json post /imagen-4.0-generate-001/async
"""

from __future__ import annotations

import re

import attrs

from modellix_typed.codegen.failures import PageError, Reason

_OPEN = re.compile(r"^````yaml[ \t]+(?P<spec>\S+)[ \t]+(?P<method>[A-Za-z]+)[ \t]+(?P<path>/\S*)[ \t]*$", re.MULTILINE)
_CLOSE = re.compile(r"^````[ \t]*$", re.MULTILINE)
_H1 = re.compile(r"^#[ \t]+(?P<title>.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_QUOTE = re.compile(r"^>[ \t]?(?P<text>.*)$")


@attrs.frozen
class SpecFence:
    spec_file: str
    method: str  # upper case
    path: str
    body: str


def extract_fence(markdown: str) -> SpecFence:
    """Exactly one spec fence is required: none or several is a PageError, never a guess."""
    opens = list(_OPEN.finditer(markdown))
    if not opens:
        raise PageError(Reason.NO_FENCE, "no ````yaml <spec-file> <method> <path> fence")
    if len(opens) > 1:
        infos = "; ".join(m.group(0).strip("`").strip() for m in opens)
        raise PageError(Reason.MULTIPLE_FENCES, f"{len(opens)} spec fences: {infos}")
    start = opens[0]
    close = _CLOSE.search(markdown, start.end())
    if close is None:
        raise PageError(Reason.NO_FENCE, "spec fence is never closed")
    return SpecFence(
        spec_file=start.group("spec"),
        method=start.group("method").upper(),
        path=start.group("path"),
        body=markdown[start.end() : close.start()].strip("\n") + "\n",
    )


def page_title(markdown: str) -> str | None:
    """The page's H1 outside the fence."""
    found = _H1.search(markdown.split("````", 1)[0])
    return found.group("title") if found else None


def page_summary(markdown: str) -> str | None:
    """The first blockquote after the H1 (Mintlify's description line)."""
    head = markdown.split("````", 1)[0]
    h1 = _H1.search(head)
    if h1 is None:
        return None
    lines: list[str] = []
    for line in head[h1.end() :].splitlines():
        quoted = _QUOTE.match(line)
        if quoted:
            lines.append(quoted.group("text").strip())
        elif lines:
            break
    text = " ".join(part for part in lines if part)
    return text or None
