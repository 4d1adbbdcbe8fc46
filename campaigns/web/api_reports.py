"""API: a campaign's report, every figure of METRICS.md under its own name (API.md, "Endpoints")."""
from flask import jsonify, request

from campaigns.reports.assemble import campaign_report
from campaigns.reports.periods import COMPARISONS, PRESETS, local_today, read_period
from campaigns.reports.verdict import VERDICTS
from campaigns.reports.written import COMPARED_KEYS, FIGURE_KEYS, HOLDOUT_KEYS, report_json
from campaigns.web import schemas
from campaigns.web.api import operation

ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": "number", "nullable": True}
_MONEY = {"type": "string", "nullable": True, "example": "12.50"}
_BAND = {"type": "object", "required": ["answers", "customers", "converted", "conversion_rate"], "properties": {
    "answers": _COUNT, "customers": _COUNT, "converted": _COUNT,
    "conversion_rate": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True}}}
_TYPES = {
    "conversion_rate": {"type": "number", "minimum": 0, "maximum": 1}, "roi": _RATE,
    "median_days_to_first_purchase": _RATE, "freebie_only_share": _RATE, "treatment_conversion_rate": _RATE,
    "control_conversion_rate": _RATE, "lift": _RATE,
    "lift_ci95": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2, "nullable": True},
    "revenue": _MONEY | {"nullable": False}, "gross_profit": _MONEY | {"nullable": False},
    "cost": _MONEY | {"nullable": False}, "incremental_revenue": _MONEY,
    "payback_date": {"type": "string", "format": "date", "nullable": True},
    "payback_days": {"type": "integer", "nullable": True}, "significant": {"type": "boolean", "nullable": True},
    "members_needed": {"type": "integer", "nullable": True}, "nps": {"type": "integer", "minimum": -100, "maximum": 100, "nullable": True},
    "verdict": {"type": "string", "enum": list(VERDICTS),
                "description": "too_early while no redemption has had its whole attribution window; then paid_back "
                               "or loses_money on the matured redemptions' ROI (METRICS.md)."},
    "days_to_verdict": {"type": "integer", "minimum": 1, "nullable": True,
                        "description": "While too early: whole days until the first redemption has had its window."},
    "incremental_gross_profit": _MONEY, "treatment_cost": _MONEY, "incremental_roi": _RATE,
    "headline_roi": {"type": "string", "enum": ["incremental", "attributed"],
                     "description": "Which ROI is the headline: incremental where the holdout has members in both "
                                    "groups; otherwise the attributed roi, an upper bound."},
}
_PREVIOUS = {"type": "object", "nullable": True,
             "description": "With ?compare=previous: the same figures over the same number of days just before.",
             "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                            **{key: _TYPES.get(key, _COUNT) for key in COMPARED_KEYS + ("verdict", "nps")}}}
_CHANGE = {"type": "object", "nullable": True,
           "description": "With ?compare=previous: each compared figure minus its previous value (money as money, "
                          "rates and ROI as numbers).",
           "properties": {key: (_MONEY if key in ("revenue", "gross_profit", "cost") else
                                {"type": "number", "nullable": True} if key in ("conversion_rate", "roi") else
                                {"type": "integer"}) for key in COMPARED_KEYS}}
REPORT_SCHEMA = {"type": "object", "required": ["campaign", "currency", *FIGURE_KEYS, *HOLDOUT_KEYS,
                                                "conversion_by_band", "previous", "change", "series"],
                 "properties": {
                     "campaign": {"type": "object", "properties": {
                         "id": {"type": "integer"}, "name": {"type": "string"}, "status": {"type": "string"},
                         "attribution_window_days": {"type": "integer"}, "gross_margin_pct": {"type": "number"}}},
                     "currency": {"type": "string"},
                     "from": {"type": "string", "format": "date", "nullable": True},
                     "to": {"type": "string", "format": "date", "nullable": True},
                     **{key: _TYPES.get(key, _COUNT) for key in FIGURE_KEYS + HOLDOUT_KEYS},
                     "conversion_by_band": {
                         "type": "object", "required": ["detractor", "passive", "promoter"],
                         "description": "Feedback bands (detractor 0-6, passive 7-8, promoter 9-10): answers, "
                                        "distinct identified customers who answered in the band, and those of them "
                                        "counted in converted_customers.",
                         "properties": {"detractor": _BAND, "passive": _BAND, "promoter": _BAND}},
                     "previous": _PREVIOUS, "change": _CHANGE,
                     "series": {"type": "object", "description": "What the report's charts draw: funnel, "
                                "conversion_by_day, profit_by_day, cohorts, by_batch, by_location."}}}


@operation("/campaigns/<int:campaign_id>/report", "GET", "marketer",
           "Every figure of METRICS.md for one campaign (?from=&to=, or ?preset=, select the redemptions made in "
           "those dates; ?compare=previous adds the period of the same length just before).",
           {"200": {"description": "The report", "schema": REPORT_SCHEMA},
            "404": {"description": "No such campaign", **ERROR},
            "422": {"description": "A bad date range", **ERROR}},
           parameters=[{"name": "from", "in": "query", "schema": schemas.day()},
                       {"name": "to", "in": "query", "schema": schemas.day()},
                       {"name": "preset", "in": "query", "schema": {"type": "string", "enum": list(PRESETS)}},
                       {"name": "compare", "in": "query", "schema": {"type": "string", "enum": list(COMPARISONS)}}])
def campaign_report_json(campaign_id: int):
    """Return one campaign's report."""
    args = request.args
    period = read_period(args.get("from"), args.get("to"), local_today(), args.get("preset"), args.get("compare"))
    return jsonify(report_json(campaign_report(campaign_id, period.since, period.until, period.previous)))
