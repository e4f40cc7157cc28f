"""``modellix-typed codegen crawl|generate|diff|serve-docs``: the codegen group, mounted as is.

This module is imported only when ``codegen`` is the subcommand (see ``LazyGroup``), so other commands never
import the crawler. Its commands keep their own options, ``--json`` flags and exit codes.
"""

from __future__ import annotations

import click

try:
    from modellix_typed.codegen.cli import main as _codegen_group
except ImportError as _exc:  # an installed wheel without the [codegen] extra
    _missing = str(_exc)

    @click.command("codegen", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def codegen() -> None:
        """Regenerate the SDK (needs the codegen extra: pip install 'modellix-typed[codegen]')."""
        raise click.UsageError(f"codegen is not available: {_missing}; install 'modellix-typed[codegen]'")

else:
    codegen = _codegen_group
