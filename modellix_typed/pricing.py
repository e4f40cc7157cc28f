"""Where a run's cost is estimated: a unit price read from a catalog entry, times the tasks (no I/O).

The catalog (``GET /api/v1/models``) documents no price field; the official canvas client reads one from
``price``, ``price_usd``, ``pricing.usd`` or ``pricing.price`` (USD per task unit) and shows unit × tasks
before a paid run, or says it could not estimate. So do we: a price that is absent, not a number or negative
is "unknown", never a guess. Per-second video pricing (docs: "USD per second of video") is the catalog's
business: the unit is whatever one task of that entry costs there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

PRICE_FIELDS = (("price",), ("price_usd",), ("pricing", "usd"), ("pricing", "price"))


def unit_price(entry: Mapping[str, Any]) -> Decimal | None:
    """The first usable price of a catalog entry, in USD; None when it lists none."""
    for path in PRICE_FIELDS:
        node: Any = entry
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        price = _decimal(node)
        if price is not None:
            return price
    return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        price = Decimal(str(value).strip().removeprefix("$"))
    except InvalidOperation:
        return None
    return price if price.is_finite() and price >= 0 else None


def usd(amount: Decimal) -> str:
    return f"${amount:.4f}"


@attrs.frozen
class Estimate:
    """Unit × tasks per model; ``total`` is None when any model's price is unknown (``reason`` says why)."""

    counts: Mapping[str, int]
    units: Mapping[str, Decimal | None]
    reason: str | None = None  # the catalog could not be read

    @classmethod
    def of(cls, slugs: Iterable[str], prices: Mapping[str, Decimal | None] | None, reason: str | None = None) -> Estimate:
        counts: dict[str, int] = {}
        for slug in slugs:
            counts[slug] = counts.get(slug, 0) + 1
        known = prices or {}
        return cls(counts, {slug: known.get(slug) for slug in counts}, reason if prices is None else None)

    @property
    def tasks(self) -> int:
        return sum(self.counts.values())

    @property
    def unpriced(self) -> list[str]:
        return sorted(slug for slug, unit in self.units.items() if unit is None)

    @property
    def total(self) -> Decimal | None:
        if self.unpriced:
            return None
        return sum((unit * self.counts[slug] for slug, unit in self.units.items() if unit is not None), Decimal(0))

    def describe(self) -> str:
        total = self.total
        if total is not None:
            parts = [f"{usd(unit)} × {self.counts[slug]} {slug}" for slug, unit in self.units.items() if unit is not None]
            return f"estimated cost {usd(total)} ({' + '.join(parts)}; catalog unit prices, USD)"
        why = self.reason or f"the catalog lists no price for {', '.join(self.unpriced)}"
        return f"cost unknown for {self.tasks} task(s): {why}"

    def to_json(self) -> dict[str, Any]:
        total = self.total
        return {
            "known": total is not None,
            "total_usd": None if total is None else str(total),
            "tasks": self.tasks,
            "models": [
                {"slug": slug, "tasks": self.counts[slug], "unit_usd": None if unit is None else str(unit)}
                for slug, unit in self.units.items()
            ],
            "reason": None if total is not None else self.describe(),
        }
