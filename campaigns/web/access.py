"""Who may open what: one rule per endpoint, checked for every request before the view runs.

Each view declares its rule with `@requires("staff"|"marketer"|"owner")` or `@public`. A view without
a rule is refused (deny by default), and a test walks every route to make sure each has one.
Roles are ranked: an owner may do all a marketer may, a marketer all that staff may.
"""
from dataclasses import dataclass

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError as CSRFInvalid

from campaigns.accounts.tokens import find_token, use_is_news
from campaigns.models import ROLES
from campaigns.web.transaction import note_token_use

ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
PUBLIC = "public"
_EXEMPT_ENDPOINTS = {"static"}
_IDENTITY_KEY = "reciprocate.identity"


@dataclass(frozen=True)
class Identity:
    """Who is making the request: a signed-in user or an API token, and the role it acts with."""

    role: str
    user_id: int | None = None
    token_id: int | None = None
    name: str = ""


def requires(role: str):
    """Mark a view as open to this role and the roles above it."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def mark(view):
        view.required_role = role
        return view

    return mark


def public(view):
    """Mark a view as open to anyone, signed in or not."""
    view.required_role = PUBLIC
    return view


def required_role(endpoint: str) -> str | None:
    """Return the rule declared for an endpoint, or None when it has none."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "required_role", None)


def allows(identity_role: str | None, needed: str) -> bool:
    """Tell whether a role may use what needs `needed`."""
    if needed == PUBLIC:
        return True
    return identity_role is not None and ROLE_RANK[identity_role] >= ROLE_RANK[needed]


def is_api_request() -> bool:
    """Tell whether this request is for the JSON API."""
    return request.path.startswith("/api/")


def current_identity() -> Identity | None:
    """Return who is making this request (cached for the request), or None."""
    # Cached on the request, not on g: g lives as long as the app context, which may span requests.
    if _IDENTITY_KEY not in request.environ:
        request.environ[_IDENTITY_KEY] = _api_identity() if is_api_request() else _session_identity()
    return request.environ[_IDENTITY_KEY]


def _session_identity() -> Identity | None:
    if current_user.is_authenticated:
        return Identity(role=current_user.role, user_id=current_user.id, name=current_user.name)
    return None


def _api_identity() -> Identity | None:
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":  # auth schemes are case-insensitive (RFC 9110)
        token = find_token(credentials.strip())
        if token is None:
            return None
        if use_is_news(token):
            note_token_use(token)
        return Identity(role=token.role, token_id=token.id, name=token.name)
    # The app's own pages may call the API with their session, but only with the CSRF token,
    # since the API is otherwise exempt from CSRF checks.
    if current_user.is_authenticated and request.headers.get("X-CSRFToken"):
        try:
            validate_csrf(request.headers["X-CSRFToken"])
        except CSRFInvalid:
            return None
        return _session_identity()
    return None


def enforce_access():
    """Before each request: let it through, send it to log in, or refuse it."""
    if request.endpoint is None or request.endpoint in _EXEMPT_ENDPOINTS:
        return None
    needed = required_role(request.endpoint)
    if needed is None:
        current_app.logger.error("endpoint %s has no access rule; refusing", request.endpoint)
        abort(403)
    if needed == PUBLIC:
        return None
    identity = current_identity()
    if identity is None:
        if is_api_request():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not allows(identity.role, needed):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Check every request against its endpoint's rule."""
    app.before_request(enforce_access)
