"""The campaign report and the overview: every figure of METRICS.md, assembled once for the pages, the API
and the CSV exports (written.py writes them as text), so that all three always say the same.

The figures come from the metrics modules (SQL, never rows loaded into Python); this module puts them
together, adds the totals, the verdict over them and the comparison with a previous period.
"""
from datetime import date
from fractions import Fraction

from sqlalchemy import select

from campaigns.accounts.business import business_zone
from campaigns.extensions import db
from campaigns.giving.designs import get_campaign
from campaigns.models import AudienceAssignment, Campaign, utcnow
from campaigns.reports import attribution_store
from campaigns.reports.feedback_figures import empty as no_feedback
from campaigns.reports.feedback_figures import feedback_figures
from campaigns.reports.figures import figures
from campaigns.reports.holdout import EMPTY as NO_HOLDOUT
from campaigns.reports.holdout import holdout
from campaigns.reports.periods import read_range  # noqa: F401 (the pages and the API read ranges from here)
from campaigns.reports.series import cohorts, conversion_by_day, payback_dates, profit_by_day
from campaigns.reports.verdict import overall

# Below this many redeeming customers a chart would pretend: pages show the counts only.
MIN_FOR_CHART = 20
FUNNEL = (("issued", "issued"), ("redeemed", "redeemed"), ("identified", "identified_redemptions"),
          ("converted", "converted_customers"), ("repeat", "repeat_customers"))
# The figures whose sum over campaigns means something (the overview's totals).
SUMMED = ("issued", "redeemed", "identified_redemptions", "redeeming_customers", "identified_customers",
          "converted_customers", "repeat_customers", "purchases", "refunds", "revenue_cents", "gross_profit",
          "cost_cents", "freebie_only", "feedback_count")
# The totals a comparison with the previous period sets side by side (internal names).
COMPARED = ("issued", "redeemed", "identified_redemptions", "redeeming_customers", "converted_customers",
            "conversion_rate", "repeat_customers", "purchases", "refunds", "revenue_cents", "gross_profit",
            "cost_cents", "roi", "freebie_only", "feedback_count")


def _rate(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def _totals(rows: list[dict]) -> dict:
    """Sums over campaigns, with the rates recomputed from the sums (a customer of two campaigns counts twice),
    and the verdict over their matured redemptions together."""
    totals = {key: sum((row[key] for row in rows), start=0) for key in SUMMED}
    totals["conversion_rate"] = _rate(totals["converted_customers"], totals["redeeming_customers"]) or Fraction(0)
    totals["freebie_only_share"] = _rate(totals["freebie_only"], totals["identified_customers"])
    cost = totals["cost_cents"]
    totals["roi"] = (totals["gross_profit"] - cost) / cost if cost else None
    totals["median_days_to_first_purchase"] = None
    totals["payback_date"] = totals["payback_days"] = None
    totals.update(overall(rows))
    return totals


def change(now: dict, before: dict) -> dict:
    """Each compared figure's change from the previous period (None where either side has no value)."""
    return {key: None if now.get(key) is None or before.get(key) is None else now[key] - before[key]
            for key in COMPARED}


def headline(values: dict) -> str:
    """Which ROI is the headline (METRICS.md): incremental where a holdout has members in both groups."""
    return "incremental" if values.get("treatment_size") and values.get("control_size") else "attributed"


def _overview_rows(campaigns, since, until, found, zone, now) -> list[dict]:
    """Every campaign's figures over a range; a range leaves out the campaigns with nothing in it."""
    by_campaign = figures(None, since, until, found=found, zone=zone, now=now)
    paybacks = payback_dates(None, since, until, zone=zone, found=found)
    feedback = feedback_figures(None, since, until, found=found, zone=zone)
    rows = []
    for campaign in campaigns:
        values = by_campaign[campaign.id]
        if (since or until) and not values["in_range"]:
            continue
        payback_date, payback_days = paybacks.get(campaign.id, (None, None))
        said = feedback.get(campaign.id, no_feedback())
        rows.append({"campaign": campaign, **values, "payback_date": payback_date, "payback_days": payback_days,
                     "feedback_count": said["feedback_count"], "nps": said["nps"]})
    return rows


def overview(since: date | None = None, until: date | None = None, previous: tuple[date, date] | None = None,
             archived: bool = False) -> dict:
    """Return the figures of every campaign with something in the range (all of them without one), newest first,
    as `rows` and their `totals`; archived campaigns count in the totals but are rows only when `archived`.
    With `previous` (a period's dates), also that period's `previous` totals and each total's `change`."""
    zone, now = business_zone(), utcnow()
    campaigns = list(db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())))
    tested = set(db.session.scalars(select(AudienceAssignment.campaign_id).distinct()))
    found = attribution_store.fresh()
    rows = _overview_rows(campaigns, since, until, found, zone, now)
    before = _overview_rows(campaigns, *previous, found, zone, now) if previous else None
    for row in rows:
        row.update(holdout(row["campaign"].id) if row["campaign"].id in tested else NO_HOLDOUT)
        row["headline_roi"] = headline(row)
    shown = [row for row in rows if archived or row["campaign"].archived_at is None]
    data = {"rows": shown, "totals": _totals(rows), "since": since, "until": until, "archived": archived,
            "archived_hidden": len(rows) - len(shown), "previous": None, "change": None}
    if before is not None:
        data["previous"] = {"since": previous[0], "until": previous[1], "totals": _totals(before)}
        data["change"] = change(data["totals"], data["previous"]["totals"])
    return data


def _compared(campaign_id: int, since: date, until: date, found, zone, now) -> dict:
    """One campaign's figures over another period (for the comparison), feedback included."""
    values = dict(figures([campaign_id], since, until, found=found, zone=zone, now=now)[campaign_id])
    said = feedback_figures([campaign_id], since, until, found=found, zone=zone).get(campaign_id, no_feedback())
    values.update(feedback_count=said["feedback_count"], nps=said["nps"], since=since, until=until)
    return values


def campaign_report(campaign_id: int, since: date | None = None, until: date | None = None,
                    previous: tuple[date, date] | None = None) -> dict:
    """Return one campaign's every figure, its holdout test and the series its charts draw; with `previous`, the
    figures of that period and each one's change."""
    campaign = get_campaign(campaign_id)
    zone, now = business_zone(), utcnow()
    found = attribution_store.fresh()
    report = dict(figures([campaign_id], since, until, found=found, zone=zone, now=now)[campaign_id])
    profit = profit_by_day(campaign_id, since, until, zone=zone, found=found)
    report.update(payback_date=profit["payback_date"], payback_days=profit["payback_days"])
    report.update(holdout(campaign_id))
    report["headline_roi"] = headline(report)
    said = feedback_figures([campaign_id], since, until, found=found, zone=zone).get(campaign_id, no_feedback())
    report.update(feedback_count=said["feedback_count"], nps=said["nps"], conversion_by_band=said["bands"])
    report["previous"] = _compared(campaign_id, *previous, found, zone, now) if previous else None
    by_batch = figures([campaign_id], since, until, group="batch", found=found, zone=zone, now=now)
    by_location = figures([campaign_id], since, until, group="location", found=found, zone=zone, now=now)
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
    report["change"] = change(report, report["previous"]) if previous else None
    report.update(campaign=campaign, since=since, until=until, charted=report["redeeming_customers"] >= MIN_FOR_CHART)
    return report


def revenue_by_campaign() -> dict[int, int]:
    """Return campaign id -> its METRICS.md `revenue` in cents, for lists of campaigns (the report's own figure)."""
    found = attribution_store.fresh()
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
