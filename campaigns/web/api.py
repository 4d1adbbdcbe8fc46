"""The JSON API, version 1 (API.md): token-authenticated, CSRF-exempt, JSON errors."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from campaigns.extensions import db
from campaigns.web import openapi
from campaigns.web.access import public, requires

bp = Blueprint("api", __name__, url_prefix="/api/v1")
API_VERSION = "1.0.0"


def operation(path: str, method: str, role: str, summary: str, responses: dict, request_schema: dict | None = None,
              parameters: list[dict] | None = None):
    """Register a view as an API route with its access rule and its OpenAPI description."""
    def register(view):
        openapi.register(openapi.Operation(path, method, role, summary, responses, request_schema, parameters or []))
        view = public(view) if role == "public" else requires(role)(view)
        bp.add_url_rule(path, view.__name__, view, methods=[method])
        return view

    return register


HEALTH_SCHEMA = {"type": "object", "properties": {"status": {"type": "string"}, "database": {"type": "string"}}}


@operation("/health", "GET", "public", "Is the app up and its database reachable?",
           {"200": {"description": "Healthy", "schema": HEALTH_SCHEMA},
            "503": {"description": "The database is unreachable", "schema": HEALTH_SCHEMA}})
def health():
    """Report whether the app and its database answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the same thing to a monitor: unreachable
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@operation("/openapi.json", "GET", "public", "This API's OpenAPI 3 description.",
           {"200": {"description": "The OpenAPI document", "schema": {"type": "object"}}})
def openapi_document():
    """Serve the OpenAPI description of every API route."""
    return jsonify(openapi.document(bp.url_prefix, API_VERSION))
