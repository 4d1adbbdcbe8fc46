"""The marketer's pages: design campaigns, move their status, make and print vouchers."""
import json
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from campaigns.accounts.business import business_zone, get_settings
from campaigns.core import exports, numbers
from campaigns.core.words import customer_language
from campaigns.extensions import db
from campaigns.giving import designs, retiring, sheets, vouchers
from campaigns.links import claim_url, unreachable_address, voucher_url
from campaigns.models import CAMPAIGN_STATUSES, Campaign
from campaigns.reports.assemble import campaign_figures, revenue_by_campaign
from campaigns.reports.counts import batches as batch_counts
from campaigns.reports.counts import voucher_counts
from campaigns.reports.spend import budget
from campaigns.web.access import requires
from campaigns.web.forms import BatchForm, CampaignForm, put_errors_on
from campaigns.web.transaction import attempt, streamed


def _count(value: int) -> str:
    return numbers.count_text(value, get_settings().locale)


bp = Blueprint("marketing", __name__, url_prefix="/campaigns")
PDF_PART = 5000  # cards per PDF download: a 100,000-voucher batch prints as 20 files
STATUS_ACTIONS = {"activate": "active", "pause": "paused", "resume": "active", "end": "ended"}
ARCHIVE_ACTIONS = {"archive": retiring.archive, "unarchive": retiring.unarchive}


@bp.route("/")
@requires("marketer")
def campaigns():
    """List campaigns with their status, voucher counts and attributed revenue: those not archived, one status of
    them, the archived ones or all (?status=, ?archived=exclude|only|include)."""
    status = request.args.get("status") if request.args.get("status") in CAMPAIGN_STATUSES else None
    archived = request.args.get("archived") if request.args.get("archived") in designs.ARCHIVED_CHOICES else "exclude"
    shown, _ = designs.list_campaigns(per_page=None, status=status, archived=archived)
    counts = {row["campaign"].id: row for row in voucher_counts()}
    return render_template("marketing/campaigns.html", campaigns=shown, counts=counts, revenue=revenue_by_campaign(),
                           tally=designs.campaign_tally(), status=status, archived=archived)


def _save(form: CampaignForm, action) -> Campaign | None:
    saved, error = attempt(action)
    if error is not None:
        put_errors_on(form, error.details.get("fields", {}))
        flash(error.message, "error")
    return saved


@bp.route("/new", methods=["GET", "POST"])
@requires("marketer")
def new():
    """Design a new campaign (it starts as a draft)."""
    form = CampaignForm()
    if not form.is_submitted():
        form.gross_margin_pct.data = Decimal(get_settings().default_gross_margin_bp) / 100
    if form.validate_on_submit():
        made = _save(form, lambda: designs.create_campaign(form.design(), current_user.id))
        if made is not None:
            flash(f"{made.name} saved as a draft. Make vouchers, then activate it.", "success")
            return redirect(url_for("marketing.detail", campaign_id=made.id))
    return render_template("marketing/form.html", form=form, campaign=None, currency=get_settings().currency)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("marketer")
