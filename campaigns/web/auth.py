"""Log-in, log-out, the first-run owner set-up, and the home page that routes by role."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from .. import accounts
from ..extensions import limiter
from .access import PUBLIC, allows, current_identity, public, required_role, requires
from .forms import LoginForm, SetupForm
from .transaction import attempt

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed_login(response) -> bool:
    return bool(request.environ.get("reciprocate.login_failed"))


def _email_key() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()


def _safe_next(target: str | None) -> str | None:
    """Only follow a `next` that stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login, key_func=_email_key)
def login():
    """Show the log-in form; sign in on good credentials."""
    if accounts.user_count() == 0:
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        request.environ["reciprocate.login_failed"] = True
        flash("That e-mail and password do not match an active account.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("staff")
def logout():
    """Sign out."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """Create the owner account while the installation has no user at all."""
    if accounts.user_count() > 0:
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        user, error = attempt(lambda: accounts.create_first_owner(form.email.data, form.name.data, form.password.data,
                                                                   business_name=form.business_name.data))
        if error is not None:
            flash(error.message, "error")
        else:
            login_user(user)
            flash("Welcome! Add your locations and team next.", "success")
            return redirect(url_for("settings.index"))
    return render_template("auth/setup.html", form=form)


@bp.route("/")
@requires("staff")
def home():
    """Send each role to the page it uses most."""
    identity = current_identity()
    for endpoint in ("dashboard.index", "marketing.campaigns", "desk.index"):
        if allows(identity.role, required_role(endpoint)):
            return redirect(url_for(endpoint))
    return redirect(url_for("auth.login"))


def redirect_to_setup():
    """Before each request: while no user exists, every page leads to the set-up page."""
    if current_app.extensions.get("reciprocate_has_users"):
        return None
    if request.endpoint in (None, "static") or request.path.startswith("/api/"):
        return None
    if required_role(request.endpoint) == PUBLIC:  # customers' pages; the log-in page leads to set-up itself
        return None
    if accounts.user_count() > 0:
        current_app.extensions["reciprocate_has_users"] = True
        return None
    return redirect(url_for("auth.setup"))

