"""The unsubscribe link of every campaign e-mail: one click from the mail client (RFC 8058), or a page whose button
unsubscribes (opening a link never does: scanners open every link in an e-mail), and the undo."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from campaigns.contacts import subscriptions
from campaigns.extensions import csrf
from campaigns.models import Customer
from campaigns.web.access import public
from campaigns.web.forms import Form
from campaigns.web.public import business_page

bp = Blueprint("unsubscribe", __name__)
bp.context_processor(business_page)


class ResubscribeForm(Form):
    """The undo button: its form carries only the CSRF token."""


def _customer(token: str) -> Customer | None:
    return subscriptions.customer_for_token(token, current_app.config["SECRET_KEY"])


def _missing():
    return render_template("public/unsubscribe_missing.html"), 404


def _page(customer: Customer, token: str):
    return render_template("public/unsubscribe.html", customer=customer, token=token, address=_masked(customer.email),
                           form=ResubscribeForm())


def _masked(email: str | None) -> str | None:
    """The address with most of its name hidden: enough to recognise, little to a forwarded link's reader."""
    if not email:
        return None
    name, _, domain = email.partition("@")
    return f"{name[0]}•••@{domain}"


@bp.get("/u/<token>")
@public
def page(token: str):
    """Show whether the link's customer gets campaign e-mails, with the button that changes it."""
    customer = _customer(token)
    return _page(customer, token) if customer is not None else _missing()


@bp.post("/u/<token>")
@public
@csrf.exempt  # the mail client posts with no session (RFC 8058); the token is the proof
def one_click(token: str):
    """Unsubscribe, once for all however often it is sent: the mail client's one-click POST gets 200, the page's
    button goes back to the page."""
    customer = _customer(token)
    if customer is None:
        return _missing()
    by_client = request.form.get("List-Unsubscribe") == "One-Click"
    subscriptions.unsubscribe(customer.id, how="one_click" if by_client else "page", ip_address=request.remote_addr)
    return _page(customer, token) if by_client else redirect(url_for("unsubscribe.page", token=token), 303)


@bp.post("/u/<token>/resubscribe")
@public
def resubscribe(token: str):
    """Undo an unsubscribe from the page (a form with its CSRF token), then go back to the page."""
    customer = _customer(token)
    if customer is None:
        return _missing()
    form = ResubscribeForm()
    if not form.validate_on_submit():
        flash("That took too long: please press the button again.", "error")
        return _page(customer, token), 400
    subscriptions.resubscribe(customer.id, ip_address=request.remote_addr)
    flash("Done: you will get our offers by e-mail again.", "success")
    return redirect(url_for("unsubscribe.page", token=token), 303)
