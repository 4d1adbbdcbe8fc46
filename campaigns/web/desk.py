"""The front desk, used by staff at the counter: scan, see yes or no, attach the customer, record a sale.

Scanning itself goes through the JSON API (POST /api/v1/redemptions) with the page's session; the
actions after a scan are here, answering JSON to the page's script and redirects to plain forms.
"""
import uuid
from datetime import datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import business, codes, inputs, redemption, undo as undoing
from ..customers import find_customer, find_or_create, make_contact
from ..errors import DomainError, ValidationError
from ..extensions import db
from ..metrics.desk import redemptions_today
from ..models import Redemption, utcnow
from ..money import exponent, to_cents, to_json as money_json
from ..purchases import record_purchase
from ..vouchers import attach_customer, find_voucher, voucher_state
from .access import requires
from .api_desk import CODE_MAX, customer_json
from .errors import json_error, status_of, wants_json
from .payloads import CONTACT_MAX, json_body, parse_time
from .transaction import attempt

bp = Blueprint("desk", __name__, url_prefix="/desk")


def _answer(action, back: str, success: str = ""):
    """Run the desk action; answer the script with JSON, or the plain form with a flash and a redirect."""
    result, error = attempt(action)
    if wants_json():
        return json_error(error) if error is not None else jsonify(result)
    flash(error.message if error else success(result) if callable(success) else success,
          "error" if error else "success")
    return redirect(back)


def _fields() -> dict:
    """The action's fields: the script's JSON object (strictly read), or the plain form's fields."""
    return json_body() if request.is_json else request.form.to_dict()


@bp.route("/")
@requires("staff")
def index():
    """Show the scanner: one input for scanners and typing, a camera button, today's counts."""
    zone = business.business_zone()
    data = {"locations": [place.name for place in business.list_locations(include_inactive=False)],
            "redeemUrl": url_for("api.create_redemption"), "attachUrl": url_for("desk.attach"),
            "undoUrl": url_for("desk.undo"), "purchaseUrl": url_for("desk.purchase"),
            "todayUrl": url_for("desk.today"), "voucherUrl": url_for("desk.voucher", code_text="CODE"),
            "wasmUrl": url_for("static", filename="vendor/zxing_reader.wasm"),
            "scannerScript": url_for("static", filename="vendor/barcode-detector.js"),
            "currency": business.get_settings().currency, "csrf": generate_csrf()}
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
    """Today's redemption counts, for the desk to refresh after each scan."""
    zone = business.business_zone()
    return jsonify(redemptions_today(zone, current_user.id))


@bp.route("/v/<code_text>")
@requires("staff")
def voucher(code_text: str):
    """A voucher as the desk sees it: its state, its redemption, and forms to attach, undo and record a sale."""
    try:
        found = find_voucher(code_text)
    except DomainError as error:
        return render_template("desk/voucher.html", error=error, voucher=None), status_of(error)
    zone = business.business_zone()
    state = voucher_state(found, zone=zone)
    first = redemption.first_redemption(found, zone) if state == "redeemed" else None
    live = db.session.get(Redemption, first["redemption_id"]) if first and first.get("redemption_id") else None
    return render_template("desk/voucher.html", error=None, voucher=found, state=state, first=first,
                           may_undo=live is not None and undoing.may_undo(live, current_user),
                           formatted=codes.format_code(found.code), purchase_id=f"desk-{uuid.uuid4()}",
                           purchase_time=utcnow().isoformat())


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
        customer_id, voucher_id = _purchase_customer(fields, _text(fields, "code", CODE_MAX))
        currency = business.get_settings().currency
        cents = to_cents(inputs.amount(fields.get("amount"), "amount", exponent(currency)), currency)
        place = business.find_location(_text(fields, "location", 120))
        # The page fixes the id and the time when the sale is typed, so a retry is the same purchase.
        made, new = record_purchase(_text(fields, "external_id", 128) or f"desk-{uuid.uuid4()}", cents,
                                    _sale_time(fields.get("occurred_at")),
                                    customer_id=customer_id, voucher_id=voucher_id,
                                    location_id=place.id if place else None)
        return {"id": made.id, "created": new, "amount": money_json(made.amount_cents)}

    back = url_for("desk.voucher", code_text=code) if code != "-" else url_for("desk.index")
    return _answer(record, back, lambda result: "Purchase recorded." if result["created"]
                   else "That purchase was already recorded.")


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


def _purchase_customer(fields: dict, code: str) -> tuple[int, int | None]:
    """Find whom a desk purchase belongs to: the voucher's customer, or the one with this e-mail/phone."""
    if code:
        found = find_voucher(code)
        if found.customer_id is None:
            raise ValidationError({"email": "Attach the customer to this voucher first."})
        return found.customer_id, found.id
    customer = find_customer(make_contact(_text(fields, "email", 254), _text(fields, "phone", 32)))
    if customer is None:
        raise ValidationError({"email": "No customer has this e-mail or phone yet."})
    return customer.id, None


