"""Error responses: JSON under /api/ (API.md's format), friendly pages elsewhere."""
from flask import Flask, current_app, jsonify, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from ..access import is_api_request
from ..errors import DomainError
from ..extensions import db

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_input",
         429: "rate_limited", 500: "internal_error", 503: "unavailable"}
MESSAGES = {401: "Send a valid API token as 'Authorization: Bearer <token>'.",
            403: "Your role may not do this.",
            404: "There is nothing here.",
            429: "Too many attempts. Wait a minute and try again.",
            500: "Something went wrong on our side. It has been logged; please try again."}
PAGES = {403: "errors/403.html", 404: "errors/404.html", 429: "errors/429.html"}


def _json_error(status: int, message: str, details: dict | None = None):
    body = {"error": {"code": CODES.get(status, "error"), "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="reciprocate"'
    return response


def handle_http(error: HTTPException):
    """Answer an HTTP error as JSON for the API, as a page for people."""
    status = error.code or 500
    if is_api_request():
        return _json_error(status, MESSAGES.get(status, error.description))
    template = PAGES.get(status, "errors/500.html" if status >= 500 else "errors/generic.html")
    return render_template(template, status=status, message=MESSAGES.get(status, error.description)), status


def handle_domain(error: DomainError):
    """Answer a domain error that a view did not catch."""
    db.session.rollback()
    if is_api_request():
        return jsonify(error.to_json()), error.status
    return render_template("errors/generic.html", status=error.status, message=error.message), error.status


def handle_unexpected(error: Exception):
    """Log an unexpected error and answer 500 without a stack trace."""
    db.session.rollback()
    current_app.logger.exception("unhandled error")
    return handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_unexpected)
