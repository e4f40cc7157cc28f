"""Spec ``pattern``s on a linear-time engine (RE2), so a hostile or careless page can never hang validation.

Python's ``re`` backtracks: ``^(a+)+$`` takes seconds to reject a 29-character value and doubles with every
character. RE2 (``google-re2``) matches in time linear in the input, and its syntax is close to the ECMA-262
regexes JSON Schema specifies (``$`` does not match before a trailing newline, ``\\d`` is ASCII).

RE2 lacks a few constructs (lookarounds, backreferences, atomic groups, possessive quantifiers). For those the
generator decides, from the pattern alone, whether Python's ``re`` is safe (:func:`backtracking_safe`: no
repetition of something that itself repeats or branches); the generated module records that decision:

- RE2 accepts the pattern: RE2 runs it (the normal case);
- RE2 rejects it and backtracking is bounded: Python ``re`` runs it;
- otherwise the pattern is not checked locally (the API still checks it): never a hang, never a false reject.

``codegen generate`` names every pattern on the fallback or unchecked in its output. Compilation happens on
first use, so importing a model class never loads RE2.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

Engine = Literal["re2", "re", "unchecked"]

_MAX_REPEAT_SAFE: Final = 1
"""A repetition whose upper bound exceeds this may not contain another repetition, a branch or a backreference."""


class Pattern:
    """One spec pattern, compiled on first :meth:`search` by the engine described in the module docstring.

    ``pattern`` is the source text (error messages quote it, like ``re.Pattern.pattern``).
    """

    __slots__ = ("pattern", "backtracking_safe", "_search", "_engine")

    def __init__(self, pattern: str, *, backtracking_safe: bool) -> None:
        self.pattern: str = pattern
        self.backtracking_safe: bool = backtracking_safe
        self._search: Any = None
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """Which engine runs this pattern (compiles it if needed)."""
        if self._engine is None:
            self._compile()
        assert self._engine is not None
        return self._engine

    def matches(self, value: str) -> bool:
        """``re.search`` semantics: the pattern may match anywhere unless it anchors itself."""
        search = self._search
        if search is None:
            search = self._compile()
        try:
            return bool(search(value) is not None)
        except UnicodeEncodeError:  # RE2 reads UTF-8: a lone surrogate (refused as not JSON) matches as U+FFFD
            return bool(search(_LONE_SURROGATE.sub("\ufffd", value)) is not None)

    def _compile(self) -> Any:
        compiled = compile_re2(self.pattern)
        if compiled is not None:
            self._engine, self._search = "re2", compiled.search
        elif self.backtracking_safe:
            self._engine, self._search = "re", re.compile(self.pattern).search
        else:
            self._engine, self._search = "unchecked", _always
        return self._search

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"


_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _always(value: str) -> str:
    return value


def compile_re2(pattern: str) -> Any:
    """The RE2 regex of ``pattern``, or None when RE2 does not support one of its constructs."""
    import re2  # type: ignore[import-untyped]  # loaded on the first pattern check, not at a model's import

    options = re2.Options()
    options.log_errors = False  # a rejected pattern is a decision, not an error to print
    try:
        return re2.compile(pattern, options=options)
    except re2.error:
        return None


def engine_for(pattern: str) -> Engine:
    """What :class:`Pattern` will use for ``pattern`` (the generator reports this per pattern)."""
    if compile_re2(pattern) is not None:
        return "re2"
    return "re" if backtracking_safe(pattern) else "unchecked"


def backtracking_safe(pattern: str) -> bool:
    """True when Python's backtracking ``re`` runs ``pattern`` in polynomial time: no unbounded repetition
    contains a repetition, an alternation or a backreference (the shapes of catastrophic backtracking).
    False also for a pattern Python cannot parse."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern)
    except (re.error, ImportError, AttributeError, RecursionError):
        return False
    return _safe(list(tree), inside_repeat=False)


_REPEATS: Final = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_RISKY_INSIDE_REPEAT: Final = frozenset({"BRANCH", "GROUPREF", "GROUPREF_EXISTS"})


def _safe(items: list[Any], *, inside_repeat: bool) -> bool:
    for op, av in items:
        name = str(op)
        if name in _REPEATS:
            low, high, body = av
            repeats = high > _MAX_REPEAT_SAFE
            if inside_repeat and repeats:
                return False
            if not _safe(list(body), inside_repeat=inside_repeat or repeats):
                return False
        elif inside_repeat and name in _RISKY_INSIDE_REPEAT:
            return False
        elif name == "BRANCH":
            if not all(_safe(list(branch), inside_repeat=inside_repeat) for branch in av[1]):
                return False
        elif name == "SUBPATTERN":
            if not _safe(list(av[-1]), inside_repeat=inside_repeat):
                return False
        elif name in ("ASSERT", "ASSERT_NOT"):
            if not _safe(list(av[1]), inside_repeat=inside_repeat):
                return False
        elif name == "ATOMIC_GROUP":
            if not _safe(list(av), inside_repeat=inside_repeat):
                return False
        elif name == "GROUPREF_EXISTS":
            _, yes, no = av
            if not _safe(list(yes), inside_repeat=inside_repeat) or (no and not _safe(list(no), inside_repeat=False)):
                return False
    return True
