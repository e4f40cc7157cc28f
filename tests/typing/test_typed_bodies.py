"""Dict bodies are type-checked: mypy reports a wrong key, a wrong literal, a missing key and a wrong type
for a known slug (client.submit/run, registry.validate/check, from_dict, a wire name as a constructor keyword),
and accepts unknown slugs and non-literal slugs as plain mappings (one mypy run over two small user files)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_mypy_catches_wrong_keys_and_literals_and_accepts_raw_slugs(tmp_path: Path) -> None:
    bad, good = HERE / "user_bad_bodies.py", HERE / "user_ten_models.py"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--enable-error-code", "deprecated",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(bad), str(good)],
        capture_output=True, text=True, timeout=300, cwd=HERE.parent.parent, check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    flagged = {int(m.group(1)) for line in errors if (m := re.search(r":(\d+): error", line))}
    expected = {n for n, line in enumerate(bad.read_text().splitlines(), 1) if "# E:" in line}
    assert flagged == expected, done.stdout
    assert not [line for line in errors if "user_ten_models" in line], done.stdout  # 10 valid dict bodies pass
    by_line = {int(m.group(1)): line for line in errors if (m := re.search(r":(\d+): error", line))}
    assert "NanoBananaBody" in by_line[min(expected)]  # the message names the TypedDict to look at
    assert 'Argument "aspectRatio" to "NanoBanana"' in "\n".join(errors)
    assert "Literal['7:5']" in by_line[max(expected)]  # annotated as the TypedDict: mypy names the wrong value
