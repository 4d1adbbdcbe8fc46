"""Pages for customers, with no log-in: their voucher, its QR code, and a campaign's claim page."""
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TelField
from wtforms.validators import Length, Optional

from .. import codes, qr
from ..business import business_zone, get_settings
from ..customers import make_contact
from ..errors import DomainError, ValidationError
from ..extensions import db, limiter
from ..models import Campaign
from ..vouchers import VoucherError, claim, find_voucher, voucher_state
from .access import public
from .errors import status_of
from .forms import put_errors_on
from .transaction import attempt
from .urls import voucher_url

bp = Blueprint("public", __name__)


class ClaimForm(FlaskForm):
    email = EmailField("E-mail", validators=[Optional(), Length(max=254)])
    phone = TelField("or phone number", validators=[Optional(), Length(max=32)])
    name = StringField("First name (optional)", validators=[Optional(), Length(max=120)])
    submit = SubmitField("Get my free voucher")


def _voucher_or_error(code_text: str):
    try:
        return find_voucher(code_text), None
    except VoucherError as error:
        return None, error


@bp.route("/v/<code_text>")
@public
def voucher(code_text: str):
    """Show a customer their voucher: offer, code, expiry, a big QR, and whether it is still good."""
    found, error = _voucher_or_error(code_text)
    if error is not None:
        return render_template("public/voucher_missing.html", error=error), status_of(error)
    if code_text != found.code:  # typed loosely: show the one true address
        return redirect(url_for("public.voucher", code_text=found.code), 301)
    zone = business_zone()
    campaign = found.campaign
    return render_template("public/voucher.html", voucher=found, campaign=campaign, state=voucher_state(found, zone=zone),
                           zone=zone, formatted=codes.format_code(found.code),
                           business=get_settings().business_name)


def _qr_response(code_text: str, kind: str):
    found, error = _voucher_or_error(code_text)
    if error is not None:
        return Response(error.message, status=status_of(error), mimetype="text/plain")
    url = voucher_url(found.code)
    body, mimetype = (qr.svg(url), "image/svg+xml") if kind == "svg" else (qr.png(url), "image/png")
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.route("/v/<code_text>.svg")
@public
def voucher_svg(code_text: str):
    """The voucher's QR code as SVG."""
    return _qr_response(code_text, "svg")


@bp.route("/v/<code_text>.png")
@public
def voucher_png(code_text: str):
    """The voucher's QR code as PNG."""
    return _qr_response(code_text, "png")


def _claim_contact_key() -> str:
    return "claim:" + (request.form.get("email") or request.form.get("phone") or "").strip().lower()


@bp.route("/claim/<slug>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["CLAIM_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["CLAIM_RATE_LIMIT"], methods=["POST"], key_func=_claim_contact_key)
def claim_page(slug: str):
    """Let a customer leave an e-mail or phone and get their personal voucher at once."""
    campaign = db.session.scalar(db.select(Campaign).where(Campaign.claim_slug == slug))
    if campaign is None:
        return render_template("public/claim_closed.html"), 404
    form = ClaimForm()
    if form.validate_on_submit():
        claimed, error = attempt(lambda: claim(slug, make_contact(form.email.data, form.phone.data, form.name.data)))
        if error is not None:
            _show_errors(form, error)
        else:
            held, new = claimed
            flash("Here is your voucher. Show it at the counter." if new else
                  "You already have this voucher: here it is again.", "success")
            return redirect(url_for("public.voucher", code_text=held.code))
    settings = get_settings()
    return render_template("public/claim.html", campaign=campaign, form=form, business=settings.business_name, region=settings.default_phone_region)


def _show_errors(form: ClaimForm, error: DomainError) -> None:
    fields = error.details.get("fields", {}) if isinstance(error, ValidationError) else {}
    put_errors_on(form, fields, fallback=form.email)
    if not fields:
        flash(error.message, "error")
