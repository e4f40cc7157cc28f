"""Where the API key could leak to: captured log lines and everything a caller might print about an error."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

LOGGERS = ("modellix_typed", "httpx", "httpcore")


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs(names: Sequence[str] = LOGGERS) -> Iterator[list[str]]:
    """Every record of ``names`` at DEBUG (with tracebacks), whatever the global logging setup."""
    handler = _LogCapture()
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(level)


def error_texts(exc: BaseException) -> list[str]:
    """Everything a caller might print or log about an error: str, repr, traceback, detail attributes."""
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for name in ("body", "partial", "result", "reason", "message", "detail"):
        value = getattr(exc, name, None)
        if value is not None:
            texts.append(repr(value))
    return texts


def key_in(texts: Sequence[str], where: str, key: str) -> list[str]:
    return [f"API key found in {where}: {text[:120]!r}" for text in texts if key in text]
