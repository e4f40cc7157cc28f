"""Rules stated only in words: extract them from a request schema's descriptions, deterministically.

Each description is split into sentences; a sentence that matches one of the patterns below becomes one or more
rule dicts (format: ``modellix_typed/codegen/SPEC_FORMAT.md``, "rules"), each keeping the sentence it came from. Extraction is
conservative: a sentence naming a field the schema does not document, or worded in a way no pattern fully
understands, makes no rule; it is only classified (:func:`classify_sentences`) for the coverage report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

JSON = Any
RULE_KINDS = (
    "pixels",
    "aspect_ratio",
    "side",
    "multiple_of",
    "requires",
    "excludes",
    "exactly_one",
    "at_least_one",
    "when",
)

_SENTENCE_END = re.compile(r"(?<!e\.g\.)(?<!i\.e\.)(?<!approx\.)(?<=[.!?])\s+(?=\S)")
_LABEL = re.compile(r"^(?:[A-Z][A-Za-z ]{0,30}:\s+)+")  # "Constraints: ", "Conditional rules: " lead-ins
_MARKUP = re.compile(r"\*\*|`")
_INT = r"\d[\d,]*"
_DIMS = rf"({_INT})\s*[×xX*]\s*({_INT})"
_RATIO = r"(\d+(?:\.\d+)?)(?:\s*[:/]\s*(\d+(?:\.\d+)?))?"
_TO = r"\s*(?:and|to|-|–|~)\s*"
_PIXELS_DIMS = re.compile(rf"total pixels?\s*(?:between|from|in|:)?\s*\[?\s*{_DIMS}{_TO}{_DIMS}", re.IGNORECASE)
_PIXELS_PLAIN = re.compile(rf"total pixels?\s*(?:between|from|in|:)?\s*({_INT}){_TO}({_INT})\b", re.IGNORECASE)
_ASPECT = re.compile(rf"aspect ratio\s*(?:between|from|in|of|:)?\s*{_RATIO}{_TO}{_RATIO}", re.IGNORECASE)
_SIDES = re.compile(rf"width and height\s*(?:both\s*)?(?:in|between)\s*\[\s*({_INT})\s*,\s*({_INT})\s*\]", re.IGNORECASE)
_DIVISIBLE = re.compile(r"(?:divisible by|a multiple of)\s*(\d+)", re.IGNORECASE)
_NAME_LIST = r"([`'\"]?[A-Za-z_][\w]*[`'\"]?(?:\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+)[`'\"]?[A-Za-z_][\w]*[`'\"]?)*)"
_NAMES = (
    r"([`'\"]?[A-Za-z_][\w]*[`'\"]?(?:\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+)[`'\"]?[A-Za-z_][\w]*[`'\"]?)*)"
    r"(?=\s*(?:[.,;:()-]|$))"  # the list ends the clause: "with image mode" names no field
)
_USED_WITH = re.compile(rf"\bmust be used with\s+{_NAMES}", re.IGNORECASE)
_REQUIRES = re.compile(rf"^requires\s+{_NAMES}\s*(?:\(cannot be used alone\))?\.?$", re.IGNORECASE)
_EXCLUSIVE = re.compile(rf"(?:mutually exclusive with|cannot be combined with|do not use together with)\s+{_NAMES}", re.IGNORECASE)
_EXACTLY_ONE = re.compile(r"exactly one (?:of them )?must be provided", re.IGNORECASE)
_AT_LEAST_ONE = re.compile(
    rf"at least one (?:of|media parameter)\s*\(?\s*{_NAME_LIST}\s*\)?\s*(?:must be provided|is required|required)",
    re.IGNORECASE,
)
_WHEN_VALUE = re.compile(r"^when\s+([A-Za-z_]\w*)\s*=\s*(-?\w+(?:\.\d+)?)\s*,\s*(.+)$", re.IGNORECASE)
_WHEN_PROVIDED = re.compile(r"^when\s+(?:([A-Za-z_]\w*)\s+is\s+)?provided\s*,\s*(.+)$", re.IGNORECASE)
_WHEN_USING_THIS = re.compile(r"^(.+?)\s+when using this parameter\.?$", re.IGNORECASE)
_REQUIRED_WHEN = re.compile(r"^required when\s+([A-Za-z_]\w*)\s+is\s+(-?[\w]+(?:\.\d+)?)\.?$", re.IGNORECASE)
_REMAIN_WHENEVER = re.compile(r"^must remain\s+(-?\w+(?:\.\d+)?)\s+whenever\s+([A-Za-z_]\w*)\s+is provided\.?$", re.IGNORECASE)
# value-to-value conditionals between a duration and a resolution field
_SECONDS_ONLY = re.compile(r"\b(\d+)\s*seconds?(?:\s+duration)?\s+only supports\s+(\w+)", re.IGNORECASE)
_ONLY_SECONDS = re.compile(r"\b(\w+)\s+only supports\s+(\d+)\s*seconds?\b", re.IGNORECASE)
_ONLY_FOR_DURATION = re.compile(
    r"^(\w+(?:(?:,\s*|\s+and\s+|\s+or\s+)\w+)*)\s+(?:is|are)\s+only available for\s+(\d+)-second duration",
    re.IGNORECASE,
)
_CLAUSE_PRESENT = re.compile(r"^([A-Za-z_]\w*)\s+is\s+(?:still\s+)?required$", re.IGNORECASE)
_CLAUSE_ABSENT = re.compile(r"^([A-Za-z_]\w*)\s+must be omitted$", re.IGNORECASE)
_CLAUSE_VALUE = re.compile(r"^([A-Za-z_]\w*)\s+must (?:be|remain)\s+([\w.-]+)$", re.IGNORECASE)

# What makes a sentence "constraint-like" (counted by the coverage report) and what makes one informational:
# facts about remote files or outcomes that cannot be checked offline, or soft wording that rejects nothing.
_CONSTRAINT_WORDS = re.compile(
    r"\b(must|cannot|can ?not|required|requires?|only|exclusive|at least|at most|between|range|divisible|"
    r"multiple of|maximum|minimum|max|min|limit(?:ed)?|not supported?|does not support|combined|when|unless|"
    r"exactly|fixed|up to)\b|[≤≥<>]",
    re.IGNORECASE,
)
_INFORMATIONAL = re.compile(
    r"\b(file size|\d+\s*[KM]B|format|formats|jpe?g|png|webp|mp4|fps|frame rate|duration:|seconds? long|"
    r"publicly accessible|recommended|truncat|ignored|takes priority|only effective|auto-?cropped|"
    r"processing time|valid for|short side|long side|short edge|resolution:|minimum resolution|"
    r"do not include|non-ascii|chinese|characters\)|best with|approx|exclusive feature|only supported by|"
    r"cannot guarantee|upper limit|camera control instructions)\b|^(?:supports|whether|example:)\b",
    re.IGNORECASE,
)


@attrs.frozen
class Sentence:
    """One sentence of a description: which property it describes (``""`` for the body) and its text."""

    field: str
    text: str


def split_sentences(text: str) -> list[str]:
    """Sentences of one description, markup (``**``, backticks) removed, whitespace collapsed."""
    clean = re.sub(r"\s+", " ", _MARKUP.sub("", text)).strip()
    return [part.strip() for part in _SENTENCE_END.split(clean) if part.strip()]


def sentences_of(schema: Mapping[str, JSON], body_notes: str | None = None) -> list[Sentence]:
    """Every sentence of the root and top-level property descriptions (rules relate top-level fields)."""
    found: list[Sentence] = []
    seen: set[tuple[str, str]] = set()

    def add(field: str, description: object) -> None:
        if not isinstance(description, str):
            return
        for text in split_sentences(description):
            if (field, text) not in seen:
                seen.add((field, text))
                found.append(Sentence(field, text))

    add("", schema.get("description"))
    add("", body_notes)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name in _ordered(schema):
            node = properties[name]
            if isinstance(node, Mapping):
                add(name, node.get("description"))
                items = node.get("items")
                if isinstance(items, Mapping):
                    add(name, items.get("description"))
    return found


def _ordered(schema: Mapping[str, JSON]) -> list[str]:
    properties = schema.get("properties") or {}
    order = [name for name in schema.get("x-order") or [] if name in properties]
    return order + sorted(name for name in properties if name not in order)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _ratio(head: str, tail: str | None) -> float | None:
    low = float(head)
    if tail is None:
        return low
    denominator = float(tail)
    return low / denominator if denominator else None


def _names(text: str) -> list[str]:
    return [part.strip("`'\" ") for part in re.split(r",\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+", text) if part]


def is_size_field(name: str, node: Mapping[str, JSON]) -> bool:
    """A free-form ``W*H``/``WxH`` string: its description or documented values say so."""
    if node.get("type") not in ("string", None) or "enum" in node:
        return False
    text = str(node.get("description") or "").lower()
    samples = [node.get("default"), node.get("example")]
    said = "width*height" in text or "widthxheight" in text or "width x height" in text
    shaped = any(isinstance(s, str) and re.fullmatch(r"\d+\s*[*x×]\s*\d+", s) for s in samples)
    return said or (shaped and bool(re.search(r"size|resolution", name, re.IGNORECASE)))


@attrs.define
class _Extractor:
    """Rules of one request schema; ``rules`` keyed by id (first sentence wins, so re-crawls are stable)."""

    schema: Mapping[str, JSON]
    rules: dict[str, dict[str, JSON]] = attrs.field(factory=dict)

    @property
    def properties(self) -> Mapping[str, Mapping[str, JSON]]:
        props = self.schema.get("properties")
        return props if isinstance(props, Mapping) else {}

    def known(self, names: list[str]) -> bool:
        return bool(names) and all(name in self.properties for name in names)

    def documented(self, names: list[str]) -> list[str]:
        return [name for name in names if name in self.properties]

    def add(self, rule: dict[str, JSON]) -> None:
        self.rules.setdefault(rule_id(rule), rule)

    def sentence(self, sentence: Sentence) -> int:
        """Rules made from one sentence (how many were added or already known)."""
        before = len(self.rules)
        made = list(self._rules_of(sentence))
        for rule in made:
            self.add(rule)
        return len(made) if made else len(self.rules) - before

    def _rules_of(self, sentence: Sentence) -> Iterator[dict[str, JSON]]:
        field, text = sentence.field, _LABEL.sub("", sentence.text)
        base = {"sentence": sentence.text, "source": field}
        node = self.properties.get(field, {}) if field else {}
        if field and is_size_field(field, node):
            yield from self._size_rules(field, text, base)
        if field and node.get("type") == "integer" and (match := _DIVISIBLE.search(text)):
            yield {**base, "kind": "multiple_of", "fields": [field], "divisor": int(match.group(1))}
        if field and (match := _USED_WITH.search(text)) and self.known(names := _names(match.group(1))):
            yield {**base, "kind": "requires", "fields": [field, *names]}
        if field and (match := _REQUIRES.match(text)) and self.known(names := _names(match.group(1))):
            yield {**base, "kind": "requires", "fields": [field, *names]}
        if field and (match := _EXCLUSIVE.search(text)) and (names := self.documented(_names(match.group(1)))):
            # "a is mutually exclusive with b and c": a excludes each; a name the schema lacks is dropped
            kind = "exactly_one" if _EXACTLY_ONE.search(text) else "excludes"
            fields = sorted([field, *names]) if kind == "exactly_one" else [field, *names]
            yield {**base, "kind": kind, "fields": fields}
        if (match := _AT_LEAST_ONE.search(text)) and self.known(names := _names(match.group(1))):
            yield {**base, "kind": "at_least_one", "fields": sorted(names)}
        yield from self._conditionals(field, text, base)
        yield from self._duration_resolution(text, base)

    def _size_rules(self, field: str, text: str, base: dict[str, JSON]) -> Iterator[dict[str, JSON]]:
        if match := _PIXELS_DIMS.search(text):
            a, b, c, d = (_int(group) for group in match.groups())
            if a * b <= c * d:
                yield {**base, "kind": "pixels", "fields": [field], "min": a * b, "max": c * d}
        elif match := _PIXELS_PLAIN.search(text):
            low, high = _int(match.group(1)), _int(match.group(2))
            if low <= high:
                yield {**base, "kind": "pixels", "fields": [field], "min": low, "max": high}
        if match := _ASPECT.search(text):
            least, most = _ratio(match.group(1), match.group(2)), _ratio(match.group(3), match.group(4))
            if least is not None and most is not None and least <= most:
                yield {**base, "kind": "aspect_ratio", "fields": [field], "min": least, "max": most}
        if match := _SIDES.search(text):
            low, high = _int(match.group(1)), _int(match.group(2))
            if low <= high:
                yield {**base, "kind": "side", "fields": [field], "min": low, "max": high}

    def _conditionals(self, field: str, text: str, base: dict[str, JSON]) -> Iterator[dict[str, JSON]]:
        if match := _WHEN_VALUE.match(text):
            when = self.value(match.group(1), match.group(2))
            if when is not None:
                yield from self._clauses(match.group(1), [when[0]], match.group(3), base)
        elif match := _WHEN_PROVIDED.match(text):
            subject = match.group(1) or field
            if subject:
                yield from self._clauses(subject, None, match.group(2), base)
        elif field and (match := _WHEN_USING_THIS.match(text)):
            yield from self._clauses(field, None, match.group(1), base)
        elif field and (match := _REQUIRED_WHEN.match(text)):
            when = self.value(match.group(1), match.group(2))
            if when is not None:
                yield self._when(match.group(1), [when[0]], field, "present", None, base)
        elif field and (match := _REMAIN_WHENEVER.match(text)):
            value = self.value(field, match.group(1))
            if value is not None and match.group(2) in self.properties:
                yield self._when(match.group(2), None, field, "one_of", [value[0]], base)

    def _named(self, word: str) -> str | None:
        """The one top-level property whose name contains ``word`` (None: none or several)."""
        found = [name for name in self.properties if word in name.lower()]
        return found[0] if len(found) == 1 else None

    def _duration_resolution(self, text: str, base: dict[str, JSON]) -> Iterator[dict[str, JSON]]:
        """``10 seconds only supports 768P`` / ``1080P only supports 6 seconds`` / ``1080p and 4k are only
        available for 8-second duration``: a value of one field allows one value of the other."""
        duration, resolution = self._named("duration"), self._named("resolution")
        if duration is None or resolution is None:
            return
        pairs: list[tuple[str, list[str], str, str]] = []  # (trigger field, trigger words, target field, word)
        pairs += [(duration, [m.group(1)], resolution, m.group(2)) for m in _SECONDS_ONLY.finditer(text)]
        pairs += [(resolution, [m.group(1)], duration, m.group(2)) for m in _ONLY_SECONDS.finditer(text)]
        if match := _ONLY_FOR_DURATION.match(text):
            pairs.append((resolution, _names(match.group(1)), duration, match.group(2)))
        for trigger, words, target, word in pairs:
            when = [self.value(trigger, item) for item in words]
            value = self.value(target, word)
            if value is not None and when and all(item is not None for item in when):
                values = [item[0] for item in when if item is not None]
                yield self._when(trigger, values, target, "one_of", [value[0]], base)

    def _clauses(
        self, subject: str, when: list[JSON] | None, text: str, base: dict[str, JSON]
    ) -> Iterator[dict[str, JSON]]:
        if subject not in self.properties:
            return
        for clause in re.split(r"\s*(?:,\s*and|,|\band)\s+", text.rstrip(". ")):
            if match := _CLAUSE_PRESENT.match(clause):
                target, then, values = match.group(1), "present", None
            elif match := _CLAUSE_ABSENT.match(clause):
                target, then, values = match.group(1), "absent", None
            elif (match := _CLAUSE_VALUE.match(clause)) and (value := self.value(match.group(1), match.group(2))):
                target, then, values = match.group(1), "one_of", [value[0]]
            else:
                continue
            if target in self.properties and target != subject:
                yield self._when(subject, when, target, then, values, base)

    def _when(
        self,
        subject: str,
        when: list[JSON] | None,
        target: str,
        then: str,
        values: list[JSON] | None,
        base: dict[str, JSON],
    ) -> dict[str, JSON]:
        rule: dict[str, JSON] = {**base, "kind": "when", "fields": [subject, target], "then": then}
        if when is not None:
            rule["when_values"] = when
        if values is not None:
            rule["values"] = values
        return rule

    def value(self, field: str, word: str) -> tuple[JSON] | None:
        """``word`` as a value of ``field``'s documented type (a 1-tuple), or None when it can't be one."""
        node = self.properties.get(field)
        if not isinstance(node, Mapping):
            return None
        kind = node.get("type")
        candidate: JSON
        if kind == "boolean" and word.lower() in ("true", "false"):
            candidate = word.lower() == "true"
        elif kind == "integer" and re.fullmatch(r"-?\d+", word):
            candidate = int(word)
        elif kind == "number" and re.fullmatch(r"-?\d+(?:\.\d+)?", word):
            candidate = float(word) if "." in word else int(word)
        elif kind == "string":
            candidate = word
        else:
            return None
        enum = node.get("enum")
        if isinstance(enum, list) and candidate not in enum:
            return None
        return (candidate,)


def rule_id(rule: Mapping[str, JSON]) -> str:
    """Stable key of a rule (what the review overlay names): kind, fields, and the trigger values of a ``when``."""
    key = f"{rule['kind']}:{'+'.join(str(f) for f in rule['fields'])}"
    if rule["kind"] == "when":
        when = rule.get("when_values")
        key += f"={'|'.join(_word(v) for v in when)}" if when is not None else ""
        key += f":{rule['then']}"
    return key


def _word(value: JSON) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def extract_rules(schema: Mapping[str, JSON] | None, body_notes: str | None = None) -> list[dict[str, JSON]]:
    """The rules a request schema's prose states, each with its sentence, sorted by id (deterministic)."""
    if not isinstance(schema, Mapping):
        return []
    extractor = _Extractor(schema)
    for sentence in sentences_of(schema, body_notes):
        extractor.sentence(sentence)
    return [{**rule, "id": key, "origin": "prose"} for key, rule in sorted(extractor.rules.items())]


