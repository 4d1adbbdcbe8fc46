"""API: a campaign's report, every figure of METRICS.md under its own name (API.md, "Endpoints")."""
from flask import jsonify, request

from campaigns.reports.assemble import FIGURE_KEYS, HOLDOUT_KEYS, campaign_report, read_range, report_json
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
}
REPORT_SCHEMA = {"type": "object", "required": ["campaign", "currency", *FIGURE_KEYS, *HOLDOUT_KEYS,
                                                "conversion_by_band", "series"],
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
                     "series": {"type": "object", "description": "What the report's charts draw: funnel, "
                                "conversion_by_day, profit_by_day, cohorts, by_batch, by_location."}}}


@operation("/campaigns/<int:campaign_id>/report", "GET", "marketer",
           "Every figure of METRICS.md for one campaign (?from=&to= select the redemptions made in those dates).",
           {"200": {"description": "The report", "schema": REPORT_SCHEMA},
            "404": {"description": "No such campaign", **ERROR},
            "422": {"description": "A bad date range", **ERROR}},
           parameters=[{"name": "from", "in": "query", "schema": schemas.day()},
                       {"name": "to", "in": "query", "schema": schemas.day()}])
def campaign_report_json(campaign_id: int):
    """Return one campaign's report."""
    since, until = read_range(request.args.get("from"), request.args.get("to"))
    return jsonify(report_json(campaign_report(campaign_id, since, until)))
