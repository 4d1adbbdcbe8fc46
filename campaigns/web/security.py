"""Security headers (strict CSP: no inline script or style) and the session's user loader."""
from flask import Flask
from flask_talisman import Talisman

from ..extensions import db, login_manager
from ..models import User

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


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the signed-in user, or None when the account is gone or inactive."""
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


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