def classify_sentences(schema: Mapping[str, JSON] | None, body_notes: str | None = None) -> list[dict[str, JSON]]:
    """Every constraint-like sentence as ``rule`` / ``informational`` / ``not_understood`` (coverage report)."""
    if not isinstance(schema, Mapping):
        return []
    extractor = _Extractor(schema)
    out: list[dict[str, JSON]] = []
    for sentence in sentences_of(schema, body_notes):
        if not _CONSTRAINT_WORDS.search(sentence.text):
            continue
        made = list(extractor._rules_of(sentence))
        if made:
            verdict = "rule"
        elif _INFORMATIONAL.search(sentence.text) or _already_enforced(schema, extractor.properties, sentence):
            verdict = "informational"
        else:
            verdict = "not_understood"
        out.append({"field": sentence.field, "sentence": sentence.text, "class": verdict})
    return out


def _in_schema(node: Mapping[str, JSON] | None, sentence: Sentence) -> bool:
    """The sentence restates a bound or option list the schema itself enforces (``Range: 0.0-1.0``)."""
    if not isinstance(node, Mapping):
        return False
    keywords = {"minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "enum", "exclusiveMinimum"}
    if not keywords & set(node):
        return False
    return bool(re.search(r"range|between|up to|max|min|options?|\d\s*-\s*\d|only|fixed|limited to|exactly", sentence.text, re.I))


_UNSUPPORTED = re.compile(r"does not support:?\s*(.+?)(?:\s+parameters?)?(?:\s*\(.*)?\.?$", re.IGNORECASE)
_CONDITION_WORDS = re.compile(r"\b(unless|when|whenever|if|only)\b", re.IGNORECASE)


def _already_enforced(
    schema: Mapping[str, JSON], properties: Mapping[str, Mapping[str, JSON]], sentence: Sentence
) -> bool:
    """The sentence restates what the schema itself enforces: a required field, a bound or option list, or
    fields it does not support (undocumented fields are rejected anyway)."""
    text = sentence.text
    if _in_schema(properties.get(sentence.field), sentence):
        return True
    required = set(schema.get("required") or [])
    named = [name for name in properties if re.search(rf"\b{re.escape(name.replace('_', ' '))}\b|\b{name}\b", text, re.I)]
    if re.search(r"\brequired\b", text, re.I) and not _CONDITION_WORDS.search(text):
        targets = [sentence.field] if sentence.field else named
        if targets and all(name in required for name in targets):
            return True
    if (match := _UNSUPPORTED.search(text)) and not any(name in properties for name in _names(match.group(1))):
        return True
    return not sentence.field and any(_in_schema(properties[name], sentence) for name in named)
