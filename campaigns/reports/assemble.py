"""The campaign report and the overview: every figure of METRICS.md, assembled once for the pages, the API
and the CSV exports, so that all three always say the same.

The figures come from the metrics modules (SQL, never rows loaded into Python); this module puts them
together, adds the totals, and writes them as the API's text (money "12.50", rates as numbers).
"""
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from campaigns.accounts.business import business_zone, get_settings
from campaigns.core import inputs, money
from campaigns.core.errors import FieldErrors, ValidationError
from campaigns.extensions import db
from campaigns.giving.designs import get_campaign
from campaigns.models import Campaign
from campaigns.reports.attribution import materialised
from campaigns.reports.feedback_figures import BAND_NAMES, feedback_figures
from campaigns.reports.feedback_figures import empty as no_feedback
from campaigns.reports.figures import figures
from campaigns.reports.holdout import holdout
from campaigns.reports.series import cohorts, conversion_by_day, payback_dates, profit_by_day
from campaigns.reports.stats import half_away

# Below this many redeeming customers a chart would pretend: pages show the counts only.
MIN_FOR_CHART = 20
# How far back a date range may reach and how long it may be, so a typo cannot ask for centuries.
RANGE_MAX_DAYS = 3660
FUNNEL = (("issued", "issued"), ("redeemed", "redeemed"), ("identified", "identified_redemptions"),
          ("converted", "converted_customers"), ("repeat", "repeat_customers"))
# The figures whose sum over campaigns means something (the overview's totals).
SUMMED = ("issued", "redeemed", "identified_redemptions", "redeeming_customers", "identified_customers",
          "converted_customers", "repeat_customers", "purchases", "refunds", "revenue_cents", "gross_profit",
          "cost_cents", "freebie_only", "feedback_count")
MONEY_KEYS = {"revenue_cents": "revenue", "gross_profit": "gross_profit", "cost_cents": "cost",
              "incremental_revenue": "incremental_revenue"}
# The API's top-level keys, in METRICS.md's order (the CSV's rows follow it).
FIGURE_KEYS = ("issued", "redeemed", "identified_redemptions", "redeeming_customers", "identified_customers",
               "converted_customers", "conversion_rate", "repeat_customers", "purchases", "refunds", "revenue",
               "gross_profit", "cost", "roi", "median_days_to_first_purchase", "freebie_only", "freebie_only_share",
               "payback_date", "payback_days", "feedback_count", "nps")
HOLDOUT_KEYS = ("treatment_size", "control_size", "treatment_converted", "control_converted",
                "treatment_conversion_rate", "control_conversion_rate", "lift", "lift_ci95", "incremental_revenue",
                "significant", "members_needed")


def read_range(since_text: str | None, until_text: str | None) -> tuple[date | None, date | None]:
    """Read a report's `from` and `to` dates (YYYY-MM-DD, either may be None); invalid_input naming the field."""
    wrong = FieldErrors()
    since = wrong.check(inputs.day, since_text, "from") if since_text is not None else None  # "" is a wrong date
    until = wrong.check(inputs.day, until_text, "to") if until_text is not None else None
    wrong.raise_any()
    if since and until:
        if until < since:
            raise ValidationError({"to": "The end date comes before the start date."})
        if (until - since).days > RANGE_MAX_DAYS:
            raise ValidationError({"to": f"A range of at most {RANGE_MAX_DAYS} days."})
    return since, until


def _rate(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def _totals(rows: list[dict]) -> dict:
    """Sums over campaigns, with the rates recomputed from the sums (a customer of two campaigns counts twice)."""
    totals = {key: sum((row[key] for row in rows), start=0) for key in SUMMED}
    totals["conversion_rate"] = _rate(totals["converted_customers"], totals["redeeming_customers"]) or Fraction(0)
    totals["freebie_only_share"] = _rate(totals["freebie_only"], totals["identified_customers"])
    cost = totals["cost_cents"]
    totals["roi"] = (totals["gross_profit"] - cost) / cost if cost else None
    totals["median_days_to_first_purchase"] = None
    totals["payback_date"] = totals["payback_days"] = None
    return totals


def overview(since: date | None = None, until: date | None = None) -> dict:
    """Return every campaign's figures, newest campaign first, with `rows` and their `totals`."""
    zone = business_zone()
    campaigns = list(db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())))
    with materialised() as found:
        by_campaign = figures(None, since, until, found=found, zone=zone)
        paybacks = payback_dates(None, since, until, zone=zone, found=found)
        feedback = feedback_figures(None, since, until, found=found, zone=zone)
    rows = []
    for campaign in campaigns:
        payback_date, payback_days = paybacks.get(campaign.id, (None, None))
        said = feedback.get(campaign.id, no_feedback())
        rows.append({"campaign": campaign, **by_campaign[campaign.id], "payback_date": payback_date,
                     "payback_days": payback_days, "feedback_count": said["feedback_count"], "nps": said["nps"]})
    return {"rows": rows, "totals": _totals(rows), "since": since, "until": until}


