"""The front desk, used by staff at the counter: scan, see yes or no, attach the customer, record a sale.

Scanning itself goes through the JSON API (POST /api/v1/redemptions) with the page's session; the
actions after a scan are here, answering JSON to the page's script and redirects to plain forms.
"""
import uuid
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from campaigns.accounts import business
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_customer, find_or_create
from campaigns.core import inputs
from campaigns.core.errors import DomainError, ValidationError
from campaigns.core.money import exponent, format_amount, read_amount, to_cents
from campaigns.core.money import to_json as money_json
from campaigns.desk import redemption
from campaigns.desk import undo as undoing
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.vouchers import attach_customer, find_voucher, voucher_state
from campaigns.models import Redemption, utcnow
from campaigns.reports.desk_day import redemptions_today
from campaigns.sales import ledger
from campaigns.sales.rows import PurchaseRow
from campaigns.web.access import requires
from campaigns.web.api_desk import CODE_MAX, limit_guessing, note_refusal, redemption_attempt
from campaigns.web.error_responses import json_error, status_of, wants_json
from campaigns.web.payloads import CONTACT_MAX, json_body, parse_time
from campaigns.web.serialisers import customer_json
from campaigns.web.transaction import attempt

bp = Blueprint("desk", __name__, url_prefix="/desk")
LOCATION_COOKIE = "desk_location"  # the plain form's remembered location (the script keeps it in localStorage)
TYPO = "One character looks wrong: check the code."
# What the desk says when it refuses, in a few plain words (the API's messages say more, for programs).
PLAIN = {"unknown_code": "Not one of our vouchers: check the code.",
         "void": "Cancelled voucher: hand nothing over.",
         "unknown_location": "That location is closed: choose the location again.",
         "busy": "Busy for a moment: try again."}


def plain_refusal(error: DomainError) -> str:
    """Say why the desk refused, short and plain (a mistyped code, a used voucher, a closed location…)."""
    if error.code == "invalid_code":
        message = error.message.removeprefix("Looks mistyped: ")
        return TYPO if "check character" in message else message
    fields = error.details.get("fields") if error.code == "invalid_input" else None
    if isinstance(fields, dict) and fields:
        return " ".join(message if message.endswith(".") else message + "." for message in fields.values())
    return PLAIN.get(error.code, error.message)


def _answer(action, back: str, success: str = "", refused=None):
    """Run the desk action; answer the script with JSON, or the plain form with a flash and a redirect
    (to `refused(error)` when given and the action was refused)."""
    result, error = attempt(action)
    if wants_json():
        return json_error(error) if error is not None else jsonify(result)
    flash(plain_refusal(error) if error else success(result) if callable(success) else success,
          "error" if error else "success")
    return redirect(refused(error) if error and refused else back)


def _fields() -> dict:
    """The action's fields: the script's JSON object (strictly read), or the plain form's fields."""
    return json_body() if request.is_json else request.form.to_dict()


@bp.route("/")
@requires("staff")
def index():
    """Show the scanner: one input for scanners and typing, a camera button, today's counts."""
    zone = business.business_zone()
    settings = business.get_settings()
    data = {"locations": _open_locations(),
            "redeemUrl": url_for("api.create_redemption"), "attachUrl": url_for("desk.attach"),
            "undoUrl": url_for("desk.undo"), "purchaseUrl": url_for("desk.purchase"),
            "todayUrl": url_for("desk.today"), "voucherUrl": url_for("desk.voucher", code_text="CODE"),
            "wasmUrl": url_for("static", filename="vendor/zxing_reader.wasm"),
            "scannerScript": url_for("static", filename="vendor/barcode-detector.js"),
            "lookupUrl": url_for("api.get_voucher", code="CODE"), "locale": settings.locale,
            "currency": settings.currency, "largePurchaseCents": settings.large_purchase_cents,
            "csrf": generate_csrf(), "user": current_user.id, "scope": url_for("desk.index"),
            "offlineListUrl": url_for("desk_offline.offline_list"),
            "serviceWorkerUrl": url_for("desk_offline.service_worker")}
    return render_template("desk/index.html", data=data, **redemptions_today(zone, current_user.id))


