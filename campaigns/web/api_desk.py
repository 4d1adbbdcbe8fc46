"""API: redeeming vouchers and looking them up (API.md: redemptions, vouchers)."""
import re

from flask import jsonify, request
from flask_limiter.util import get_remote_address

from campaigns.accounts.business import business_zone
from campaigns.core import inputs
from campaigns.core.errors import DomainError, FieldErrors, ValidationError
from campaigns.desk import redemption
from campaigns.giving.vouchers import find_voucher, voucher_state
from campaigns.web import guessing, schemas
from campaigns.web.access import current_identity
from campaigns.web.api import operation
from campaigns.web.error_responses import json_error
from campaigns.web.payloads import json_body, parse_contact, parse_time, sent_json
from campaigns.web.serialisers import redemption_json, voucher_state_json
from campaigns.web.transaction import keep_refusal

CODE_MAX = 300  # a code, or the whole scanned voucher URL
SCAN_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
ERROR = {"schema": {"$ref": "#/components/schemas/Error"}}
REDEMPTION_SCHEMA = {"type": "object", "properties": {
    "code": {"type": "string"}, "redeemed_at": {"type": "string", "format": "date-time"},
    "campaign": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                  "offer": {"type": "string"}}},
    "customer": {"type": "object", "nullable": True}, "redemption_id": {"type": "integer"},
    "give": {"type": "string"}, "formatted": {"type": "string"}, "location": {"type": "string", "nullable": True},
    "repeated": {"type": "boolean"}}}


GUESSING = frozenset({"unknown_code", "invalid_code"})  # the only refusals that say someone is guessing codes
_GUESSED = "reciprocate.guessed"


def _guessed() -> bool:
    """Count an attempt against the failure limit only when it looked like guessing (not a used voucher)."""
    return bool(request.environ.get(_GUESSED))


def _keys() -> tuple[str, str]:
    """The failure limits' keys: the address, and the user or token."""
    return get_remote_address(), _identity_key()


def _identity_key() -> str:
    identity = current_identity()
    if identity is None:
        return "anonymous:" + (request.remote_addr or "")
    return f"user:{identity.user_id}" if identity.user_id else f"token:{identity.token_id}"


def redemption_attempt(body: dict) -> redemption.Attempt:
    """Check a redemption's fields ({code, customer?, location?, scanned_at?, device_time?, scan_id?}) and say
    who tries."""
    wrong = FieldErrors({k: "Not a field here." for k in body if k not in ("code", "customer", "location",
                                                                          "scanned_at", "device_time", "scan_id")})
    wrong.check(inputs.text, body.get("code"), "code", CODE_MAX, minimum=1)
    if body.get("location") is not None:
        wrong.check(inputs.text, body["location"], "location", 120)
    scan_id = wrong.check(_scan_id, body.get("scan_id"))
    scanned_at = wrong.check(parse_time, body.get("scanned_at"), "scanned_at")
    device_time = wrong.check(parse_time, body.get("device_time"), "device_time")
    customer = wrong.check(parse_contact, body["customer"]) if body.get("customer") is not None else None
    wrong.raise_any()
    identity = current_identity()
    details = {"device_time": device_time.isoformat()} if device_time else {}
    return redemption.Attempt(
        user_id=identity.user_id, token_id=identity.token_id, location=body.get("location"),
        scanned_at=scanned_at, ip_address=request.remote_addr, customer=customer,
        details={**details, "scan_id": scan_id} if scan_id else details, scan_id=scan_id,
    )


def _scan_id(value) -> str | None:
    """A device's id for one scan: 8 to 64 letters, digits, dashes or underscores (a UUID fits)."""
    if value is None:
        return None
    if not isinstance(value, str) or not SCAN_ID.fullmatch(value):
        raise ValidationError({"scan_id": "8 to 64 letters, digits, - or _ (a UUID fits)"})
    return value


def _audit_refused(outcome: str, details: dict) -> None:
    """Audit an attempt refused before the redemption service saw it (bad input, too many failures)."""
    identity = current_identity()
    sent = sent_json() if request.is_json else request.form
    code = sent.get("code") if hasattr(sent, "get") and isinstance(sent.get("code"), str) else ""
    redemption.audit_attempt(redemption.Attempt(user_id=identity.user_id, token_id=identity.token_id,
                                                ip_address=request.remote_addr), None, code, outcome, details)


