"""Feedback for owners and marketers: a campaign's NPS with its count, conversion by score band, the words that
come up most, every answer (newest first, searchable) and their CSV; and the marketer's preview of the form."""
from flask import Blueprint, Response, render_template, request

from campaigns.core import exports, inputs
from campaigns.core.errors import DomainError
from campaigns.feedback.answers import band_of
from campaigns.giving import codes
from campaigns.giving.designs import get_campaign
from campaigns.reports import feedback_figures as said
from campaigns.reports.periods import read_range
from campaigns.reports.written import band_json
from campaigns.web import report_text as reports
from campaigns.web.access import requires
from campaigns.web.dashboard import range_error_text
from campaigns.web.public import business_page, feedback_form

bp = Blueprint("feedback", __name__)
bp.context_processor(reports.formatting)
PAGE_SIZE = 25
BAND_LABELS = {"promoter": "Promoters (9–10)", "passive": "Passives (7–8)", "detractor": "Detractors (0–6)"}
CSV_COLUMNS = ("given_at", "changed_at", "voucher", "customer_id", "name", "email", "score", "band", "answer",
               "answer_2")


@bp.route("/campaigns/<int:campaign_id>/feedback/preview")
@requires("marketer")
def preview(campaign_id: int):
    """The campaign's feedback form exactly as a customer sees it on a redeemed voucher, without sending."""
    campaign = get_campaign(campaign_id)
    return render_template("marketing/feedback_preview.html", campaign=campaign, form=feedback_form(campaign),
                           stored=None, changeable=False, final_at=None, action="#", preview=True,
                           **business_page())


def _selection() -> tuple[str, str | None]:
    """The answers asked for: the ?q= words (made safe, at most 200 characters) and the ?band= (None: every band)."""
    band = request.args.get("band")
    return inputs.printable(request.args.get("q", ""), 200).strip(), band if band in said.BAND_NAMES else None


def _band_rows(bands: dict) -> list[dict]:
    written = band_json(bands)
    return [{"band": name, "label": BAND_LABELS[name], **written[name],
             "share": reports.share(written[name]["converted"], written[name]["customers"])}
            for name in ("promoter", "passive", "detractor")]


@bp.route("/dashboard/campaigns/<int:campaign_id>/feedback")
@requires("marketer")
def answers(campaign_id: int):
    """NPS with its count, conversion by band, top words and phrases, and the answers, newest first."""
    campaign = get_campaign(campaign_id)
    search, band = _selection()
    page = inputs.whole(request.args.get("page", "1"), "page", 1, 100_000)
    try:
        since, until, range_error = *read_range(request.args.get("from") or None, request.args.get("to") or None), None
    except DomainError as error:  # say what is wrong beside the dates, and show every answer meanwhile
        since, until, range_error = None, None, range_error_text(error)
    figures = said.feedback_figures([campaign_id], since, until).get(campaign_id, said.empty())
    rows, total = said.answers(campaign_id, search, band, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    bands = _band_rows(figures["bands"])
    scores = said.score_counts(campaign_id)
    charts = {
        "scores": reports.chart_base() | {"kind": "scores", "labels": [str(n) for n in range(11)], "values": scores,
                                          "bands": [band_of(n) for n in range(11)],
                                          "texts": [reports.count(n) for n in scores]},
        "bands": reports.chart_base() | {
            "kind": "segments", "labels": [row["label"] for row in bands],
            "axis": "Share of the band's known customers who converted",
            "values": [round(100 * row["conversion_rate"], 1) if row["conversion_rate"] is not None else 0
                       for row in bands],
            "texts": [row["share"] for row in bands]},
    }
    return render_template("dashboard/feedback.html", campaign=campaign, figures=figures, bands=bands, rows=rows,
                           total=total, search=search, band=band, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           terms=said.top_terms(campaign_id), charts=charts, scores=scores, band_labels=BAND_LABELS,
                           format_code=codes.format_code, since=since, until=until,
                           range_error=range_error), 422 if range_error else 200


@bp.route("/dashboard/campaigns/<int:campaign_id>/feedback.csv")
@requires("marketer")
def answers_csv(campaign_id: int):
    """Every answer of a campaign (or those the search and band select) as CSV, newest first."""
    get_campaign(campaign_id)
    search, band = _selection()
    rows, _ = said.answers(campaign_id, search, band, limit=None)
    body = exports.csv_text(list(CSV_COLUMNS), (
        [given.created_at.isoformat(), given.updated_at.isoformat() if given.version > 1 else "",
         codes.format_code(code), customer_id or "", name or "", email or "", given.score, band_name, given.answer,
         given.answer_2] for given, code, customer_id, name, email, band_name in rows))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": exports.attachment(f"campaign-{campaign_id}-feedback.csv")})