def campaign_report(campaign_id: int, since: date | None = None, until: date | None = None) -> dict:
    """Return one campaign's every figure, its holdout test and the series its charts draw."""
    campaign = get_campaign(campaign_id)
    zone = business_zone()
    with materialised([campaign_id]) as found:
        report = dict(figures([campaign_id], since, until, found=found, zone=zone)[campaign_id])
        profit = profit_by_day(campaign_id, since, until, zone=zone, found=found)
        report.update(payback_date=profit["payback_date"], payback_days=profit["payback_days"])
        report.update(holdout(campaign_id))
        said = feedback_figures([campaign_id], since, until, found=found, zone=zone).get(campaign_id, no_feedback())
        report.update(feedback_count=said["feedback_count"], nps=said["nps"], conversion_by_band=said["bands"])
        by_batch = figures([campaign_id], since, until, group="batch", found=found, zone=zone)
        by_location = figures([campaign_id], since, until, group="location", found=found, zone=zone)
        report["series"] = {
            "funnel": [{"stage": stage, "count": report[key]} for stage, key in FUNNEL],
            "conversion_by_day": conversion_by_day(campaign_id, since, until, found=found),
            "profit_by_day": profit,
            "cohorts": cohorts(campaign_id, since, until, zone=zone, found=found),
            "by_batch": [{"label": label, "channel": channel, **values}
                         for (label, channel), values in sorted(by_batch.items(), key=_segment_order)],
            "by_location": [{"location_id": location_id, "location": name, **values}
                            for (location_id, name), values in sorted(by_location.items(), key=_segment_order)],
        }
    report.update(campaign=campaign, since=since, until=until, charted=report["redeeming_customers"] >= MIN_FOR_CHART)
    return report


def revenue_by_campaign() -> dict[int, int]:
    """Return campaign id -> its METRICS.md `revenue` in cents, for lists of campaigns (the report's own figure)."""
    with materialised() as found:
        return {cid: values["revenue_cents"] for cid, values in figures(None, found=found).items()}


def campaign_figures(campaign_id: int, since: date | None = None, until: date | None = None) -> dict:
    """Return one campaign's figures alone (no series, no holdout test), with the campaign: for pages that need
    only a count or two, such as the freebie-only list."""
    campaign = get_campaign(campaign_id)
    return dict(figures([campaign_id], since, until)[campaign_id], campaign=campaign)


def _segment_order(item) -> tuple:
    """Busiest segment first, then by name (an unnamed segment last among equals)."""
    key, values = item
    return (-values["redeemed"], key[1] is None, str(key[1] or ""), str(key[0] or ""))


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
        elif key in ("conversion_rate", "roi", "freebie_only_share", "treatment_conversion_rate",
                     "control_conversion_rate", "lift", "median_days_to_first_purchase"):
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
                                                                           "charted", "conversion_by_band")},
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


def band_json(bands: dict) -> dict:
    """Conversion by feedback band as the API writes it: each band's answers, customers, converted customers and
    their rate (null without customers), so a rate never goes without its count."""
    return {name: {**bands[name], "conversion_rate": _number(_rate(bands[name]["converted"], bands[name]["customers"]))}
            for name in BAND_NAMES}


def report_csv_rows(report: dict) -> list[list]:
    """Return the report's top-level figures as `figure,value` rows, with the API's text (empty for null)."""
    written = report_json(report)
    rows = [["figure", "value"]]
    for key in FIGURE_KEYS + HOLDOUT_KEYS:
        value = written[key]
        if isinstance(value, list):
            value = " to ".join(str(part) for part in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        rows.append([key, "" if value is None else value])
    for name, values in written["conversion_by_band"].items():
        rows.extend([f"{name}_{key}", "" if value is None else value] for key, value in values.items())
    return rows


OVERVIEW_COLUMNS = ("campaign_id", "campaign", "status", "issued", "redeemed", "identified_redemptions",
                    "redeeming_customers", "converted_customers", "conversion_rate", "repeat_customers", "revenue",
                    "gross_profit", "cost", "roi", "payback_date", "freebie_only", "freebie_only_share",
                    "feedback_count", "nps")


def overview_csv_rows(data: dict) -> list[list]:
    """Return the overview as CSV rows: a header, one row per campaign, and a final Total row."""
    currency = get_settings().currency
    rows = [list(OVERVIEW_COLUMNS)]
    for row in data["rows"] + [dict(data["totals"], campaign=None)]:
        written = figure_json(row, currency)
        campaign = row["campaign"]
        written.update(campaign_id=campaign.id if campaign else "", campaign=campaign.name if campaign else "Total",
                       status=campaign.status if campaign else "")
        rows.append(["" if written.get(column) is None else written[column] for column in OVERVIEW_COLUMNS])
    return rows
