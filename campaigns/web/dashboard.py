"""The reports owners and marketers read: the overview of every campaign and each campaign's own report, with
their charts and CSV downloads. The figures come from campaigns.reports.assemble (the API reads the same)."""
import re
from decimal import Decimal

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from campaigns.accounts import first_steps
from campaigns.core import exports, inputs
from campaigns.core.errors import DomainError
from campaigns.giving.designs import get_campaign
from campaigns.reports import assemble as metrics
from campaigns.reports import written
from campaigns.reports.freebies import freebie_only_customers
from campaigns.reports.periods import Period, local_today, read_period
from campaigns.web import report_text as reports
from campaigns.web.access import requires
from campaigns.web.error_responses import status_of
from campaigns.web.transaction import keep_note

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.context_processor(reports.formatting)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
FREEBIE_PAGE_SIZE = 50
FREEBIE_COLUMNS = ("customer_id", "name", "email", "phone", "redeemed_at")


def _range():
    """The ?from=, ?to=, ?preset= and ?compare= of a report, read as the API reads them (ValidationError naming
    the field); an empty field is no field."""
    args = request.args
    return read_period(args.get("from") or None, args.get("to") or None, local_today(), args.get("preset") or None,
                       args.get("compare") or None)


def range_error_text(error: DomainError) -> str:
    """Say what is wrong with the dates, in words."""
    fields = error.details.get("fields", {})
    names = {"from": "From", "to": "To", "preset": "Period", "compare": "Compare"}
    return " ".join(f"{names.get(field, field)}: {message}" for field, message in fields.items()) or error.message


def _download_range():
    """The range of a download; a bad one answers 422 with what is wrong, as plain text."""
    try:
        return _range()
    except DomainError as error:
        abort(Response(range_error_text(error) + "\n", status=status_of(error), mimetype="text/plain"))


def _csv(rows: list[list], filename: str) -> Response:
    """Send rows as a CSV download; a cell that is a plain number stays a number (a refund's "-5.00" too)."""
    cells = [[Decimal(cell) if isinstance(cell, str) and _NUMBER.fullmatch(cell) else cell for cell in row]
             for row in rows]
    body = exports.csv_text(cells[0], cells[1:])
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": exports.attachment(filename)})


def _range_suffix(period: Period) -> str:
    return ((f"-from-{period.since}" if period.since else "") + (f"-to-{period.until}" if period.until else "")
            + ("-compared" if period.compare else ""))


@bp.route("/")
@requires("marketer")
def index():
    """The overview: every campaign's figures in one sortable table, totals, and ROI side by side."""
    sort, direction = reports.read_sort(request.args.get("sort"), request.args.get("dir"))
    archived = request.args.get("archived") == "1"
    steps = first_steps.progress() if current_user.role == "owner" else None
    try:
        period = _range()
    except DomainError as error:
        return render_template("dashboard/index.html", error=range_error_text(error), data=None, sort=sort,
                               direction=direction, since=None, until=None, period=Period(),
                               archived=archived, steps=steps), status_of(error)
    data = metrics.overview(period.since, period.until, period.previous, archived=archived)
    return render_template("dashboard/index.html", data=data, rows=reports.sort_rows(data["rows"], sort, direction),
                           sort=sort, direction=direction, since=period.since, until=period.until, error=None,
                           period=period, archived=archived, steps=steps,
                           roi_chart=reports.roi_chart(data["rows"]),
                           left_out=reports.left_out_of_roi_chart(data["rows"]))


@bp.route("/first-steps", methods=["POST"])
@requires("owner")
def first_steps_list():
    """Hide the list of first steps from the dashboard, or show it again."""
    if request.form.get("list") == "shown":
        first_steps.show(current_user.id)
    else:
        first_steps.hide(current_user.id)
    return redirect(url_for("dashboard.index"))


@bp.route("/overview.csv")
@requires("marketer")
def overview_csv():
    """The overview as CSV: one row per campaign and a final Total row."""
    period = _download_range()
    data = metrics.overview(period.since, period.until, period.previous, archived=True)
    return _csv(written.overview_csv_rows(data), f"campaigns-overview{_range_suffix(period)}.csv")


