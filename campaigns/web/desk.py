"""The front desk, used by staff at the counter."""
from flask import Blueprint, render_template
from flask_login import current_user

from .. import business, metrics
from ..access import requires

bp = Blueprint("desk", __name__, url_prefix="/desk")


@bp.route("/")
@requires("staff")
def index():
    """Show the desk with today's redemption counts."""
    zone = business.business_zone()
    return render_template("desk/index.html", mine=metrics.redemptions_today(zone, current_user.id),
                           everyone=metrics.redemptions_today(zone))
