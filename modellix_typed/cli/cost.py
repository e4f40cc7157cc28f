"""The price side of the cost guard: unit × tasks from the live catalog, shown before anything is paid.

``batch`` and ``run`` read the catalog once (``GET /api/v1/models``) before sending; a catalog that cannot
be read only makes the estimate unknown (said so), never stops the run. ``--max-cost USD`` refuses (exit 2,
nothing sent) an estimate above it, and an unknown one: a cap that cannot be checked is not a cap.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from ..errors import ModellixError
from ..pricing import Estimate, usd
from .output import MODE, CLIError, ExitCode

if TYPE_CHECKING:
    from .._sync.client import Modellix


def _usd_amount(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip().removeprefix("$"))
    except InvalidOperation:
        raise click.BadParameter(f"expected an amount in USD such as 2.50, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter(f"expected an amount in USD >= 0, got {value!r}")
    return amount


_MAX_COST_OPTION = click.option(
    "--max-cost",
    metavar="USD",
    callback=_usd_amount,
    help="Cost guard: refuse (exit 2, nothing sent) when the catalog's unit price × tasks is above USD, or "
    "when the price is unknown.",
)


def max_cost_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--max-cost USD`` on a command (the cost guard)."""
    return _MAX_COST_OPTION(command)


def estimate_for(client: Modellix, slugs: Iterable[str]) -> Estimate:
    """Unit prices of ``slugs`` from the live catalog; a catalog that fails makes the estimate unknown."""
    wanted = list(slugs)
    try:
        prices = {model.slug: model.price for model in client.models()}
    except ModellixError as exc:
        return Estimate.of(wanted, None, reason=f"the model catalog could not be read ({type(exc).__name__}: {exc})")
    return Estimate.of(wanted, prices)


def check_max_cost(estimate: Estimate, max_cost: Decimal | None) -> None:
    if max_cost is None:
        return
    total = estimate.total
    details: dict[str, Any] = {"max_cost_usd": str(max_cost), "estimate": estimate.to_json()}
    if total is None:
        message = f"--max-cost {usd(max_cost)}: {estimate.describe()}, so the cap cannot be checked (nothing was sent)"
        raise CLIError("CostGuard", message, ExitCode.USAGE, **details)
    if total > max_cost:
        message = f"{estimate.describe()} is above --max-cost {usd(max_cost)} (nothing was sent)"
        raise CLIError("CostGuard", message, ExitCode.USAGE, **details)


def priced(client: Modellix, slugs: Iterable[str], max_cost: Decimal | None) -> Estimate:
    """Before a paid run, on the client that will pay: the estimate (on stderr when it is a terminal, as the
    progress display; stdout stays the command's output; --json carries it), then the ``--max-cost`` check."""
    estimate = estimate_for(client, slugs)
    if not (MODE.json or MODE.quiet) and sys.stderr.isatty():
        click.echo(estimate.describe(), err=True)
    check_max_cost(estimate, max_cost)
    return estimate
