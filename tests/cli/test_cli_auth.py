"""auth / config / profiles through the installed console script: temp HOME, real emulator, real lock."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from modellix_typed import ConfigurationError, Modellix
from modellix_typed.emulator.server import RunningEmulator
from modellix_typed.local_files import locked

from .conftest import BIN, KEY, clean_env, cli

BODY = json.dumps({"prompt": "a lake at dawn"})


def home_env(home: Path, emulator: RunningEmulator, **extra: str) -> dict[str, str]:
    """No key in the environment, config in HOME/.config/modellix (modellix-cli's default location)."""
    return {"HOME": str(home), "MODELLIX_CONFIG_DIR": "", "XDG_CONFIG_HOME": "", "MODELLIX_BASE_URL": emulator.base_url,
            **extra}


def test_login_status_profiles_logout_in_a_temp_home(emulator: RunningEmulator, tmp_path: Path) -> None:
    env = home_env(tmp_path, emulator)
    config = tmp_path / ".config" / "modellix" / "config.json"

    saved = cli("auth", "login", "--profile", "work", "--json", env=env, input=KEY + "\n")
    assert saved.code == 0, saved.out + saved.err
    assert saved.json()["profile"] == "work" and saved.json()["path"] == str(config)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600 and stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert json.loads(config.read_text()) == {"currentProfile": "work", "profiles": {"work": {"apiKey": KEY}}}

    rejected = cli("auth", "login", "--profile", "bad", env=env, input="not-the-key\n")
    assert rejected.code == 1 and "rejected" in rejected.err and "nothing saved" in rejected.err
    assert "bad" not in json.loads(config.read_text())["profiles"]

    checked = cli("auth", "login", "--profile", "third", "--check", "--json", env=env, input=KEY).json()
    assert checked["valid"] is True and checked["saved"] is False and "third" not in config.read_text()
    assert cli("auth", "login", "--profile", "second", "-q", env=env, input=KEY).out == "second\n"
    status = cli("auth", "status", "--json", env=env).json()
    assert status["profile"] == "second" and status["profile_source"] == "saved current profile"
    assert status["valid"] is True and "profile 'second'" in status["key_source"]
    assert status["saved_profiles"] == ["second", "work"] and status["key"].startswith("****")
    assert cli("auth", "whoami", "--profile", "work", "--json", env=env).json()["profile"] == "work"
    from_env = cli("auth", "status", "--json", env={**env, "MODELLIX_API_KEY": KEY}).json()
    assert from_env["key_source"] == "MODELLIX_API_KEY"  # the environment wins over the saved profile
    unknown = cli("run", "google/nano-banana", "--body", BODY, env={**env, "MODELLIX_PROFILE": "nosuch"})
    assert unknown.code == 2 and "profile 'nosuch' is not saved" in unknown.err and "second, work" in unknown.err

    # run uses the saved profile (no key in the environment) and records the task in the history.
    ran = cli("run", "google/nano-banana", "--body", BODY, "--no-wait", "--json", env=env).json()
    history = json.loads((config.parent / "history.json").read_text())
    entry = history["entries"][0]
    assert entry["taskId"] == ran["task_id"] and entry["profile"] == "second" and entry["status"] == "submitted"
    assert entry["baseUrl"] == emulator.base_url and KEY not in json.dumps(history)

    shown = cli("config", "show", env=env)
    assert "* second: ****" in shown.out and "  work: ****" in shown.out
    assert cli("config", "path", env=env).out.strip() == str(config)

    out = cli("auth", "logout", "--profile", "work", "--json", env=env).json()
    assert out["removed"] is True and out["remaining_profiles"] == ["second"]
    refused = cli("config", "clear", "--all", env=env)
    assert refused.code == 2 and "--yes" in refused.err and config.exists()
    assert cli("config", "clear", "--all", "--yes", env=env).code == 0 and not config.exists()
    missing = cli("run", "google/nano-banana", "--body", BODY, env=env)
    assert missing.code == 2 and "auth login" in missing.err


def test_legacy_config_and_every_output_mode_masks_the_key(emulator: RunningEmulator, tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"apiKey": KEY}))  # modellix-cli's first file format
    env = {"MODELLIX_CONFIG_DIR": str(folder), "MODELLIX_BASE_URL": emulator.base_url}
    modes = (["--json"], ["-q"], ["--output", "human"], ["--verbose"], ["--output", "json"], ["--debug"])
    commands = (["auth", "status"], ["config", "show"], ["doctor"])
    for number, mode in enumerate(modes):  # cli() fails the test if the key shows on stdout or stderr
        command = commands[number % len(commands)]  # each command in two of the modes
        result = cli(*command, *mode, env={**env, "MODELLIX_API_KEY": KEY} if command[0] == "config" else env)
        assert result.code == 0, (command, mode, result.out, result.err)
        if mode == ["-q"]:
            assert result.out == "default\n"  # config show -q: the saved profile names
        if mode == ["--verbose"]:  # auth status
            assert "[http] GET /api/v1/apikey/validate -> HTTP 200 (attempt 1) in " in result.err
    debug = cli("auth", "status", "--debug", "--json", env=env)
    assert "[http] GET /api/v1/apikey/validate -> HTTP 200 (attempt 1) in " in debug.err
    assert debug.json()["key_source"].startswith("profile 'default'")  # the legacy file is profile default


