"""The marketer's pages: campaigns and their vouchers."""
from flask import Blueprint, render_template

from .. import metrics
from ..access import requires

bp = Blueprint("marketing", __name__, url_prefix="/campaigns")


@bp.route("/")
@requires("marketer")
def campaigns():
    """List campaigns with their status and voucher counts."""
    return render_template("marketing/campaigns.html", rows=metrics.voucher_counts())