def edit(campaign_id: int):
    """Change a campaign's design."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CampaignForm(obj=designs.design_of(campaign))
    if form.validate_on_submit():
        if _save(form, lambda: designs.update_campaign(campaign, form.design(), user_id=current_user.id)) is not None:
            flash("Campaign saved.", "success")
            return redirect(url_for("marketing.detail", campaign_id=campaign.id))
    return render_template("marketing/form.html", form=form, campaign=campaign, currency=get_settings().currency)


@bp.route("/<int:campaign_id>")
@requires("marketer")
def detail(campaign_id: int):
    """Show a campaign: its design, budget, status actions, batches and claim page."""
    campaign = db.get_or_404(Campaign, campaign_id)
    zone = business_zone()
    batches = batch_counts(campaign.id)
    return render_template(
        "marketing/detail.html", campaign=campaign,
        budget=budget(campaign, redeemed=sum(batch["redeemed"] for batch in batches)),
        batches=batches, form=BatchForm(formdata=None), state=designs.campaign_state(campaign),
        figures=campaign_figures(campaign.id),
        expires=designs.expires_at(campaign, zone), currency=get_settings().currency, part_size=PDF_PART,
        unreachable=unreachable_address(),
        claim_url=url_for("public.claim_page", slug=campaign.claim_slug, _external=False) if campaign.claim_slug else None,
        claim_link=claim_url(campaign),  # the address the poster prints: the one to copy and share
        actions=[a for a, to in STATUS_ACTIONS.items() if to in designs.TRANSITIONS[campaign.status]
                 and (a != "resume" or campaign.status == "paused") and (a != "activate" or campaign.status == "draft")],
    )


@bp.route("/<int:campaign_id>/status", methods=["POST"])
@requires("marketer")
def change_status(campaign_id: int):
    """Activate, pause, resume or end a campaign."""
    campaign = db.get_or_404(Campaign, campaign_id)
    target = STATUS_ACTIONS.get(request.form.get("action", ""))
    if target is None:
        abort(400)
    _, error = attempt(lambda: designs.set_status(campaign, target, user_id=current_user.id))
    if error is not None:
        flash(error.message, "error")
    else:
        flash(f"{campaign.name} is now {campaign.status}.", "success")
    return redirect(url_for("marketing.detail", campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/archive", methods=["POST"])
@requires("marketer")
def archive(campaign_id: int):
    """Archive an ended campaign out of the default list, or bring it back (action=archive|unarchive)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    action = ARCHIVE_ACTIONS.get(request.form.get("action", ""))
    if action is None:
        abort(400)
    _, error = attempt(lambda: action(campaign, current_user.id))
    if error is not None:
        flash(error.message, "error")
    elif campaign.archived_at is not None:
        flash(f"{campaign.name} is archived: it is listed under Archived and All, and still counts in every total.",
              "success")
    else:
        flash(f"{campaign.name} is back in the campaigns list.", "success")
    return redirect(url_for("marketing.detail", campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/delete")
@requires("marketer")
def delete_confirm(campaign_id: int):
    """Say what deleting a draft removes (its vouchers stop working) and ask to confirm, or why it cannot be."""
    removing, error = attempt(lambda: retiring.deletion_preview(db.get_or_404(Campaign, campaign_id)))
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("marketing.detail", campaign_id=campaign_id))
    return render_template("marketing/delete.html", removing=removing)


@bp.route("/<int:campaign_id>/delete", methods=["POST"])
@requires("marketer")
def delete(campaign_id: int):
    """Delete a draft and its vouchers, then go back to the list."""
    removed, error = attempt(lambda: retiring.delete_draft(db.get_or_404(Campaign, campaign_id), current_user.id))
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("marketing.detail", campaign_id=campaign_id))
    vouchers_said = f"{_count(removed.vouchers)} voucher{'s' if removed.vouchers != 1 else ''}"
    flash(f"Deleted the draft {removed.name}" + (f" and its {vouchers_said}." if removed.vouchers else "."), "success")
    return redirect(url_for("marketing.campaigns"))


@bp.route("/<int:campaign_id>/duplicate", methods=["POST"])
@requires("marketer")
def duplicate(campaign_id: int):
    """Copy a campaign's design into a new draft."""
    copy = designs.duplicate_campaign(db.get_or_404(Campaign, campaign_id), current_user.id)
    flash(f"Copied into the draft {copy.name}. Adjust it and make its vouchers.", "success")
    return redirect(url_for("marketing.edit", campaign_id=copy.id))


