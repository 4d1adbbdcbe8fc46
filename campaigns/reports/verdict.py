"""The verdict of METRICS.md: a campaign is called paid back or losing money only on its matured redemptions
(those at least its attribution window old, so nothing more can be attributed to them), never on a young
campaign's ROI; until one has matured it is too early to tell.

Reading: the verdict's money is the gross profit attributed to the matured redemptions (made in the range)
against the fixed cost the range counts plus their unit costs; `paid_back` when that profit is at least that
cost (ROI ≥ 0; with nothing spent, a campaign cannot have lost money). `days_to_verdict` is, while it is too
early, the whole days until the first redemption (in the range) matures, counted up.
"""
from datetime import datetime, timedelta
from fractions import Fraction
from math import ceil

VERDICTS = ("too_early", "paid_back", "loses_money")
DAY = timedelta(days=1)


def judge(matured: int, gross_profit: Fraction, cost_cents: int, first: datetime | None, window_days: int,
          now: datetime) -> dict:
    """Return `verdict`, `matured_redemptions`, `matured_gross_profit`, `matured_cost_cents`, `matured_roi` and
    `days_to_verdict` (None unless it is too early and something was redeemed)."""
    out = {"matured_redemptions": matured, "matured_gross_profit": gross_profit, "matured_cost_cents": cost_cents,
           "matured_roi": (gross_profit - cost_cents) / cost_cents if matured and cost_cents else None,
           "days_to_verdict": None}
    if not matured:
        out["verdict"] = "too_early"
        if first is not None:
            out["days_to_verdict"] = max(1, ceil((first + window_days * DAY - now) / DAY))
    else:
        out["verdict"] = "paid_back" if gross_profit >= cost_cents else "loses_money"
    return out


def overall(rows: list[dict]) -> dict:
    """The verdict over several campaigns: their matured redemptions together against their costs together."""
    matured = sum(row["matured_redemptions"] for row in rows)
    gross_profit = sum((row["matured_gross_profit"] for row in rows), start=Fraction(0))
    cost = sum(row["matured_cost_cents"] for row in rows)
    waits = [row["days_to_verdict"] for row in rows if row["days_to_verdict"] is not None]
    out = {"matured_redemptions": matured, "matured_gross_profit": gross_profit, "matured_cost_cents": cost,
           "matured_roi": (gross_profit - cost) / cost if matured and cost else None,
           "days_to_verdict": None}
    if not matured:
        out.update(verdict="too_early", days_to_verdict=min(waits) if waits else None)
    else:
        out["verdict"] = "paid_back" if gross_profit >= cost else "loses_money"
    return out
