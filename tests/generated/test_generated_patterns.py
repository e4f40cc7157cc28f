"""Spec patterns run in linear time (RE2); what RE2 can't run falls back to Python ``re`` only when backtracking
is bounded, else is left to the API; the generate command names every pattern not on RE2."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from modellix_typed.codegen.cli import main as codegen_cli
from modellix_typed.patterns import Pattern, backtracking_safe, engine_for
from modellix_typed.validation import Issue, check_pattern

from .conftest import FIXTURE_SPECS, REPO

REDOS = "^(a+)+$"
LOOKAHEAD = r"^(?=.*\d)[a-z\d]+$"  # RE2 has no lookarounds; no nested repetition: Python re is safe
UNSAFE_LOOKAHEAD = r"^(?=a)(a+)+$"  # RE2 can't, and Python re would backtrack exponentially


def write_specs(root: Path, patterns: dict[str, str]) -> Path:
    """A one-model spec snapshot (keyword-zoo's envelope) whose string fields carry ``patterns``."""
    base = json.loads((FIXTURE_SPECS / "acme" / "keyword-zoo.json").read_text(encoding="utf-8"))
    spec = copy.deepcopy(base)
    spec["request_schema"] = {
        "type": "object",
        "properties": {name: {"type": "string", "pattern": p} for name, p in patterns.items()},
    }
    index = json.loads((FIXTURE_SPECS / "index.json").read_text(encoding="utf-8"))
    index["models"] = [entry for entry in index["models"] if entry["slug"] == "acme/keyword-zoo"]
    (root / "acme").mkdir(parents=True)
    (root / "acme" / "keyword-zoo.json").write_text(json.dumps(spec), encoding="utf-8")
    (root / "index.json").write_text(json.dumps(index), encoding="utf-8")
    return root


def generate(tmp_path: Path, patterns: dict[str, str]) -> tuple[Path, str]:
    specs = write_specs(tmp_path / "specs", patterns)
    out = tmp_path / "pkg" / "redos_gen"
    result = CliRunner().invoke(codegen_cli, ["generate", "--specs", str(specs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return tmp_path / "pkg", result.output


def run_generated(root: Path, code: str, timeout: float) -> str:
    """Run ``code`` in a fresh interpreter that can import the generated package ``redos_gen``."""
    prelude = f"import sys; sys.path[:0] = [{str(root)!r}, {str(REPO)!r}]\n"
    prelude += "from redos_gen.models.acme import KeywordZoo\nfrom modellix_typed import ValidationError\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_catastrophic_pattern_rejects_a_long_value_without_hanging(tmp_path: Path) -> None:
    """``^(a+)+$`` vs 40 a's and a '!': Python's backtracking re needs hours (9 s at 29 characters, doubling
    per character); RE2 answers at once. The bound is a generous subprocess timeout, not a speed assertion."""
    root, _ = generate(tmp_path, {"code": REDOS})
    code = """
try:
    KeywordZoo.from_dict({"code": "a" * 40 + "!"})
except ValidationError as exc:
    print([(i.path, i.rule, i.message) for i in exc.issues])
print(KeywordZoo.from_dict({"code": "a" * 40}).to_dict() == {"code": "a" * 40})
"""
    lines = run_generated(root, code, timeout=60).splitlines()
    assert lines == [str([("code", "pattern", f"must match the pattern {REDOS!r}")]), "True"]


def test_fallbacks_are_decided_per_pattern_and_reported(tmp_path: Path) -> None:
    root, output = generate(tmp_path, {"code": REDOS, "digits": LOOKAHEAD, "risky": UNSAFE_LOOKAHEAD})
    assert "patterns: 1 of 3 run on RE2 (linear time)" in output
    assert f"pattern not on RE2: acme/keyword-zoo: re: {LOOKAHEAD!r}" in output
    assert f"pattern not on RE2: acme/keyword-zoo: unchecked: {UNSAFE_LOOKAHEAD!r}" in output
    code = """
def rules(body):
    try:
        KeywordZoo.from_dict(body)
    except ValidationError as exc:
        return [(i.path, i.rule) for i in exc.issues]
    return []
print(rules({"digits": "abc1"}), rules({"digits": "abc"}), rules({"risky": "a" * 40 + "!"}))
"""
    assert run_generated(root, code, timeout=60).split() == ["[]", "[('digits',", "'pattern')]", "[]"]


def test_engine_choice() -> None:
    assert engine_for(REDOS) == "re2"
    assert engine_for(LOOKAHEAD) == "re"
    assert engine_for(UNSAFE_LOOKAHEAD) == "unchecked"
    assert engine_for(r"(a)\1") == "re"  # a backreference outside any repetition is bounded
    assert engine_for(r"(a)(?:x\1)*") == "unchecked"


@pytest.mark.parametrize(
    ("pattern", "safe"),
    [
        ("^[a-z]+$", True),
        ("^(ab){2,}x$", True),
        ("a*b*c*", True),
        ("(?=x)a{1,3}", True),
        ("^(a+)+$", False),
        ("^(a|aa)*$", False),
        ("^(?:x(?:y*))+$", False),
        ("(?<=a)(b|c)+", True),  # b|c parses as the class [bc]
        ("(?<=a)(b|bc)+", False),
        ("(unclosed", False),
    ],
)
def test_backtracking_safe(pattern: str, safe: bool) -> None:
    assert backtracking_safe(pattern) is safe


def test_re2_follows_json_schema_regex_semantics() -> None:
    """ECMA-262 (what JSON Schema specifies): ``$`` does not match before a trailing newline; search anywhere."""
    issues: list[Issue] = []
    anchored = Pattern("^<[a-z-]+>$", backtracking_safe=True)
    for value in ("<ab>", "<ab>\n", "x<ab>"):
        check_pattern(value, "style", anchored, issues)
    found = [(i.path, i.rule, i.value) for i in issues]
    assert found == [("style", "pattern", "<ab>\n"), ("style", "pattern", "x<ab>")]
    assert Pattern("b+", backtracking_safe=True).matches("abbc")
    assert anchored.engine == "re2"


def test_a_lone_surrogate_gets_a_pattern_verdict_not_an_encoding_error() -> None:
    """RE2 reads UTF-8, which a lone surrogate has no form in: it matches as U+FFFD, one character for one (the
    JSON check refuses the value separately), so validation never leaks a UnicodeEncodeError."""
    issues: list[Issue] = []
    three = Pattern("^[a-z]\\W[a-z]$", backtracking_safe=True)
    assert three.engine == "re2"
    check_pattern("a\ud800b", "code", three, issues)  # three characters: one of them not a word character
    check_pattern("a\udc00", "code", three, issues)
    assert [(i.path, i.rule, i.value) for i in issues] == [("code", "pattern", "a\udc00")]


def test_patterns_compile_on_first_use_only() -> None:
    """Building a Pattern (what importing a model does) loads no regex engine."""
    code = "import sys; from modellix_typed.patterns import Pattern; Pattern('^a+$', backtracking_safe=True)\n"
    code += "print('re2' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.stdout.strip() == "False", done.stderr
