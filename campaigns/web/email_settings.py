"""Owner pages for e-mail: Settings → E-mail (the mail server, the sender, a test send through the job queue)
and Deliveries (every e-mail the app queued, sent, failed to send or gave up on)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaigns.accounts.business import get_settings
from campaigns.mail import delivery_listing, mail_server
from campaigns.models import DELIVERY_KINDS, DELIVERY_STATUSES
from campaigns.web.access import requires
from campaigns.web.forms import Form, put_errors_on
from campaigns.web.transaction import attempt

bp = Blueprint("email_settings", __name__, url_prefix="/settings")


class MailServerForm(Form):
    host = StringField("SMTP server", validators=[Optional(), Length(max=253)])
    port = IntegerField("Port", validators=[Optional(), NumberRange(1, 65535)])
    use_tls = BooleanField("Use STARTTLS (most providers want it on port 587)")
    username = StringField("Username", validators=[Optional(), Length(max=254)])
    password = PasswordField("Password", validators=[Optional(), Length(max=254)])
    forget_password = BooleanField("Forget the stored password")
    sender_name = StringField("Sender name", validators=[Optional(), Length(max=120)])
    sender_address = EmailField("Sender address", validators=[Optional(), Length(max=254)])


class TestSendForm(Form):
    to = EmailField("Send a test e-mail to", validators=[DataRequired(), Length(max=254)])


@bp.route("/email", methods=["GET", "POST"])
@requires("owner")
def email():
    """Show and change the mail server settings."""
    stored = mail_server.stored()
    form = MailServerForm(obj=stored)
    if form.validate_on_submit():
        _, error = attempt(lambda: mail_server.update_server(
            form.host.data, form.port.data, form.use_tls.data, form.username.data, form.password.data,
            form.sender_name.data, form.sender_address.data, form.forget_password.data, by_user_id=current_user.id))
        if error is None:
            flash("E-mail settings saved. Send a test e-mail to check them.", "success")
            return redirect(url_for("email_settings.email"))
        put_errors_on(form, error.details.get("fields", {}))
    return _email_page(form, TestSendForm(formdata=None), stored)


@bp.route("/email/test", methods=["POST"])
@requires("owner")
def test_send():
    """Queue a test e-mail; the page then shows what the mail server answered."""
    form = TestSendForm()
    if form.validate_on_submit():
        _, error = attempt(lambda: mail_server.queue_test(form.to.data, get_settings().business_name))
        if error is None:
            flash(f"Test e-mail queued to {form.to.data}. Its result shows below in a few seconds.", "success")
            return redirect(url_for("email_settings.email"))
        put_errors_on(form, error.details.get("fields", {}), fallback=form.to)
    return _email_page(MailServerForm(obj=mail_server.stored(), formdata=None), form, mail_server.stored()), 422


def _email_page(form: MailServerForm, test_form: TestSendForm, stored):
    tests = mail_server.recent_tests()
    return render_template("settings/email.html", form=form, test_form=test_form, stored=stored, tests=tests,
                           defaults=current_app.config, waiting=any(t.status in ("queued", "sending") for t in tests))


@bp.route("/deliveries")
@requires("owner")
def deliveries():
    """List every e-mail, failures first; filter by status and kind."""
    status, kind = request.args.get("status") or None, request.args.get("kind") or None
    listing = delivery_listing.list_deliveries(status, kind, request.args.get("page", 1, type=int))
    return render_template("settings/deliveries.html", listing=listing, status=status, kind=kind,
                           statuses=DELIVERY_STATUSES, kinds=DELIVERY_KINDS)