@bp.route("/campaigns/<int:campaign_id>")
@requires("marketer")
def campaign(campaign_id: int):
    """One campaign's report: headline figures, funnel, conversion by day, payback, cohorts, segments, holdout."""
    try:
        period = _range()
    except DomainError as error:
        return render_template("dashboard/campaign.html", error=range_error_text(error), report=None, since=None,
                               until=None, period=Period(), campaign=get_campaign(campaign_id)), status_of(error)
    report = metrics.campaign_report(campaign_id, period.since, period.until, period.previous)
    if first_steps.note_report_read(current_user.id):
        keep_note()
    series = report["series"]
    return render_template("dashboard/campaign.html", report=report, campaign=report["campaign"], since=period.since,
                           until=period.until, period=period, error=None, charts=reports.report_charts(report),
                           funnel=reports.funnel_rows(report), profit=reports.profit_rows(series["profit_by_day"]),
                           cohorts=[(row, reports.cohort_cells(row)) for row in series["cohorts"]],
                           segment_name=reports.segment_name)


@bp.route("/campaigns/<int:campaign_id>/report.csv")
@requires("marketer")
def report_csv(campaign_id: int):
    """One campaign's figures as `figure,value` rows, in the API's text."""
    period = _download_range()
    report = metrics.campaign_report(campaign_id, period.since, period.until, period.previous)
    return _csv(written.report_csv_rows(report), f"campaign-{campaign_id}-report{_range_suffix(period)}.csv")


def _table_csv(table: str):
    """Make the view that downloads one of a campaign report's tables."""
    @requires("marketer")
    def view(campaign_id: int):
        period = _download_range()
        report = metrics.campaign_report(campaign_id, period.since, period.until)
        return _csv(reports.table_csv_rows(report, table),
                    f"campaign-{campaign_id}-{table.replace('_', '-')}{_range_suffix(period)}.csv")

    view.__doc__ = f"Download the campaign report's {table.replace('_', ' ')} table as CSV."
    return view


for _table in reports.TABLES:
    bp.add_url_rule(f"/campaigns/<int:campaign_id>/{_table}.csv", f"{_table}_csv", _table_csv(_table))


@bp.route("/campaigns/<int:campaign_id>/freebie-only")
@requires("marketer")
def freebie_only(campaign_id: int):
    """The known customers who redeemed this campaign's voucher and never bought anything."""
    page = inputs.whole(request.args.get("page", "1"), "page", 1, 100_000)
    try:
        period = _range()
        since, until = period.since, period.until
    except DomainError as error:
        return render_template("dashboard/freebie_only.html", error=range_error_text(error), since=None, until=None,
                               campaign=get_campaign(campaign_id)), status_of(error)
    report = metrics.campaign_figures(campaign_id, since, until)
    customers = freebie_only_customers(campaign_id, since, until, FREEBIE_PAGE_SIZE, (page - 1) * FREEBIE_PAGE_SIZE)
    return render_template("dashboard/freebie_only.html", campaign=report["campaign"], customers=customers,
                           total=report["freebie_only"], identified=report["identified_customers"],
                           share_of=report["freebie_only_share"], page=page, error=None, since=since, until=until,
                           pages=max(1, -(-report["freebie_only"] // FREEBIE_PAGE_SIZE)))


@bp.route("/campaigns/<int:campaign_id>/freebie-only.csv")
@requires("marketer")
def freebie_only_csv(campaign_id: int):
    """The freebie-only customers as CSV."""
    period = _download_range()
    get_campaign(campaign_id)  # 404 for an unknown campaign
    customers = freebie_only_customers(campaign_id, period.since, period.until)
    return _csv([list(FREEBIE_COLUMNS)] + [[row.get(column) for column in FREEBIE_COLUMNS] for row in customers],
                f"campaign-{campaign_id}-freebie-only{_range_suffix(period)}.csv")
