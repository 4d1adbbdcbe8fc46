"""Customers as staff, marketers and owners see them: find one, read their whole history on one timeline; an
owner merges two records found to be one person (audited)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SubmitField

from campaigns.core import inputs
from campaigns.customers import merging
from campaigns.customers import records as people
from campaigns.web.access import requires
from campaigns.web.error_responses import status_of
from campaigns.web.forms import Form
from campaigns.web.transaction import attempt

bp = Blueprint("customers", __name__, url_prefix="/customers")


class MergeForm(Form):
    submit = SubmitField("Merge these records")


def _found(search: str):
    """A page of customers matching the search, with the page number read from the address."""
    page = inputs.whole(request.args.get("page", "1"), "page", 1, 100_000)
    rows, total = people.find_customers(search, page)
    return rows, total, page


def _listing(search: str) -> dict:
    """What a page listing customers shows: the rows, how many, the page, or the reason there are none."""
    found, error = attempt(lambda: _found(search))
    if error is not None:
        flash(error.message if not error.details.get("fields") else " ".join(error.details["fields"].values()),
              "error")
        found = ([], 0, 1)
    rows, total, page = found
    return {"rows": rows, "total": total, "page": page, "search": search,
            "pages": max(1, -(-total // people.PAGE_SIZE))}


@bp.route("/")
@requires("staff")
def index():
    """Customers, newest first, found by e-mail, phone (any format), name or voucher code."""
    return render_template("customers/index.html", **_listing(request.args.get("q", "")))


@bp.route("/<int:customer_id>")
@requires("staff")
def show(customer_id: int):
    """One customer: contact, totals and one timeline of vouchers, redemptions, purchases and feedback."""
    history, error = attempt(lambda: people.history(customer_id))
    if error is not None:
        abort(status_of(error))
    return render_template("customers/show.html", history=history)


@bp.route("/<int:customer_id>/merge")
@requires("owner")
def merge_pick(customer_id: int):
    """Find the record to merge into this one, by search or by its number."""
    customer, error = attempt(lambda: people.get_customer(customer_id))
    if error is not None:
        abort(status_of(error))
    search = request.args.get("q", "")
    listing = _listing(search) if search.strip() else {"rows": [], "total": 0, "page": 1, "pages": 1, "search": ""}
    return render_template("customers/merge_pick.html", customer=customer, **listing)


@bp.route("/<int:customer_id>/merge/<int:other_id>")
@requires("owner")
def merge_confirm(customer_id: int, other_id: int):
    """Show both records side by side before merging the other into this one."""
    preview, error = attempt(lambda: merging.preview_merge(customer_id, other_id))
    if error is not None:
        if error.code != "invalid_input":
            abort(status_of(error))
        flash(" ".join(error.details["fields"].values()), "error")
        return redirect(url_for("customers.merge_pick", customer_id=customer_id))
    return render_template("customers/merge_confirm.html", preview=preview, form=MergeForm())


@bp.route("/<int:customer_id>/merge/<int:other_id>", methods=["POST"])
@requires("owner")
def merge(customer_id: int, other_id: int):
    """Merge the other record into this one: its history moves here and it is deleted."""
    form = MergeForm()
    if not form.validate():
        abort(400)
    _, error = attempt(lambda: merging.merge_customers(customer_id, other_id, current_user.id))
    if error is not None:
        flash(error.message if not error.details.get("fields") else " ".join(error.details["fields"].values()),
              "error")
        return redirect(url_for("customers.merge_confirm", customer_id=customer_id, other_id=other_id)
                        if error.code == "merge_conflict" else url_for("customers.merge_pick", customer_id=customer_id))
    flash(f"Record #{other_id} merged into this one: its vouchers, redemptions and purchases are here now.",
          "success")
    return redirect(url_for("customers.show", customer_id=customer_id))
