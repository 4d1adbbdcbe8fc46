"""The report as the API, the CSV downloads and other programs read it: every figure under its METRICS.md name,
counts as integers, money as decimal strings ("12.50"), rates and ratios as numbers, dates ISO."""
from datetime import date
from fractions import Fraction

from campaigns.accounts.business import get_settings
from campaigns.core import money
from campaigns.reports.assemble import COMPARED
from campaigns.reports.feedback_figures import BAND_NAMES
from campaigns.reports.stats import half_away

MONEY_KEYS = {"revenue_cents": "revenue", "gross_profit": "gross_profit", "cost_cents": "cost",
              "incremental_revenue": "incremental_revenue", "incremental_gross_profit": "incremental_gross_profit",
              "treatment_cost_cents": "treatment_cost"}
RATIOS = ("conversion_rate", "roi", "freebie_only_share", "treatment_conversion_rate", "control_conversion_rate",
          "lift", "median_days_to_first_purchase", "incremental_roi")
# The API's top-level keys, in METRICS.md's order (the CSV's rows follow it).
FIGURE_KEYS = ("issued", "redeemed", "identified_redemptions", "redeeming_customers", "identified_customers",
               "converted_customers", "conversion_rate", "repeat_customers", "purchases", "refunds", "revenue",
               "gross_profit", "cost", "roi", "median_days_to_first_purchase", "freebie_only", "freebie_only_share",
               "payback_date", "payback_days", "matured_redemptions", "verdict", "days_to_verdict", "feedback_count",
               "nps")
HOLDOUT_KEYS = ("treatment_size", "control_size", "treatment_converted", "control_converted",
                "treatment_conversion_rate", "control_conversion_rate", "lift", "lift_ci95", "incremental_revenue",
                "significant", "members_needed", "incremental_gross_profit", "treatment_cost", "incremental_roi",
                "headline_roi")
# The compared figures under their API names.
COMPARED_KEYS = tuple(MONEY_KEYS.get(key, key) for key in COMPARED)


def cents(amount: Fraction | int | None) -> int | None:
    """Round exact cents to whole cents, halves away from zero (the accountant's rounding)."""
    return None if amount is None else half_away(amount)


def _number(value):
    """A rate or ratio as a JSON number (float), None as null."""
    return None if value is None else float(value)


def figure_json(values: dict, currency: str) -> dict:
    """Return the figures of one campaign (or segment, or the totals) under their METRICS.md names, as the API
    writes them: counts as integers, money as decimal strings, rates and ratios as numbers, dates ISO."""
    out = {}
    for key, value in values.items():
        if key in MONEY_KEYS:
            out[MONEY_KEYS[key]] = money.to_json(cents(value), currency)
        elif key in RATIOS:
            out[key] = _number(value)
        elif key == "lift_ci95":
            out[key] = None if value is None else [float(value[0]), float(value[1])]
        elif isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, (int, bool, str)) or value is None:
            out[key] = value
    return out


def report_json(report: dict) -> dict:
    """Return the campaign report as `GET /api/v1/campaigns/{id}/report` answers it."""
    currency = get_settings().currency
    campaign = report["campaign"]
    top = figure_json({key: report[key] for key in report if key not in ("series", "campaign", "since", "until",
                                                                           "charted", "conversion_by_band",
                                                                           "previous", "change")},
                      currency)
    margin = campaign.gross_margin_bp / 100
    series = report["series"]
    profit = series["profit_by_day"]
    return {
        "campaign": {"id": campaign.id, "name": campaign.name, "status": campaign.status,
                     "attribution_window_days": campaign.attribution_window_days,
                     "gross_margin_pct": int(margin) if margin == int(margin) else margin},
        "currency": currency,
        "from": report["since"].isoformat() if report["since"] else None,
        "to": report["until"].isoformat() if report["until"] else None,
        **{key: top.get(key) for key in FIGURE_KEYS + HOLDOUT_KEYS},
        "conversion_by_band": band_json(report["conversion_by_band"]),
        **comparison_json(report.get("previous"), report.get("change"), currency),
        "series": {
            "funnel": series["funnel"],
            "conversion_by_day": series["conversion_by_day"],
            "profit_by_day": {"payback_date": top.get("payback_date"), "payback_days": top.get("payback_days"),
                              "days": [{"date": day["date"].isoformat(), "redeemed": day["redeemed"],
                                        "cost": money.to_json(day["cost_cents"], currency),
                                        "revenue": money.to_json(day["revenue_cents"], currency),
                                        "gross_profit": money.to_json(cents(day["gross_profit"]), currency)}
                                       for day in profit["days"]]},
            "cohorts": [{"week": row["week"].isoformat(), "customers": row["customers"], "weeks": row["weeks"]}
                        for row in series["cohorts"]],
            "by_batch": [{"label": row["label"], "channel": row["channel"], **figure_json(row, currency)}
                         for row in series["by_batch"]],
            "by_location": [{"location": row["location"], **figure_json(row, currency)}
                            for row in series["by_location"]],
        },
    }


