"""The JSON API, version 1 (API.md): token-authenticated, CSRF-exempt, JSON errors."""
from datetime import datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import text

from .. import openapi
from ..access import public, requires
from ..errors import DomainError, ValidationError
from ..extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
API_VERSION = "1.0.0"


def operation(path: str, method: str, role: str, summary: str, responses: dict, request_schema: dict | None = None):
    """Register a view as an API route with its access rule and its OpenAPI description."""
    def register(view):
        openapi.register(openapi.Operation(path, method, role, summary, responses, request_schema))
        view = public(view) if role == "public" else requires(role)(view)
        bp.add_url_rule(path, view.__name__, view, methods=[method])
        return view

    return register


def json_body() -> dict:
    """Return the request's JSON object, or raise a 400 that says the body is not one."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("invalid_json", "Send a JSON object with Content-Type: application/json.", status=400)
    return body


def parse_time(value, field: str) -> datetime | None:
    """Read an ISO 8601 time with its offset (None when empty), or raise invalid_input naming `field`."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({field: "ISO 8601 with an offset, e.g. 2026-11-23T14:02:00+01:00"}) from None
    if moment.tzinfo is None:
        raise ValidationError({field: "Add the time zone offset, e.g. +01:00 or Z."})
    return moment


def respond(data: dict, status: int = 200):
    """Commit the request's one transaction and answer with JSON."""
    db.session.commit()
    return jsonify(data), status


HEALTH_SCHEMA = {"type": "object", "properties": {"status": {"type": "string"}, "database": {"type": "string"}}}


@operation("/health", "GET", "public", "Is the app up and its database reachable?",
           {"200": {"description": "Healthy", "schema": HEALTH_SCHEMA},
            "503": {"description": "The database is unreachable", "schema": HEALTH_SCHEMA}})
def health():
    """Report whether the app and its database answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the same thing to a monitor: unreachable
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@operation("/openapi.json", "GET", "public", "This API's OpenAPI 3 description.",
           {"200": {"description": "The OpenAPI document", "schema": {"type": "object"}}})
def openapi_document():
    """Serve the OpenAPI description of every API route."""
    return jsonify(openapi.document(bp.url_prefix, API_VERSION))