def test_config_lock_is_honoured_and_concurrent_logins_lose_nothing(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cfg"
    env = {"MODELLIX_CONFIG_DIR": str(folder), "MODELLIX_BASE_URL": emulator.base_url}
    monkeypatch.setenv("MODELLIX_CONFIG_DIR", str(folder))
    with locked(folder / "config.json"):  # this test process holds the lock: the CLI process must not write
        blocked = cli("auth", "login", "--profile", "p0", env={**env, "MODELLIX_LOCK_TIMEOUT": "0.3"}, input=KEY)
    assert blocked.code == 2 and "locked by another modellix process" in blocked.err
    assert not (folder / "config.json").exists()

    names = [f"p{i}" for i in range(4)]
    procs = [
        subprocess.Popen(
            [str(BIN), "auth", "login", "--profile", name], env=clean_env(env), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in names
    ]
    for proc in procs:
        out, err = proc.communicate(KEY, timeout=60)
        assert proc.returncode == 0 and KEY not in out + err, err
    saved = json.loads((folder / "config.json").read_text())
    assert sorted(saved["profiles"]) == names  # every read-modify-write kept the others' profiles
    assert not (folder / "config.json.lock").exists() and [p.name for p in folder.iterdir()] == ["config.json"]


def test_sdk_reads_the_same_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modellix_typed import AsyncModellix, profiles

    monkeypatch.setenv("MODELLIX_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("MODELLIX_API_KEY", raising=False)
    profiles.save("work", "key-of-work-123456")
    profiles.save("home", "key-of-home-123456")  # now the current profile
    with Modellix() as client:
        assert client.config.api_key == "key-of-home-123456" and "home" in client.config.key_source
        assert "key-of" not in repr(client)
    with Modellix(profile="work") as client:
        assert client.config.api_key == "key-of-work-123456"
    monkeypatch.setenv("MODELLIX_PROFILE", "work")
    assert AsyncModellix().config.api_key == "key-of-work-123456"
    monkeypatch.setenv("MODELLIX_API_KEY", "key-from-environment")
    assert Modellix(profile="home").config.key_source == "MODELLIX_API_KEY"  # the environment wins
    monkeypatch.delenv("MODELLIX_API_KEY")
    with pytest.raises(ConfigurationError, match="profile 'nope' is not saved .* home, work"):
        Modellix(profile="nope")
    with pytest.raises(ConfigurationError, match="not a valid profile name"):
        Modellix(profile="../etc")
    (tmp_path / "config.json").write_text('{"profiles": {"x": {}}}')
    with pytest.raises(ConfigurationError, match="invalid Modellix config .*'x' has no 'apiKey'"):
        Modellix()
    assert os.environ["MODELLIX_CONFIG_DIR"] == str(tmp_path)


def test_a_dead_process_lock_is_taken_over_a_live_one_is_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    target = tmp_path / "config.json"
    lock = tmp_path / "config.json.lock"
    lock.mkdir()
    monkeypatch.setenv("MODELLIX_LOCK_TIMEOUT", "0.2")
    with pytest.raises(ConfigurationError, match="locked by another modellix process"):
        with locked(target):
            pass
    old = time.time() - 60  # older than modellix-cli's 30 s stale threshold: its owner died
    os.utime(lock, (old, old))
    with locked(target):
        assert lock.is_dir()
    assert not lock.exists()
