"""Pages for customers, with no log-in: their voucher, its QR code, and a campaign's claim page."""
import hashlib
import unicodedata

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, RadioField, StringField, SubmitField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from campaigns.accounts.business import business_zone, get_settings, logo_version
from campaigns.contacts.contact import Contact, make_contact, normalise_phone
from campaigns.core.addresses import email_limit_key
from campaigns.core.errors import DomainError, ValidationError
from campaigns.extensions import db, limiter
from campaigns.feedback import answers as feedback
from campaigns.giving import codes, qr
from campaigns.giving.designs import campaign_state
from campaigns.giving.vouchers import VoucherError, claim, find_voucher, voucher_state
from campaigns.links import voucher_url
from campaigns.mail.deliveries import queue_letter
from campaigns.mail.sending import voucher_letter
from campaigns.models import Campaign, utcnow
from campaigns.web.access import public
from campaigns.web.error_responses import status_of
from campaigns.web.forms import Form, put_errors_on
from campaigns.web.languages import business_text, customer_fields, customer_message, region_name
from campaigns.web.transaction import attempt

bp = Blueprint("public", __name__)
LOGO_MAX_AGE = 86400  # the logo's address carries its version, so a new logo shows at once
_SLUG_LOOKALIKES = str.maketrans("oil", "011")  # the codes' alphabet reads O as 0 and I, L as 1
CLOSED_STATUS = {"ended": 410, "expired": 410}  # gone for good; paused or not yet started: come back later


@bp.context_processor
def business_page() -> dict:
    """Give every customer page the business it belongs to: name, logo, address and opening hours."""
    settings = get_settings()
    logo = url_for("public.logo", v=logo_version(settings)) if settings.logo else None
    return {"business": settings, "logo_url": logo}


class ClaimForm(Form):
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("or phone number"), validators=[Optional(), Length(max=32)])
    name = StringField(_l("First name (optional)"), validators=[Optional(), Length(max=120)])
    submit = SubmitField(_l("Get my free voucher"))


def _voucher_or_error(code_text: str):
    try:
        return find_voucher(code_text), None
    except VoucherError as error:
        return None, error


class FeedbackForm(Form):
    """The customer's answer; the feedback service checks every field (so a hostile value gets its words)."""

    score = RadioField(_l("How likely are you to recommend us to a friend?"),
                       choices=[SelectChoice(str(n), str(n)) for n in range(11)], validate_choice=False)
    answer = TextAreaField(render_kw={"maxlength": feedback.ANSWER_MAX, "rows": 4})
    answer_2 = TextAreaField(render_kw={"maxlength": feedback.ANSWER_MAX, "rows": 4})
    version = HiddenField()
    submit = SubmitField(_l("Send"))


def feedback_form(campaign: Campaign, stored=None, formdata=None) -> FeedbackForm:
    """The feedback form with the campaign's own questions, filled in with a stored answer when there is one."""
    form = FeedbackForm(formdata=formdata) if formdata is not None else FeedbackForm(
        formdata=None, data={"score": str(stored.score), "answer": stored.answer, "answer_2": stored.answer_2,
                             "version": str(stored.version)} if stored else None)
    form.answer.label.text = business_text(campaign.feedback_question)
    form.answer_2.label.text = business_text(campaign.feedback_question_2)
    if stored is not None and formdata is None:
        form.submit.label.text = gettext("Save my change")
    return form


def _version(text: str | None) -> int | None:
    """The version a form was opened at (empty: a first answer); anything else is no version at all."""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


def _voucher_key() -> str:
    """The rate-limit key of the voucher a feedback form is sent for (its code as typed, letters and digits)."""
    typed = (request.view_args or {}).get("code_text", "")
    return "feedback:" + "".join(char for char in typed.upper() if char.isascii() and char.isalnum())[:40]


