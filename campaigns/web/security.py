"""Security headers (strict CSP: no inline script or style), signing in, and the session's user loader."""
import time

from flask import Flask, current_app, session
from flask_login import login_user
from flask_talisman import Talisman

from campaigns.core.inputs import ID_MAX
from campaigns.extensions import db, login_manager
from campaigns.models import User

CSP = {
    "default-src": "'self'",
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
talisman = Talisman()


_SIGNED_IN_AT = "signed_in_at"


def sign_in(user: User, *, keep_lifetime: bool = False) -> None:
    """Start a session for this user that lasts PERMANENT_SESSION_LIFETIME from now (or from the current log-in)."""
    session.permanent = True
    if not (keep_lifetime and _within_lifetime()):
        session[_SIGNED_IN_AT] = int(time.time())
    login_user(user)


def _within_lifetime() -> bool:
    signed_in_at = session.get(_SIGNED_IN_AT)
    if not isinstance(signed_in_at, int):
        return False
    return time.time() - signed_in_at < current_app.permanent_session_lifetime.total_seconds()


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Return the signed-in user, or None when the session has ended, expired, or the account is inactive."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None  # an id from before session versions: sign in again
    if len(user_id) > 10 or int(user_id) > ID_MAX or not _within_lifetime():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


def init_app(app: Flask) -> None:
    """Apply the security headers; HTTPS-only settings in production."""
    production = app.config["PRODUCTION"]
    talisman.init_app(
        app, content_security_policy=CSP, force_https=production, strict_transport_security=production,
        session_cookie_secure=production, frame_options="DENY", referrer_policy="same-origin",
    )
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
