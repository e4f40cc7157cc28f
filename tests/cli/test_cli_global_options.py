"""Global options mean global (before or after the subcommand), the base URL is an origin, --help is cheap,
and the messages lead somewhere: CLI ways only, exact numbers, one "got" per line."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from modellix_typed.cli import COMMANDS, SUMMARIES
from modellix_typed.cli import cli as group
from modellix_typed.emulator import RunningEmulator

from .conftest import KEY, cli

SLUG = "google/nano-banana"
BODY = json.dumps({"prompt": "a cat"})


def _before_after(option: list[str], *command: str) -> tuple[list[str], list[str]]:
    return [*option, *command], [*command, *option]


@pytest.mark.parametrize("position", ["before", "after"])
def test_output_options_work_before_or_after_the_subcommand(position: str) -> None:
    for option, check in (
        (["--json"], lambda out: json.loads(out)["ok"] is True),
        (["-q"], lambda out: out.splitlines()[0] == "google/imagen-4.0-fast-generate-001"),
        (["--no-color"], lambda out: "\x1b" not in out and "google/" in out),
        (["-v"], lambda out: "google/" in out),
    ):
        before, after = _before_after(option, "models", "list", "--provider", "google")
        result = cli(*(before if position == "before" else after))
        assert result.code == 0 and check(result.out), (option, result.out, result.err)


@pytest.mark.parametrize("position", ["before", "after"])
def test_base_url_and_profile_before_or_after_the_subcommand(
    emulator: RunningEmulator, position: str
) -> None:
    env = {"MODELLIX_API_KEY": KEY}
    created = emulator.stats()["tasks_created"]
    options = ["--base-url", emulator.base_url, "--profile", "nobody", "--json"]
    before, after = _before_after(options, "run", SLUG, "--body", BODY, "--no-wait")
    result = cli(*(before if position == "before" else after), env=env)
    assert result.code == 0, result.out + result.err
    assert emulator.stats()["tasks_created"] == created + 1  # sent to the emulator named by the option
    both = cli("--base-url", "http://127.0.0.1:9", "task", "get", result.json()["task_id"], "--base-url",
               emulator.base_url, "--json", env=env)  # the one after the subcommand wins
    assert both.code == 0, both.out + both.err


@pytest.mark.parametrize(
    ("url", "has"),
    [("/api/v1", "a path"), ("/?x=1", "a query"), ("#top", "a fragment"), ("/v1?x=1", "a path and a query")],
)
def test_a_base_url_that_is_not_an_origin_is_a_usage_error_before_anything_is_sent(
    emulator: RunningEmulator, url: str, has: str
) -> None:
    before = len(emulator.stats()["requests"])
    env = {"MODELLIX_API_KEY": KEY}
    bad = emulator.base_url + url
    for args in (["--base-url", bad, "run", SLUG, "--body", BODY], ["run", SLUG, "--body", BODY, "--base-url", bad]):
        result = cli(*args, env=env)
        assert result.code == 2, result.err
        assert f"has {has}; give the origin only: {emulator.base_url}" in result.err
    from_env = cli("task", "get", "x", "--json", env={**env, "MODELLIX_BASE_URL": bad})
    assert from_env.code == 2 and from_env.json()["error"]["message"].startswith(f"MODELLIX_BASE_URL={bad!r} has")
    assert len(emulator.stats()["requests"]) == before  # nothing was sent
    offline = cli("models", "list", "-q", env={"MODELLIX_BASE_URL": bad})  # never needs it: not checked
    assert offline.code == 0


def test_help_imports_no_subcommand_httpx_rich_attrs_logging_or_the_registry() -> None:
    code = (
        "import sys\n"
        "from modellix_typed.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx', 'rich', 'attrs', 'logging', 'modellix_typed.registry', 'modellix_typed.cli.run',"
        " 'modellix_typed.validation', 'modellix_typed.models._catalog') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
    assert "run " in proc.stdout and "Submit a task for SLUG" in proc.stdout


def test_help_summaries_are_each_commands_own_first_line() -> None:
    ctx = click.Context(group)
    for name in COMMANDS:
        command = group.get_command(ctx, name)
        assert command is not None and (command.help or "").splitlines()[0] == SUMMARIES[name], name
    listing = cli("--help").out
    for line in listing.split("Commands:")[1].splitlines():
        words = line.split()
        if words and words[0] in COMMANDS and line.endswith("..."):
            summary = SUMMARIES[words[0]]
            shown = " ".join(words[1:])[:-3]
            assert summary.startswith(shown) and summary[len(shown)] in " ,;:(", line  # cut between words


def test_validate_takes_body_like_run_and_an_extra_body_object() -> None:
    ok = cli("validate", SLUG, "--body", json.dumps({"prompt": "x", "extra_body": {"newParam": 3}}), "--json")
    assert ok.code == 0 and ok.json()["body"] == {"prompt": "x", "aspectRatio": "1:1", "newParam": 3} or (
        ok.code == 0 and ok.json()["body"]["newParam"] == 3
    ), ok.out + ok.err
    unknown = cli("validate", SLUG, "--body", json.dumps({"prompt": "x", "newParam": 3}))
    assert unknown.code == 3 and 'goes in an "extra_body" object' in unknown.err
    again = cli("validate", SLUG, "--body", json.dumps({"prompt": "x", "extra_body": {"aspectRatio": "1:1"}}))
    assert again.code == 3 and "set 'aspectRatio' itself" in again.err  # never silences a documented field
    short = cli("validate", SLUG, "--body", json.dumps({"prompt": ""}))
    (line,) = [line for line in short.err.splitlines() if line.startswith("  - ")]
    assert line.count("got") == 1, line  # "(got 0)" in the message: the value is shown as "value ''"


def test_extra_body_is_sent_by_run(emulator: RunningEmulator) -> None:
    env = {"MODELLIX_API_KEY": KEY, "MODELLIX_BASE_URL": emulator.base_url}
    body = json.dumps({"prompt": "x", "extra_body": {"newParam": 3}})
    result = cli("run", SLUG, "--body", body, "--no-wait", "--json", env=env)
    assert result.code == 0, result.out + result.err


def test_numbers_print_exactly_and_a_single_value_says_must_be() -> None:
    from modellix_typed.validation import bound_issue, enum_issue
    from modellix_typed.wording import exact_number

    assert exact_number(16777216.0) == "16,777,216" and exact_number(0.5) == "0.5" and exact_number(4) == "4"
    assert bound_issue("n", "maximum", 20_000_000, 16777216.0).message == "must be <= 16,777,216"
    assert enum_issue("n", 2, [1]).message == "must be 1"
    assert enum_issue("n", 2, [1, 3]).message == "must be one of 1, 3"


def test_models_describe_shows_both_names_size_format_and_prose_rules() -> None:
    imagen = cli("models", "describe", "google/imagen-4.0-generate-001", "--json").json()["model"]
    by_name = {p["name"]: p for p in imagen["parameters"]}
    assert by_name["sampleCount"]["python"] == "sample_count" and by_name["prompt"]["python"] == "prompt"
    seedream = cli("models", "describe", "bytedance/seedream-4.0-t2i", "--json").json()["model"]
    size = {p["name"]: p for p in seedream["parameters"]}["size"]
    assert size["size_format"] == "WxH"
    assert {r["kind"] for r in size["rules"]} == {"pixels", "aspect_ratio"}
    assert all(r["sentence"].startswith("Range: Total pixels 921,600") for r in seedream["rules"])
    text = cli("models", "describe", "bytedance/seedream-4.0-t2i").out
    assert "size format: WxH" in text and "between 921,600 and 16,777,216" in text
    assert '"Range: Total pixels 921,600 to 16,777,216' in text  # the docs' own sentence
    assert "sampleCount (Python: sample_count)" in cli("models", "describe", "google/imagen-4.0-generate-001").out
