"""The JSON API, version 1 (API.md): token-authenticated, CSRF-exempt, JSON errors."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from campaigns.extensions import db
from campaigns.jobs import queue
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


_STATE = {"type": "string", "enum": ["ok", "unreachable"]}
HEALTH_SCHEMA = {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok", "error"]},
                                                  "database": _STATE, "queue": _STATE}}


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the same thing to a monitor: unreachable
        return False
    return True


def _answer(needed: tuple[str, ...]):
    """Say whether the database and the queue answer: 200 when each of `needed` does, else 503."""
    states = {"database": "ok" if _database_answers() else "unreachable",
              "queue": "ok" if queue.reachable() else "unreachable"}
    fine = all(states[name] == "ok" for name in needed)
    return jsonify(status="ok" if fine else "error", **states), 200 if fine else 503


@operation("/health", "GET", "public", "Is the app up and its database reachable? (Liveness: 503 only when the "
           "database is unreachable; `queue` says whether the job queue answers.)",
           {"200": {"description": "Healthy", "schema": HEALTH_SCHEMA},
            "503": {"description": "The database is unreachable", "schema": HEALTH_SCHEMA}})
def health():
    """Report whether the app and its database answer, and whether the job queue does."""
    return _answer(("database",))


@operation("/ready", "GET", "public", "Can this node take traffic? (Readiness: 503 while the database or the job "
           "queue cannot be reached.)",
           {"200": {"description": "Ready", "schema": HEALTH_SCHEMA},
            "503": {"description": "The database or the job queue is unreachable", "schema": HEALTH_SCHEMA}})
def ready():
    """Report whether this node can serve every request: its database and its job queue both answer."""
    return _answer(("database", "queue"))


@operation("/openapi.json", "GET", "public", "This API's OpenAPI 3 description.",
           {"200": {"description": "The OpenAPI document", "schema": {"type": "object"}}})
def openapi_document():
    """Serve the OpenAPI description of every API route."""
    return jsonify(openapi.document(bp.url_prefix, API_VERSION))
