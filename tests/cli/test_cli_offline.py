"""Offline commands (models, validate, help) through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from modellix_typed import registry

from .conftest import cli

SLUG = "google/nano-banana"


def test_models_list_json_filters_and_search() -> None:
    everything = cli("models", "list", "--json").json()
    assert everything["ok"] is True
    assert [m["slug"] for m in everything["models"]] == [m.slug for m in registry.list_models()]
    assert everything["count"] == len(everything["models"]) > 0

    videos = cli("--json", "models", "list", "--provider", "google", "--type", "t2v").json()["models"]
    assert videos and all(m["provider"] == "google" and m["task_type"] == "t2v" for m in videos)
    assert {m["slug"] for m in videos} == {m.slug for m in registry.list_models("google", "t2v")}

    found = cli("models", "list", "--search", "BANANA").out.splitlines()
    assert found and all("banana" in line.lower() for line in found)
    assert any(line.startswith(SLUG + " ") for line in found)


def test_models_list_unknown_provider_suggests() -> None:
    result = cli("models", "list", "--provider", "gogle", "--json")
    assert result.code == 2
    error = result.json()["error"]
    assert result.json()["ok"] is False
    assert "did you mean 'google'" in error["message"]


def test_models_describe_human_and_json() -> None:
    human = cli("models", "describe", SLUG)
    assert human.code == 0, human.err
    assert "https://docs.modellix.ai/google/nano-banana" in human.out
    assert "prompt  (string, required)" in human.out
    assert 'default: "1:1"' in human.out and "constraints: minLength=1" in human.out

    model = cli("models", "describe", SLUG, "--json").json()["model"]
    params = {p["name"]: p for p in model["parameters"]}
    assert params["prompt"]["required"] is True and params["prompt"]["constraints"] == {"minLength": 1}
    assert params["aspectRatio"]["default"] == "1:1" and "16:9" in params["aspectRatio"]["enum"]
    assert "default" not in params["prompt"]
    assert model["doc_url"] == registry.info(SLUG).doc_url

    arrays = cli("models", "describe", "google/nano-banana-2-edit", "--json").json()["model"]["parameters"]
    image = next(p for p in arrays if p["name"] == "image")
    assert image["type"] == "array of string" and image["constraints"] == {"minItems": 1, "maxItems": 14}

    # Rules on each item of a scalar array are constraints too (they used to be dropped).
    s2v = cli("models", "describe", "minimax/minimax-s2v-01", "--json").json()["model"]["parameters"]
    refs = next(p for p in s2v if p["name"] == "subject_reference_images")
    assert refs["constraints"] == {"minItems": 1, "maxItems": 10, "items.minLength": 1}
    human = cli("models", "describe", "minimax/minimax-s2v-01").out
    assert "constraints: minItems=1, maxItems=10, items.minLength=1" in human


def test_unknown_slug_did_you_mean_everywhere(tmp_path: Path) -> None:
    body = tmp_path / "b.json"
    body.write_text('{"prompt": "x"}')
    for args in (("models", "describe", "google/nano-banan"), ("validate", "google/nano-banan", str(body))):
        result = cli(*args, "--json")
        assert result.code == 2
        error = result.json()["error"]
        assert error["type"] == "UnknownModel" and SLUG in error["suggestions"]
    human = cli("models", "schema", "google/nano-banan")
    assert human.code == 2 and "did you mean" in human.err and SLUG in human.err


def test_models_schema_is_the_registry_schema() -> None:
    bare = cli("models", "schema", SLUG)
    assert json.loads(bare.out) == registry.json_schema(SLUG)
    wrapped = cli("models", "schema", SLUG, "--json").json()
    assert wrapped == {"ok": True, "slug": SLUG, "schema": registry.json_schema(SLUG)}


def test_validate_valid_file_and_stdin(tmp_path: Path) -> None:
    body = tmp_path / "ok.json"
    body.write_text(json.dumps({"prompt": "a lake", "aspectRatio": "16:9"}))
    result = cli("validate", SLUG, str(body))
    assert result.code == 0 and "valid" in result.out
    piped = cli("validate", SLUG, "-", "--json", input=body.read_text())
    assert piped.code == 0
    assert piped.json() == {
        "ok": True,
        "slug": SLUG,
        "source": "<stdin>",
        "body": {"prompt": "a lake", "aspectRatio": "16:9"},
    }


def test_validate_invalid_lists_every_issue(tmp_path: Path) -> None:
    body = tmp_path / "bad.json"
    body.write_text(json.dumps({"prompt": "", "aspectRatio": "16:10", "promt": "x"}))
    result = cli("validate", SLUG, str(body), "--json")
    assert result.code == 3
    error = result.json()["error"]
    assert error["type"] == "ValidationError" and error["model"] == SLUG
    by_path = {issue["path"]: issue for issue in error["issues"]}
    assert by_path["prompt"]["rule"] == "minLength"
    assert by_path["aspectRatio"]["rule"] == "enum" and by_path["aspectRatio"]["value"] == "16:10"
    assert by_path["promt"]["rule"] == "unknown_field" and "prompt" in by_path["promt"]["message"]

    human = cli("validate", SLUG, str(body))
    assert human.code == 3 and human.out == ""
    assert "3 validation error(s)" in human.err
    assert "aspectRatio" in human.err and "promt" in human.err and "minLength" in human.err


def test_validate_bad_input(tmp_path: Path) -> None:
    broken = cli("validate", SLUG, "-", "--json", input='{"prompt": ')
    assert broken.code == 3
    assert broken.json()["error"]["issues"][0]["rule"] == "json"
    not_object = cli("validate", SLUG, "-", input="[1, 2]")
    assert not_object.code == 3 and "must be a JSON object, got array" in not_object.err
    missing = cli("validate", SLUG, str(tmp_path / "missing.json"), "--json")
    assert missing.code == 2 and missing.json()["error"]["type"] == "InputError"


def test_help_documents_exit_codes_and_usage_errors_are_json() -> None:
    assert "Exit codes: 0 ok" in " ".join(cli("--help").out.split())
    assert "3 validation failed" in " ".join(cli("validate", "--help").out.split())
    wrong = cli("modles", "list", "--json")
    assert wrong.code == 2
    assert wrong.json()["error"] == {
        "type": "UsageError",
        "message": "No such command 'modles'. Did you mean 'models'?",
    }
    missing_arg = cli("validate", SLUG)
    assert missing_arg.code == 2 and "give exactly one request body" in missing_arg.err


def test_models_list_imports_no_crawler_server_or_http_client() -> None:
    script = (
        "import sys\n"
        "from modellix_typed.cli import main\n"
        "try:\n    main(['models', 'list', '--json'])\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "heavy = {'codegen', 'httpx', 'uvicorn', 'starlette', 'jsonschema', 'rich'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "[]"
    assert json.loads(proc.stdout)["ok"] is True
