"""Log-in, log-out, the first-run owner set-up, and the home page that routes by role."""
import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user

from campaigns.accounts import users as accounts
from campaigns.core.addresses import email_limit_key
from campaigns.extensions import limiter
from campaigns.web.access import PUBLIC, allows, current_identity, public, required_role, requires
from campaigns.web.forms import LoginForm, PasswordChangeForm, SetupForm, put_errors_on
from campaigns.web.security import sign_in
from campaigns.web.transaction import attempt

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _failed_login(response) -> bool:
    return bool(request.environ.get("reciprocate.login_failed"))


def _email_at_address_key() -> str:
    # The e-mail together with the address: a stranger's wrong guesses lock out only the stranger.
    return f"login:{email_limit_key(request.form.get('email') or '')}|{get_remote_address()}"


def _safe_next(target: str | None) -> str | None:
    """Only follow a `next` that is a plain path on this site: one leading "/", no backslash or control character."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_login, key_func=_email_at_address_key)
def login():
    """Show the log-in form; sign in on good credentials."""
    if accounts.user_count() == 0:
        return redirect(url_for("auth.setup"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        request.environ["reciprocate.login_failed"] = True
        flash("That e-mail and password do not match an active account.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("staff")
def logout():
    """Sign out, ending every session of this user (a copied cookie included)."""
    accounts.end_sessions(current_user._get_current_object())
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
            put_errors_on(form, error.details.get("fields", {}))
            flash(error.message, "error")
        else:
            sign_in(user)
            flash("Welcome! Your first steps are below: each one is ticked when it is done.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/setup.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@requires("staff")
def account():
    """Show who is signed in; change one's own password, which ends every other session."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        _, error = attempt(lambda: accounts.change_own_password(user, form.current_password.data, form.password.data))
        if error is None:
            sign_in(user)  # this browser carries on under the new session version; the others are out
            flash("Password changed. Every other session of yours has ended.", "success")
            return redirect(url_for("auth.account"))
        put_errors_on(form, error.details.get("fields", {}))
        flash(error.message, "error")
    return render_template("auth/account.html", form=form)


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

