"""Error responses: one table from each domain error code to its HTTP status, JSON under /api/ (API.md's
format) and for the desk's JSON requests, friendly pages elsewhere."""
from flask import Flask, abort, current_app, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from campaigns.core.errors import DomainError, ValidationError
from campaigns.core.words import N_
from campaigns.extensions import db
from campaigns.web import transaction
from campaigns.web.access import is_api_request

# Every code a service raises, and the status it answers with (API.md); a test keeps this complete.
STATUS = {
    "invalid_json": 400, "invalid_input": 422,
    # campaigns and vouchers
    "unknown_campaign": 404, "invalid_status_change": 422, "campaign_ended": 422, "campaign_not_active": 422,
    "voucher_limit_reached": 409, "customer_limit_reached": 409, "unreturned_gift_limit_reached": 409, "voucher_has_customer": 409,
    "unknown_claim_page": 404, "busy": 503, "unavailable": 503,
    "campaign_not_draft": 409, "campaign_in_use": 409, "campaign_not_ended": 409,
    # redemption outcomes
    "invalid_code": 422, "unknown_code": 404, "already_redeemed": 409, "void": 409, "expired": 410,
    "unknown_location": 422, "scan_id_taken": 409, "unknown_redemption": 404, "already_undone": 409,
    "undo_not_allowed": 403, "unknown_webhook": 404,
    # purchases
    "conflict": 409, "unknown_purchase": 404, "already_void": 409, "purchase_void": 409, "large_purchase": 422,
    # imports of point-of-sale files
    "import_not_confirmed": 409, "import_started": 409,
    # feedback
    "not_redeemed": 409, "already_answered": 409, "feedback_final": 409, "not_answered": 409,
    # customers
    "unknown_customer": 404, "merge_conflict": 409,
    # campaign sends
    "nothing_to_send": 409, "unknown_send": 404, "too_late": 409,
    # accounts and settings
    "email_taken": 409, "already_set_up": 409, "last_owner": 422, "location_exists": 409, "unknown_token": 404,
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_input",
         429: "rate_limited", 500: "internal_error", 503: "unavailable"}
MESSAGES = {401: "Send a valid API token as 'Authorization: Bearer <token>'.",
            403: "Your role may not do this.",
            404: "There is nothing here.",
            405: "This address does not answer that method; the Allow header lists those it does.",
            429: "Too many attempts. Wait a minute and try again.",
            500: "Something went wrong on our side. It has been logged; please try again."}
PAGES = {403: "errors/403.html", 404: "errors/404.html", 429: "errors/429.html", 503: "errors/503.html"}


def status_of(error: DomainError) -> int:
    """Return the HTTP status that answers a domain error."""
    return STATUS.get(error.code, 422)


def error_body(error: DomainError) -> dict:
    """Return the API error body of API.md for a domain error."""
    return {"error": {"code": error.code, "message": error.message, "details": error.details}}


def wants_json() -> bool:
    """Tell whether the caller reads JSON: the API, or a page's script asking for it."""
    return is_api_request() or request.is_json or request.accept_mimetypes.best == "application/json"


def json_error(error: DomainError):
    """Answer a domain error as API.md's JSON error."""
    return jsonify(error_body(error)), status_of(error)


def _http_json(status: int, message: str):
    response = jsonify({"error": {"code": CODES.get(status, "error"), "message": message, "details": {}}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="reciprocate"'
    return response


def _kept_headers(error: HTTPException) -> dict:
    """The headers an HTTP error carries for the client (Allow on 405, Retry-After on 429), not its body's."""
    return {name: value for name, value in error.get_headers() if name.lower() not in ("content-type", "content-length")}


def handle_http(error: HTTPException):
    """Answer an HTTP error in the caller's format: JSON for the API and scripts, a page for people."""
    status = error.code or 500
    message = MESSAGES.get(status, error.description)
    if status == 413:
        message = f"The request is larger than {current_app.config['MAX_CONTENT_LENGTH'] // 2**20} MB."
    if wants_json():
        response = _http_json(status, message)
    else:
        template = PAGES.get(status, "errors/500.html" if status >= 500 else "errors/generic.html")
        response = current_app.make_response((render_template(template, status=status, message=message), status))
    response.headers.update(_kept_headers(error))
    return response


def handle_domain(error: DomainError):
    """Answer a domain error that a view did not catch (the transaction edge rolls the request back)."""
    if wants_json():
        return json_error(error)
    status = status_of(error)
    return render_template("errors/generic.html", status=status, message=error.message), status


def handle_unexpected(error: Exception):
    """Log an unexpected error and answer 500 without a stack trace (after rolling back, so that a failed
    flush cannot break the error page too)."""
    current_app.logger.exception("unhandled error")
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone; the page needs no database
        current_app.logger.exception("rollback after an unhandled error failed")
    return handle_http(InternalServerError())


# How long a client should wait before trying again while the database cannot be reached.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = N_("The database cannot be reached just now; nothing of this request was saved. Try again in a few "
                  "seconds.")


def database_unreachable(error: SQLAlchemyError) -> bool:
    """Tell whether a database error means "not reachable now" (down, restarting, connections lost, busy) rather
    than a mistake in a query: SQLite's locked or busy file, any lost connection, PostgreSQL's operational errors."""
    if isinstance(error, PoolTimeout) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return True
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    original = getattr(error, "orig", None)
    if type(original).__module__.startswith("sqlite3"):
        return any(word in str(original).lower() for word in ("locked", "busy", "unable to open"))
    return True


def handle_database(error: SQLAlchemyError):
    """Answer 503 `unavailable` with Retry-After while the database cannot be reached (API.md): the request's
    transaction is rolled back, so nothing of it is written; the pool checks connections before use, so the app
    recovers by itself when the database returns. Any other database error is a 500."""
    if not database_unreachable(error):
        return handle_unexpected(error)
    if transaction.rolled_back_for_conflict(error):
        transaction.run_again()
    current_app.logger.warning("database unreachable: %s", str(error).splitlines()[0][:200])
    try:
        db.session.rollback()
    except SQLAlchemyError as lost:  # the connection is gone: there is nothing to roll back on our side
        current_app.logger.warning("rollback without a database: %s", type(lost).__name__)
    if wants_json():
        response = jsonify({"error": {"code": "unavailable", "message": UNAVAILABLE, "details": {}}})
        response.status_code = 503
    else:
        response = current_app.make_response(
            (render_template("errors/503.html", message=UNAVAILABLE), 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def refuse_nul_characters():
    """Before each request: a path or query value holding a NUL (%00) is refused here, in the caller's format,
    before any view can carry it into a query (PostgreSQL's text cannot hold one). Other control characters
    are harmless in a look-up: a batch label stored before labels were checked must still download."""
    if "\x00" in request.path:
        abort(404)
    for name, value in request.args.items(multi=True):
        if name == "next":  # where to go after logging in: the log-in page drops a bad one and goes home
            continue
        if "\x00" in name or "\x00" in value:
            raise ValidationError({name.replace("\x00", "")[:40] or "query": "This parameter holds a NUL character."})


def init_app(app: Flask) -> None:
    """Register the error handlers and the path and query NUL check."""
    app.before_request(refuse_nul_characters)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(SQLAlchemyError, handle_database)
    app.register_error_handler(Exception, handle_unexpected)
