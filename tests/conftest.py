"""Suite-wide setting: no test learns poll timings into the user's cache (tests that learn pass a path)."""

from __future__ import annotations

import os

os.environ["MODELLIX_POLL_STATS"] = "off"
