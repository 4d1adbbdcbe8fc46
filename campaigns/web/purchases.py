"""Purchases as marketers and owners see them: the recorded sales, newest first, and the two corrections a
mistake needs: void it (with a reason) or record its refund. Both are audited."""
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from campaigns.accounts.business import business_zone, get_settings
from campaigns.core import inputs
from campaigns.core.money import field_cents
from campaigns.sales import corrections, listing
from campaigns.web.access import requires
from campaigns.web.forms import Form, MoneyField
from campaigns.web.transaction import attempt

bp = Blueprint("purchases", __name__, url_prefix="/purchases")


class VoidForm(Form):
    reason = TextAreaField("Why void it?", validators=[DataRequired(), Length(max=500)],
                           description="e.g. 'typed 75.00 instead of 7.50', 'recorded twice'")


class RefundForm(Form):
    amount = MoneyField("Refund amount", validators=[InputRequired()])
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=500)])
    refund_id = HiddenField()  # fixed when the form is shown, so a second tap is the same refund


@bp.app_template_filter("localtime")
def localtime(moment) -> str:
    """Show a stored UTC time in the business's time zone, e.g. 2026-11-23 14:02."""
    return moment.astimezone(business_zone()).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _back():
    return redirect(url_for("purchases.index", q=request.args.get("q") or None))


@bp.route("/")
@requires("marketer")
def index():
    """Recorded purchases, newest first, searchable, with their refunds and the net revenue they make."""
    search = request.args.get("q", "")
    page, error = attempt(lambda: inputs.whole(request.args.get("page", "1"), "page", 1, 100_000))
    rows, total, revenue = [], 0, 0
    if error is None:
        listed, error = attempt(lambda: listing.recent_purchases(search, page))
        if error is None:
            rows, total, revenue = listed
    if error is not None:
        flash(error.message, "error")
    return render_template("purchases/index.html", rows=rows, total=total, revenue=revenue, search=search,
                           page=page or 1, pages=max(1, -(-total // listing.PAGE_SIZE)),
                           refund_id=f"refund-{uuid.uuid4()}")


@bp.route("/<int:purchase_id>/void", methods=["POST"])
@requires("marketer")
def void(purchase_id: int):
    """Void a purchase recorded by mistake (and its refunds): it stays as history and counts nowhere."""
    form = VoidForm()
    if not form.validate():
        flash("To void a purchase, say why: " + " ".join(sum(form.errors.values(), [])), "error")
        return _back()
    _, error = attempt(lambda: corrections.void_purchase(corrections.get_purchase(purchase_id), form.reason.data,
                                                       current_user.id))
    flash(error.message if error else "Purchase voided: it no longer counts anywhere.", "error" if error else "success")
    return _back()


@bp.route("/<int:purchase_id>/refund", methods=["POST"])
@requires("marketer")
def refund(purchase_id: int):
    """Record a refund of (part of) a purchase, as a negative purchase naming it."""
    form = RefundForm()
    if not form.validate():
        flash("Refund: " + " ".join(sum(form.errors.values(), [])), "error")
        return _back()

    def record():
        cents = field_cents("amount", form.amount.data, get_settings().currency)
        refund_id = inputs.text(form.refund_id.data or f"refund-{uuid.uuid4()}", "refund_id", 120, minimum=1)
        return corrections.refund_purchase(corrections.get_purchase(purchase_id), cents, refund_id, current_user.id,
                                         form.reason.data or "")

    made, error = attempt(record)
    if error is not None:
        flash(error.message if not error.details.get("fields") else
              "Refund: " + " ".join(error.details["fields"].values()), "error")
    else:
        flash("Refund recorded." if made[1] else "That refund was already recorded.", "success")
    return _back()
