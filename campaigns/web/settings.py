"""Owner pages: business settings, users, locations and API tokens."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from campaigns.accounts import business, tokens
from campaigns.accounts import users as accounts
from campaigns.core import money, words
from campaigns.extensions import db
from campaigns.models import Location, User
from campaigns.web.access import requires
from campaigns.web.forms import (
    CustomerPageForm,
    LocationForm,
    SettingsForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
    put_errors_on,
)
from campaigns.web.security import sign_in
from campaigns.web.transaction import attempt

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _apply(action, success: str, form=None) -> bool:
    """Run a service call; flash the outcome; tell whether it worked (the request's edge commits or not)."""
    _, error = attempt(action)
    if error is not None:
        if form is not None:
            put_errors_on(form, error.details.get("fields", {}))
        flash(error.message, "error")
        return False
    flash(success, "success")
    return True


@bp.route("/", methods=["GET", "POST"])
@requires("owner")
def index():
    """Show and change the business settings."""
    settings = business.get_settings()
    form = SettingsForm(obj=settings, current_zone=settings.time_zone)
    if not form.is_submitted():
        form.default_gross_margin_pct.data = Decimal(settings.default_gross_margin_bp) / 100
        form.large_purchase.data = (None if settings.large_purchase_cents is None
                                    else money.to_decimal(settings.large_purchase_cents, settings.currency))
    if form.validate_on_submit():
        saved = _apply(lambda: business.update_settings(
            business_name=form.business_name.data, currency=form.currency.data, time_zone=form.time_zone.data,
            default_gross_margin_bp=int(form.default_gross_margin_pct.data * 100),
            default_phone_region=form.default_phone_region.data, locale=form.locale.data,
            large_purchase=form.large_purchase.data, by_user_id=current_user.id), "Settings saved.", form)
        if saved:
            return redirect(url_for("settings.index"))
    return render_template("settings/index.html", form=form)


@bp.route("/users", methods=["GET", "POST"])
@requires("owner")
def users():
    """List users and add one."""
    form = UserCreateForm()
    if form.validate_on_submit():
        added = _apply(lambda: accounts.create_user(form.email.data, form.name.data, form.role.data,
                                                    form.password.data, by_user_id=current_user.id),
                       f"{form.name.data} can now log in.", form)
        if added:
            return redirect(url_for("settings.users"))
    people = db.session.scalars(db.select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("settings/users.html", form=form, people=people)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("owner")
def user(user_id: int):
    """Change a user's name, role, password or active flag."""
    person = db.get_or_404(User, user_id)
    form = UserEditForm(obj=person)
    if form.validate_on_submit():
        def save():
            accounts.update_user(person, role=form.role.data, active=form.active.data, name=form.name.data,
                                 by_user_id=current_user.id)
            if form.password.data:
                accounts.set_password(person, form.password.data, by_user_id=current_user.id)

        if _apply(save, f"{person.name} saved.", form):
            if person.id == current_user.id and person.active:
                sign_in(person, keep_lifetime=True)  # stays signed in here; their other sessions end
            return redirect(url_for("settings.users"))
    return render_template("settings/user.html", form=form, person=person, is_me=person.id == current_user.id)


@bp.route("/locations", methods=["GET", "POST"])
@requires("owner")
def locations():
    """List locations and add one."""
    form = LocationForm()
    if form.validate_on_submit():
        if _apply(lambda: business.create_location(form.name.data, form.address.data, current_user.id),
                  f"Location {form.name.data} added.", form):
            return redirect(url_for("settings.locations"))
    return render_template("settings/locations.html", form=form, locations=business.list_locations())


@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
@requires("owner")
def location(location_id: int):
    """Rename or deactivate a location."""
    place = db.get_or_404(Location, location_id)
    form = LocationForm(obj=place)
    if form.validate_on_submit():
        if _apply(lambda: business.update_location(place, name=form.name.data, address=form.address.data,
                                                   active=form.active.data, by_user_id=current_user.id),
                  "Location saved.", form):
            return redirect(url_for("settings.locations"))
    return render_template("settings/location.html", form=form, place=place)


@bp.route("/tokens", methods=["GET", "POST"])
@requires("owner")
def api_tokens():
    """List API tokens and make one; its secret is shown once."""
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        made = {}
        if _apply(lambda: made.setdefault("token", tokens.create_token(form.name.data, form.role.data,
                                                                       current_user.id)),
                  f"Token {form.name.data} created. Copy it now: it is not shown again.", form):
            secret = made["token"][1]
            form = TokenForm(formdata=None)
    return render_template("settings/tokens.html", form=form, tokens=tokens.list_tokens(), secret=secret)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("owner")
def revoke_token(token_id: int):
    """Revoke a token."""
    _apply(lambda: tokens.revoke_token(token_id, by_user_id=current_user.id), "Token revoked: it no longer works.")
    return redirect(url_for("settings.api_tokens"))


@bp.route("/customer-page", methods=["GET", "POST"])
@requires("owner")
def customer_page():
    """Show and change what customers' pages show about the business: address, opening hours and logo."""
    settings = business.get_settings()
    form = CustomerPageForm(obj=settings)
    implied = words.LANGUAGES[words.language_of(settings.locale)]
    form.customer_language.choices = [("", f"{implied} (from the number format)"), *words.LANGUAGES.items()]
    if not form.is_submitted():
        form.customer_language.data = settings.customer_language or ""
    if form.validate_on_submit():
        if form.remove_logo.data:
            done = _apply(lambda: business.remove_logo(current_user.id), "Logo removed from customers' pages.")
        else:
            done = _apply(lambda: _save_customer_page(form), "Customer pages saved.", form)
        if done:
            return redirect(url_for("settings.customer_page"))
    return render_template("settings/customer_page.html", form=form, settings=settings,
                           logo_url=url_for("public.logo", v=business.logo_version(settings)) if settings.logo else None)


def _save_customer_page(form: CustomerPageForm) -> None:
    """Store the typed text and, when a file was chosen, the new logo (read no further than the size limit)."""
    business.update_customer_page(form.address.data, form.opening_hours.data, by_user_id=current_user.id,
                                  customer_language=form.customer_language.data or None)
    upload = form.logo.data  # the stored bytes (from the settings) when no file came with the form
    if isinstance(upload, FileStorage) and upload.filename:
        business.set_logo(upload.stream.read(business.LOGO_MAX_BYTES + 1), upload.mimetype, by_user_id=current_user.id)
