"""The owner's overview of what each giveaway has done so far."""
from flask import Blueprint, render_template

from ..metrics.counts import voucher_counts
from .access import requires

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.route("/")
@requires("owner")
def index():
    """Show every campaign with vouchers issued and redeemed."""
    return render_template("dashboard/index.html", rows=voucher_counts())
