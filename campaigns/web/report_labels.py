"""The words the report pages put on a campaign's standing: the verdict (paid back, loses money, too early to
tell), which ROI is the headline and METRICS.md's sentence beside an attributed ROI, the date presets, and the
comparison with the previous period."""
from flask import request, url_for

from campaigns.accounts.business import get_settings
from campaigns.core import numbers
from campaigns.reports.periods import PRESETS

VERDICT_ORDER = {"loses_money": 0, "too_early": 1, "paid_back": 2}
ATTRIBUTED_NOTE = ("Attributed ROI counts every purchase inside the window after a free sample, whether or not the "
                   "sample caused it, so it is an upper bound.")
# The comparison table's rows: (internal figure, label, kind of value).
COMPARED_ROWS = (("redeemed", "Vouchers redeemed", "count"), ("issued", "Vouchers issued", "count"),
                 ("redeeming_customers", "Redeeming customers", "count"),
                 ("converted_customers", "Customers who came back to buy", "count"),
                 ("conversion_rate", "Conversion", "rate"), ("repeat_customers", "Repeat customers", "count"),
                 ("revenue_cents", "Revenue", "money"), ("gross_profit", "Gross profit", "money"),
                 ("cost_cents", "Cost", "money"), ("roi", "Attributed ROI", "ratio"),
                 ("feedback_count", "Feedback answers", "count"))


def verdict_text(values: dict, short: bool = False) -> str:
    """The verdict in words: "Paid back", "Loses money", "Too early to tell" ("Too early" where room is short)."""
    verdict = values.get("verdict")
    if verdict == "paid_back":
        return "Paid back"
    if verdict == "loses_money":
        return "Loses money"
    return "Too early" if short else "Too early to tell"


def verdict_wait(values: dict, short: bool = False) -> str:
    """While it is too early: how long until the first redemption has had its whole window ("12 days of window
    left", or "12 days left" where room is short); empty otherwise."""
    days = values.get("days_to_verdict")
    if values.get("verdict") != "too_early" or days is None:
        return ""
    return f"{days} day{'' if days == 1 else 's'}{'' if short else ' of window'} left"


def verdict_note(values: dict) -> str:
    """Why the verdict says what it says, in a sentence."""
    matured = values.get("matured_redemptions", 0)
    if values.get("verdict") == "too_early":
        if values.get("days_to_verdict") is None:
            return "nothing redeemed yet, so nothing to judge."
        return "no redemption has had its whole attribution window yet, so purchases may still come."
    said = "covers" if values.get("verdict") == "paid_back" else "is below"
    counted = numbers.count_text(matured, get_settings().locale)
    return (f"over the {counted} redemption{'' if matured == 1 else 's'} that have had their whole attribution "
            f"window, gross profit {said} the fixed cost plus their unit costs.")


def change_text(value, kind: str, amount) -> str:
    """A change from the previous period with its sign: "+12", "−USD 3.20", "+2.5 points", "—" without one."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else "\u2212" if value < 0 else ""
    if kind == "count":
        return sign + numbers.count_text(abs(value), get_settings().locale)
    if kind == "money":
        return sign + amount(abs(value))
    points = round(abs(float(value)) * 100, 1)
    return f"{sign}{numbers.decimal_text(points, get_settings().locale, 1, trailing_zeros=False)} points"


def comparison_rows(current: dict, previous: dict, change: dict) -> list[dict]:
    """The rows of a comparison table: each compared figure now, before, and the change."""
    return [{"key": key, "label": label, "kind": kind, "now": current.get(key), "before": previous.get(key),
             "change": change.get(key)} for key, label, kind in COMPARED_ROWS]


def preset_url(preset: str, keep: dict, compare: bool) -> str:
    """This page over a preset period, keeping its other choices (sorting, archived) and the comparison."""
    args = {name: value for name, value in keep.items() if value}
    if preset != "all_time":
        args.update(preset=preset, compare="previous" if compare else None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def formatting() -> dict:
    """The words the report templates use."""
    return {"verdict_text": verdict_text, "verdict_note": verdict_note, "verdict_wait": verdict_wait, "change_text": change_text,
            "comparison_rows": comparison_rows, "preset_url": preset_url, "ATTRIBUTED_NOTE": ATTRIBUTED_NOTE, "PRESETS": PRESETS}