def _audit_rate_limited(limit) -> None:
    """Keep a rate-limited attempt in the audit log too (once, however many limits it broke)."""
    if not request.environ.get("reciprocate.refusal_audited"):  # per request, like the identity (see access.py)
        request.environ["reciprocate.refusal_audited"] = True
        _audit_refused("rate_limited", {"limit": str(limit)})
        keep_refusal()


def limit_guessing(view):
    """Apply the failed-redemption limits (per user or token, and per address) to a view redeeming vouchers.

    The API and the desk's plain form share the counts; only guesses (unknown or mistyped codes) count.
    """
    return guessing.guarded("REDEEM_FAILURE_LIMIT", ("redeem-failures-address", "redeem-failures-identity"), _keys,
                            _guessed, _audit_rate_limited)(view)


def note_refusal(error: DomainError) -> None:
    """Keep a refused redemption's audit entry, and count it against the failure limit when it was a guess."""
    if not isinstance(error, redemption.RedemptionError):  # refused before it reached the service
        _audit_refused(error.code, {"message": error.message, **error.details})
    keep_refusal()  # the audit entry of the failed attempt is all the service left
    if error.code in GUESSING:
        request.environ[_GUESSED] = True


@operation("/redemptions", "POST", "staff",
           "Redeem a voucher ({code, customer?, location?, scanned_at?, scan_id?}); exactly one attempt per voucher "
           "wins. An offline device sends its own scan_id for each scan: the same scan sent again answers 200 with "
           "the redemption it made (`repeated: true`) instead of a second one or a refusal.",
           {"201": {"description": "Redeemed: hand it over", "schema": REDEMPTION_SCHEMA},
            "200": {"description": "The same scan (scan_id) sent again: the redemption it made", "schema":
                    REDEMPTION_SCHEMA},
            "404": {"description": "unknown_code", **ERROR}, "409": {"description": "already_redeemed, void, or scan_id_taken", **ERROR},
            "410": {"description": "expired", **ERROR},
            "422": {"description": "invalid_code, campaign_not_active, unknown_location or bad input", **ERROR},
            "429": {"description": "rate_limited: too many guessed codes (unknown or mistyped) from this device or "
                                   "address", **ERROR},
            "503": {"description": "busy: simultaneous requests for one customer; try again", **ERROR}},
           request_schema=schemas.closed({
               "code": schemas.text(CODE_MAX, 1, description="The code as printed or typed, or the scanned URL"),
               "location": schemas.text(120, nullable=True), "scanned_at": schemas.moment(nullable=True),
               "device_time": schemas.moment(nullable=True), "customer": schemas.CONTACT | {"nullable": True},
               "scan_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$", "nullable": True,
                           "description": "The device's id for this scan (letters, digits, - or _)"}},
               ["code"]))
@limit_guessing
def create_redemption():
    """Redeem a voucher; every attempt, failed ones included, goes to the audit log."""
    try:
        body = json_body()
        attempt = redemption_attempt(body)  # checks the fields, code first
        made = redemption.redeem(body["code"], attempt)
    except DomainError as error:
        note_refusal(error)
        return json_error(error)
    return jsonify(redemption_json(made)), 200 if made.repeated else 201


@operation("/vouchers/<code>", "GET", "staff", "A voucher's state, campaign, customer and redemption.",
           {"200": {"description": "The voucher", "schema": {"type": "object", "properties": {
               "code": {"type": "string"}, "state": {"type": "string"}, "customer": {"type": "object", "nullable": True},
               "redemption": {"type": "object", "nullable": True}}}},
            "404": {"description": "unknown_code", **ERROR}, "422": {"description": "invalid_code", **ERROR}})
def get_voucher(code: str):
    """Look a voucher up without redeeming it."""
    voucher = find_voucher(code)
    zone = business_zone()
    state = voucher_state(voucher, zone=zone)
    return jsonify(voucher_state_json(voucher, state,
                                      redemption.first_redemption(voucher, zone) if state == "redeemed" else None))
