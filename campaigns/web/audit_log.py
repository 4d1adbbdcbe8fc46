"""The owner's audit log page: who did what, when, to what and where, filtered, newest first."""
from datetime import date

from flask import Blueprint, current_app, render_template, request, url_for

from campaigns.reports import audit_trail
from campaigns.reports.audit_words import ACTIONS
from campaigns.web.access import requires

bp = Blueprint("audit_log", __name__, url_prefix="/audit")
EXPORT_ENDPOINT = "exports.download"


def _whole(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _filters() -> audit_trail.AuditFilters:
    """Read the query string's filters; a value that is not one (a word for a date, an unknown action) is left out."""
    action = request.args.get("action", "").strip()
    return audit_trail.AuditFilters(user_id=_whole("user"), token_id=_whole("token"),
                                    action=action if action in ACTIONS else None, campaign_id=_whole("campaign"),
                                    day_from=_day("from"), day_to=_day("to"), before=_whole("before"))


def _downloads(filters: dict) -> dict[str, str]:
    """Return the CSV and Excel addresses of this view, when the exports are there to serve them."""
    if EXPORT_ENDPOINT not in current_app.view_functions:
        return {}
    return {label: url_for(EXPORT_ENDPOINT, table="audit", fmt=fmt, **filters)
            for label, fmt in (("Download CSV", "csv"), ("Download Excel", "xlsx"))}


@bp.route("")
@requires("owner")
def index():
    """List the audit log's entries under the chosen filters, a page at a time."""
    filters = _filters()
    page = audit_trail.audit_page(filters)
    chosen = filters.query_args()
    return render_template("audit/index.html", page=page, filters=filters, chosen=chosen,
                           choices=page.choices, downloads=_downloads(chosen),
                           past_first_page=filters.before is not None)