@bp.route("/v/<code_text>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["FEEDBACK_RATE_LIMIT"], methods=["POST"], key_func=_voucher_key)
@limiter.limit(lambda: current_app.config["FEEDBACK_ADDRESS_RATE_LIMIT"], methods=["POST"])
def voucher(code_text: str):
    """Show a customer their voucher: offer, code, expiry, a big QR, and whether it is still good. Once it is
    redeemed, the page is the campaign's feedback form (POST sends or changes the answer)."""
    found, error = _voucher_or_error(code_text)
    if error is not None:
        return render_template("public/voucher_missing.html", error=error), status_of(error)
    if code_text != found.code:  # typed loosely: show the one true address
        return redirect(url_for("public.voucher", code_text=found.code), 301 if request.method == "GET" else 308)
    zone = business_zone()
    campaign = found.campaign
    asking = feedback.answerable(found)
    stored = feedback.feedback_of(found.id) if asking else None
    form, status = (feedback_form(campaign, stored) if asking else None), 200
    if asking and request.method == "POST":
        form = feedback_form(campaign, formdata=request.form)
        if form.validate():
            given, error = attempt(lambda: feedback.give(found.code, feedback.read_answer(
                form.score.data, form.answer.data, form.answer_2.data), _version(form.version.data)))
            if error is None:
                flash(gettext("Thank you! Your answer is saved.") if given.version == 1
                      else gettext("Your change is saved."), "success")
                return redirect(url_for("public.voucher", code_text=found.code), 303)
            status = status_of(error)
            if error.code in ("already_answered", "feedback_final"):
                stored = feedback.feedback_of(found.id)
                if error.code == "already_answered":  # keep what was typed; sending again replaces the answer
                    flash(gettext("This voucher already has an answer (sent from another window?). What you typed "
                                  "is below: send it again to replace that answer."), "error")
                    form.version.data = str(stored.version)
                    form.submit.label.text = gettext("Save my change")
                else:
                    flash(gettext("This answer was given more than a day ago and is final."), "error")
                    form = feedback_form(campaign, stored)
            else:
                put_errors_on(form, customer_fields(error))
                if not error.details.get("fields"):
                    flash(customer_message(error), "error")
        else:  # the form's own checks: its session token (400), or characters no field may hold (422)
            status = 400 if "csrf_token" in form.errors else 422
    elif request.method == "POST":
        status = 409
        flash(gettext("Feedback opens once the voucher has been redeemed."), "error")
    now = utcnow()
    return render_template("public/voucher.html", voucher=found, campaign=campaign, state=voucher_state(found, zone=zone),
                           zone=zone, formatted=codes.format_code(found.code), form=form, stored=stored,
                           changeable=stored is not None and feedback.changeable(stored, now),
                           final_at=feedback.final_at(stored) if stored else None), status


@bp.route("/logo")
@public
def logo():
    """The business's logo for its customer pages (a stored PNG, JPEG or WebP), or 404 when it has none."""
    settings = get_settings()
    if not settings.logo:
        return Response("No logo.", status=404, mimetype="text/plain")
    response = Response(settings.logo, mimetype=settings.logo_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.cache_control.public = True
    response.cache_control.max_age = LOGO_MAX_AGE
    response.set_etag(logo_version(settings))
    return response.make_conditional(request)


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


def contact_key(field: str, raw: str) -> str:
    """The rate-limit key of a typed e-mail or phone: the e-mail as every limit counts it, the phone in E.164
    (or its text NFKC-folded when it does not parse), hashed so the limiter's store holds no addresses."""
    if field == "email":
        typed = email_limit_key(raw)
    else:
        typed = unicodedata.normalize("NFKC", raw.strip()).casefold()
        try:
            typed = normalise_phone(typed)
        except DomainError:
            pass
    return f"claim-{field}:" + hashlib.sha256(typed.encode("utf-8", "surrogatepass")).hexdigest()


def _limit_contact(field: str):
    """A per-contact claim limit on one field, applied only when that field was filled in."""
    return limiter.limit(lambda: current_app.config["CLAIM_RATE_LIMIT"], methods=["POST"],
                         key_func=lambda: contact_key(field, request.form.get(field, "")),
                         exempt_when=lambda: not request.form.get(field, "").strip())


@bp.route("/claim/<slug>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["CLAIM_RATE_LIMIT"], methods=["POST"])
@_limit_contact("email")
@_limit_contact("phone")
def claim_page(slug: str):
    """Let a customer leave an e-mail or phone and get their personal voucher at once."""
    campaign = db.session.scalar(db.select(Campaign).where(Campaign.claim_slug == slug))
    if campaign is None:
        typed = slug.strip().lower().translate(_SLUG_LOOKALIKES)  # a new slug typed off a poster, any case
        if typed != slug and db.session.scalar(db.select(Campaign.id).where(Campaign.claim_slug == typed)):
            return redirect(url_for("public.claim_page", slug=typed), 301)
        return render_template("public/claim_closed.html"), 404
    state = campaign_state(campaign)
    if state != "active":  # say so before any form: nothing typed here could be used
        return render_template("public/claim.html", campaign=campaign, state=state, form=None), \
            CLOSED_STATUS.get(state, 200)
    form = ClaimForm()
    if form.validate_on_submit():
        contact, error = attempt(lambda: make_contact(form.email.data, form.phone.data, form.name.data))
        claimed, error = (None, error) if error else attempt(lambda: claim(slug, contact))
        if error is None:
            return _answer_claim(campaign, contact, *claimed)
        _show_errors(form, error)
    return render_template("public/claim.html", campaign=campaign, state=state, form=form,
                           region_name=region_name(get_settings().default_phone_region))


def _answer_claim(campaign: Campaign, contact: Contact, voucher, new: bool):
    """Show a new voucher at once; never show one already held: queue it to its own e-mail address instead.

    The answer for a held voucher depends only on what was typed, never on what is stored, so it tells no
    more than "this address already holds one". Mail goes to the customer's stored address only, through the job
    queue once this request commits (never from the request itself), and the page promises it only when queued.
    """
    owner_email = voucher.customer.email
    send_to = (owner_email if contact.email and contact.email == owner_email else None) if new \
        else (owner_email if contact.email else None)
    if send_to:
        settings = get_settings()  # the e-mail in the language of the page it was asked for on
        queue_letter(voucher_letter(voucher, send_to, settings.business_name, str(get_locale()), settings.locale),
                     "voucher", voucher_id=voucher.id, campaign_id=voucher.campaign_id, customer_id=voucher.customer_id)
    if new:
        flash(gettext("Here is your voucher. Show it at the counter. We'll e-mail it to you too.") if send_to
              else gettext("Here is your voucher. Show it at the counter."), "success")
        return redirect(url_for("public.voucher", code_text=voucher.code))
    return render_template("public/claim_held.html", campaign=campaign, emailed=send_to is not None,
                           by_email=contact.email is not None)


def _show_errors(form: ClaimForm, error: DomainError) -> None:
    fields = customer_fields(error) if isinstance(error, ValidationError) else {}
    put_errors_on(form, fields, fallback=form.email)
    if error.code == "customer_limit_reached":  # say no more than the held-voucher answer does
        flash(gettext("This e-mail address or phone number has already had its voucher for this offer."), "error")
    elif error.code == "unreturned_gift_limit_reached":  # anyone may type anyone's address: tell no counts
        flash(gettext("This offer is for customers who have not already had several free offers from us. "
                      "Ask at the counter."), "error")
    elif not fields:
        flash(customer_message(error), "error")