@bp.route("/<int:campaign_id>/batches", methods=["POST"])
@requires("marketer")
def make_batch(campaign_id: int):
    """Make a batch of anonymous vouchers; streams progress as NDJSON when the page asks for it."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = BatchForm()
    streaming = "application/x-ndjson" in request.headers.get("Accept", "")
    if not form.validate():
        message = "; ".join(f"{form[name].label.text}: {' '.join(errs)}" for name, errs in form.errors.items())
        if streaming:
            return Response(json.dumps({"error": message}) + "\n", status=422, mimetype="application/x-ndjson")
        flash(message, "error")
        return redirect(url_for("marketing.detail", campaign_id=campaign_id))
    count, label = form.count.data, form.batch_label.data
    if streaming:
        return Response(stream_with_context(_stream_batch(campaign.id, count, label)), mimetype="application/x-ndjson")
    _, error = attempt(lambda: vouchers.issue_batch(campaign, count, label))
    if error is not None:
        flash(error.message, "error")
    else:
        flash(f"Made {_count(count)} vouchers in the batch {label}.", "success")
    return redirect(url_for("marketing.detail", campaign_id=campaign_id))


def _stream_batch(campaign_id: int, count: int, label: str):
    """Stream a progress line per chunk while the batch is made in one transaction, committed at the end."""
    def progress():
        yield json.dumps({"done": 0, "total": count}) + "\n"
        # The stream runs after the view has answered: load the campaign in the stream's own session.
        campaign = db.session.get(Campaign, campaign_id)
        for done, total, _ in vouchers.issue_batch_steps(campaign, count, label):
            yield json.dumps({"done": done, "total": total}) + "\n"

    return streamed(progress(),
                    finished=lambda: json.dumps({"finished": True, "redirect": url_for(
                        "marketing.detail", campaign_id=campaign_id)}) + "\n",
                    failed=lambda error: json.dumps({"error": error.message}) + "\n")


def _download(body, mimetype: str, filename: str) -> Response:
    """Answer with a file the browser saves under `filename`, whatever its characters (RFC 6266)."""
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": exports.attachment(filename)})


def _slug(label: str | None) -> str:
    """A batch label as it goes into a file name ("all" for the whole campaign)."""
    return exports.name_part(label) if label else "all"


def _batch_vouchers(campaign: Campaign, include_void: bool = True):
    label = request.args.get("batch")
    chosen = vouchers.vouchers_of(campaign.id, vouchers.ALL_BATCHES if label is None else label, include_void)
    return chosen, label


@bp.route("/<int:campaign_id>/vouchers.pdf")
@requires("marketer")
def sheet_pdf(campaign_id: int):
    """Download printable cut-out cards of a batch (A4 or US Letter), in parts of 5,000 cards."""
    campaign = db.get_or_404(Campaign, campaign_id)
    page = request.args.get("page", "a4")
    part = request.args.get("part", 1, type=int)
    if page not in sheets.PAGE_SIZES or part < 1:
        abort(404)
    chosen, label = _batch_vouchers(campaign, include_void=False)  # a void voucher is never printed
    chosen = chosen[(part - 1) * PDF_PART: part * PDF_PART]
    settings = get_settings()
    language = customer_language(settings)  # printed for customers: in their language
    expiry = sheets.expiry_text(campaign, language, settings.locale)
    pdf = sheets.voucher_sheet(campaign, chosen, voucher_url, page, expiry, settings.business_name, language)
    return _download(pdf, "application/pdf", f"vouchers-{campaign.id}-{_slug(label)}-{part}-{page}.pdf")


@bp.route("/<int:campaign_id>/vouchers.csv")
@requires("marketer")
def codes_csv(campaign_id: int):
    """Download the codes and URLs of a batch (or of the whole campaign) as CSV."""
    campaign = db.get_or_404(Campaign, campaign_id)
    chosen, label = _batch_vouchers(campaign)
    zone = business_zone()
    body = sheets.codes_csv(chosen, voucher_url, lambda v: vouchers.voucher_state(v, zone=zone))
    return _download(body, "text/csv", f"vouchers-{campaign.id}-{_slug(label)}.csv")


@bp.route("/<int:campaign_id>/poster.pdf")
@requires("marketer")
def poster_pdf(campaign_id: int):
    """Download the claim page's printable poster with its QR code."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if campaign.claim_slug is None:
        abort(404)
    page = request.args.get("page", "a4")
    if page not in sheets.PAGE_SIZES:
        abort(404)
    settings = get_settings()
    language = customer_language(settings)  # printed for customers: in their language
    expiry = sheets.expiry_text(campaign, language, settings.locale) if campaign.ends_on else ""
    pdf = sheets.claim_poster(campaign, claim_url(campaign), page, expiry, settings.business_name, language)
    return _download(pdf, "application/pdf", f"poster-{campaign.id}-{page}.pdf")
