"""Where the CLI builds its API client: ``--base-url``/``MODELLIX_BASE_URL``, key from ``MODELLIX_API_KEY`` only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..client import Modellix

base_url_option = click.option(
    "--base-url",
    envvar="MODELLIX_BASE_URL",
    default=None,
    metavar="URL",
    help="API origin (env MODELLIX_BASE_URL; default https://api.modellix.ai). The key is read from "
    "MODELLIX_API_KEY only, never from the command line.",
)


def make_client(base_url: str | None, *, max_concurrency: int | None = None) -> Modellix:
    """A client whose key comes from the environment; a missing key fails before anything is sent."""
    from ..client import Modellix  # lazy: the offline commands never import httpx

    client = Modellix(base_url=base_url) if max_concurrency is None else Modellix(
        base_url=base_url, max_concurrency=max_concurrency
    )
    try:
        client.config.require_key()
    except BaseException:
        client.close()
        raise
    return client