@bp.route("/lookup")
@requires("staff")
def lookup():
    """Open the voucher a typed code names (the scan form, when the page's script is not running)."""
    typed = (request.args.get("code") or "").strip()
    try:
        typed = codes.normalise(typed)
    except codes.CodeError:
        typed = typed.replace("/", " ").strip() or "-"
    return redirect(url_for("desk.voucher", code_text=typed))


@bp.route("/today")
@requires("staff")
def today():
    """Today's redemption counts, for the desk to refresh after each scan, and a fresh CSRF token for a page
    that was opened offline."""
    zone = business.business_zone()
    return jsonify({**redemptions_today(zone, current_user.id), "csrf": generate_csrf()})


@bp.route("/v/<code_text>")
@requires("staff")
def voucher(code_text: str):
    """A voucher as the desk sees it: its state, its redemption, and forms to attach, undo and record a sale."""
    try:
        found = find_voucher(code_text)
    except DomainError as error:
        return render_template("desk/voucher.html", error=error, voucher=None,
                               words=plain_refusal(error)), status_of(error)
    zone = business.business_zone()
    state = voucher_state(found, zone=zone)
    first = redemption.first_redemption(found, zone) if state == "redeemed" else None
    live = db.session.get(Redemption, first["redemption_id"]) if first and first.get("redemption_id") else None
    return render_template("desk/voucher.html", error=None, voucher=found, state=state, first=first,
                           may_undo=live is not None and undoing.may_undo(live, current_user),
                           formatted=codes.format_code(found.code), purchase_id=f"desk-{uuid.uuid4()}",
                           purchase_time=utcnow().isoformat(), locations=_open_locations(),
                           location=request.cookies.get(LOCATION_COOKIE, ""), large=_large_to_confirm())


def _open_locations() -> list[str]:
    return [place.name for place in business.list_locations(include_inactive=False)]


def _large_to_confirm() -> dict | None:
    """The large amount a plain purchase form was sent back to confirm: the amount as typed and its cents."""
    typed, cents = request.args.get("amount", ""), request.args.get("confirm", "")
    if not typed or not cents.isdigit() or len(cents) > 15 or len(typed) > 40:
        return None
    settings = business.get_settings()
    return {"typed": typed, "cents": cents, "shown": format_amount(int(cents), settings.currency, settings.locale)}


@bp.route("/redeem", methods=["POST"])
@requires("staff")
@limit_guessing
def redeem():
    """Redeem from the plain form (the page without its script): the same service, limits and audit as the API."""
    fields = request.form.to_dict()
    location = (fields.get("location") or "").strip() or None
    try:
        if location is None and len(_open_locations()) > 1:
            raise ValidationError({"location": "Choose the location first."}, "Choose the location first.")
        attempt_ = redemption_attempt({"code": fields.get("code"), "location": location})
        made = redemption.redeem(fields["code"], attempt_)
    except DomainError as error:
        note_refusal(error)
        flash(plain_refusal(error), "error")
        return redirect(url_for("desk.voucher", code_text=_back_code(fields)))
    flash(f"Give: {made.offer or made.campaign_name}", "success")
    return _remembering(redirect(url_for("desk.voucher", code_text=made.code)), location)