def comparison_json(previous: dict | None, change: dict | None, currency: str) -> dict:
    """The previous period's figures and each compared figure's change, as the API writes them (`previous` and
    `change` are null without a comparison); a change of money is money, of a count a count, of a rate a number."""
    if previous is None:
        return {"previous": None, "change": None}
    before = figure_json(previous, currency)
    return {"previous": {"from": previous["since"].isoformat(), "to": previous["until"].isoformat(),
                         **{key: before.get(key) for key in COMPARED_KEYS + ("verdict", "nps")}},
            "change": {key: figure_json({name: change[name]}, currency).get(key)
                       for name, key in zip(COMPARED, COMPARED_KEYS)}}


def band_json(bands: dict) -> dict:
    """Conversion by feedback band as the API writes it: each band's answers, customers, converted customers and
    their rate (null without customers), so a rate never goes without its count."""
    return {name: {**bands[name], "conversion_rate": _number(Fraction(bands[name]["converted"], bands[name]["customers"]) if bands[name]["customers"] else None)}
            for name in BAND_NAMES}


def _cell(value):
    """A figure as CSV text: intervals as "low to high", booleans as true/false, null as empty."""
    if isinstance(value, list):
        return " to ".join(str(part) for part in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def report_csv_rows(report: dict) -> list[list]:
    """Return the report's top-level figures as `figure,value` rows, with the API's text (empty for null); with a
    comparison, each row also has the previous period's value and the change."""
    written = report_json(report)
    before, change = written["previous"], written["change"]
    rows = [["figure", "value"] + (["previous", "change"] if before else [])]
    for key in FIGURE_KEYS + HOLDOUT_KEYS:
        rows.append([key, _cell(written[key])]
                    + ([_cell(before.get(key)), _cell(change.get(key))] if before else []))
    for name, values in written["conversion_by_band"].items():
        rows.extend([f"{name}_{key}", _cell(value)] + (["", ""] if before else []) for key, value in values.items())
    return rows


OVERVIEW_COLUMNS = ("campaign_id", "campaign", "status", "issued", "redeemed", "identified_redemptions",
                    "redeeming_customers", "converted_customers", "conversion_rate", "repeat_customers", "revenue",
                    "gross_profit", "cost", "roi", "payback_date", "freebie_only", "freebie_only_share",
                    "feedback_count", "nps", "verdict", "days_to_verdict", "matured_redemptions", "incremental_roi",
                    "headline_roi", "archived")


def overview_csv_rows(data: dict) -> list[list]:
    """Return the overview as CSV rows: a header, one row per campaign, a Total row and, with a comparison, the
    previous period's totals and the change."""
    currency = get_settings().currency
    rows = [list(OVERVIEW_COLUMNS)]
    extra = []
    if data.get("previous"):
        before = data["previous"]
        extra = [dict(before["totals"], label=f"Total {before['since']} to {before['until']}"),
                 dict(data["change"], label="Change")]
    for row in data["rows"] + [dict(data["totals"], label="Total")] + extra:
        written = figure_json(row, currency)
        campaign = row.get("campaign")
        written.update(campaign_id=campaign.id if campaign else "", campaign=campaign.name if campaign else row["label"],
                       status=campaign.status if campaign else "",
                       archived=("true" if campaign.archived_at else "false") if campaign else "")
        rows.append([_cell(written.get(column)) for column in OVERVIEW_COLUMNS])
    return rows