def _remembering(response, location: str | None):
    """Remember the location this device redeemed at, for the plain form's next voucher."""
    if location:
        response.set_cookie(LOCATION_COOKIE, location[:120], max_age=365 * 86400, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


@bp.route("/attach", methods=["POST"])
@requires("staff")
def attach():
    """Attach a customer (e-mail or phone) to a voucher, so later purchases count."""
    fields = _fields()

    def attach_contact():
        code = _text(fields, "code", CODE_MAX)
        found = find_voucher(code)
        contact = make_contact(*(_text(fields, name, most) for name, most in CONTACT_MAX.items()))
        attach_customer(found, find_or_create(contact))
        return {"code": found.code, "customer": customer_json(found.customer)}

    return _answer(attach_contact, url_for("desk.voucher", code_text=_back_code(fields)), "Customer attached.")


@bp.route("/undo", methods=["POST"])
@requires("staff")
def undo():
    """Undo a redemption, with a reason (the audit log keeps both)."""
    fields = _fields()

    def undo_redemption():
        redemption_id = inputs.whole(fields.get("redemption_id"), "redemption_id", 1, inputs.ID_MAX)
        undone = undoing.undo(redemption_id, current_user._get_current_object(),
                              _text(fields, "reason", 500, multiline=True))
        return {"redemption_id": undone.id, "undone_at": undone.undone_at.isoformat()}

    return _answer(undo_redemption, url_for("desk.voucher", code_text=_back_code(fields)),
                   "Redemption undone: the voucher can be used again.")


@bp.route("/purchases", methods=["POST"])
@requires("staff")
def purchase():
    """Record a purchase for a customer found by voucher code or by e-mail/phone."""
    fields = _fields()
    code = _back_code(fields)

    def record():
        settings = business.get_settings()
        cents = to_cents(read_amount(fields.get("amount"), "amount", settings.locale, exponent(settings.currency),
                                     currency=settings.currency), settings.currency)
        _refuse_unconfirmed_large(cents, fields)
        # The page fixes the id and the time when the sale is typed, so a retry is the same purchase.
        row = PurchaseRow(external_id=_text(fields, "external_id", 128) or f"desk-{uuid.uuid4()}", amount_cents=cents,
                          occurred_at=_sale_time(fields.get("occurred_at")), location=_text(fields, "location", 120),
                          **_purchase_customer(fields, _text(fields, "code", CODE_MAX)))
        made, new = ledger.record_sale(row, source="desk")
        return {"id": made.id, "created": new, "amount": money_json(made.amount_cents, settings.currency),
                "shown": format_amount(made.amount_cents, settings.currency, settings.locale)}

    back = url_for("desk.voucher", code_text=code) if code != "-" else url_for("desk.index")
    return _answer(record, back, lambda result: "Purchase recorded." if result["created"] else "Already recorded.",
                   refused=lambda error: _confirm_back(error, back, fields))


def _refuse_unconfirmed_large(cents: int, fields: dict) -> None:
    """Refuse an unusually large desk purchase (over BusinessSettings.large_purchase_cents) unless the request
    says it was confirmed: `confirm_large: true` from the script, or the plain form's box holding the cents."""
    settings = business.get_settings()
    limit = settings.large_purchase_cents
    confirmed = fields.get("confirm_large")
    if limit is None or cents <= limit or confirmed is True or confirmed == str(cents):
        return
    shown = format_amount(cents, settings.currency, settings.locale)
    raise DomainError("large_purchase", f"{shown} is a large amount: confirm it to record it.",
                      {"amount_cents": cents, "amount": shown, "limit_cents": limit})


def _confirm_back(error: DomainError, back: str, fields: dict) -> str:
    """Where a refused plain purchase form leads: back to the voucher, with the large amount to confirm."""
    if error.code != "large_purchase" or back == url_for("desk.index"):
        return back
    typed = fields.get("amount") if isinstance(fields.get("amount"), str) else ""
    return back + "?" + urlencode({"amount": typed[:40], "confirm": error.details["amount_cents"]})


def _text(fields: dict, name: str, maximum: int = 120, multiline: bool = False) -> str:
    """A text field of the action, checked (empty when not sent)."""
    value = fields.get(name)
    return "" if value is None else inputs.text(value, name, maximum, multiline=multiline)


def _back_code(fields: dict) -> str:
    """The code to lead back to after a plain form's action, made safe for a URL ("-" when none)."""
    value = fields.get("code")
    return inputs.printable(value, CODE_MAX).strip().replace("/", " ") or "-" if isinstance(value, str) else "-"


def _sale_time(value) -> datetime:
    moment = parse_time(value, "occurred_at") or utcnow()
    if moment > utcnow() + redemption.CLOCK_SKEW:
        raise ValidationError({"occurred_at": "With an offset, and not in the future."})
    return moment


def _purchase_customer(fields: dict, code: str) -> dict:
    """Name whom a desk purchase belongs to as the API would: the voucher's code (its customer attached first),
    or the e-mail/phone of a customer who is already known."""
    if code:
        if find_voucher(code).customer_id is None:
            raise ValidationError({"email": "Attach the customer to this voucher first."})
        return {"voucher_code": code}
    contact = make_contact(_text(fields, "email", 254), _text(fields, "phone", 32))
    if find_customer(contact) is None:
        raise ValidationError({"email": "No customer has this e-mail or phone yet."})
    return {"email": contact.email, "phone": contact.phone}
