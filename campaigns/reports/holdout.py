"""The holdout test of METRICS.md, intent-to-treat: every member of a campaign's audience, treatment or control,
converts when they make a purchase of positive amount in (A, A + window] after their assignment at A, voucher or
not, wherever that purchase is attributed. A member's revenue is their purchases in that span and those
purchases' refunds. Counted in SQL; the intervals are worked out from the four counts (stats.py).

The incremental ROI weighs the incremental gross profit against what the treatment cost: the fixed cost (counted
as the report without a range counts it: nothing for a campaign that never went live) plus the unit cost of the
live redemptions of the campaign by treatment members."""
from fractions import Fraction

from sqlalchemy import and_, func, select

from campaigns.extensions import db
from campaigns.models import AudienceAssignment, Campaign, Purchase, Redemption
from campaigns.reports.attribution import plus_days
from campaigns.reports.stats import members_needed, newcombe

EMPTY = {"treatment_size": 0, "control_size": 0, "treatment_converted": 0, "control_converted": 0,
         "treatment_conversion_rate": None, "control_conversion_rate": None, "lift": None, "lift_ci95": None,
         "incremental_revenue": None, "significant": None, "members_needed": None,
         "incremental_gross_profit": None, "treatment_cost_cents": None, "incremental_roi": None,
         "treatment_redemptions": 0}


def _per_member(campaign_id: int):
    """Each member with their group, whether they converted, and their revenue in cents (a subquery)."""
    member, campaign = AudienceAssignment.__table__, Campaign.__table__
    sale, refund = Purchase.__table__, Purchase.__table__.alias("refund")
    # Every live refund summed per original once (a hash join on PostgreSQL), rather than a look-up per purchase.
    refunded = (select(refund.c.refund_of_id, func.sum(refund.c.amount_cents).label("cents"))
                .where(refund.c.refund_of_id.is_not(None), refund.c.voided_at.is_(None))
                .group_by(refund.c.refund_of_id).subquery("refunded"))
    inside = and_(sale.c.customer_id == member.c.customer_id, sale.c.refund_of_id.is_(None),
                  sale.c.voided_at.is_(None), sale.c.occurred_at > member.c.assigned_at,
                  sale.c.occurred_at <= plus_days(member.c.assigned_at, campaign.c.attribution_window_days))
    return (select(member.c.id, member.c.group_name,
                   func.count(sale.c.id).filter(sale.c.amount_cents > 0).label("positive"),
                   func.coalesce(func.sum(sale.c.amount_cents + func.coalesce(refunded.c.cents, 0)), 0)
                   .label("revenue"))
            .select_from(member)
            .join(campaign, campaign.c.id == member.c.campaign_id)
            .outerjoin(sale, inside)
            .outerjoin(refunded, refunded.c.refund_of_id == sale.c.id)
            .where(member.c.campaign_id == campaign_id)
            .group_by(member.c.id, member.c.group_name).subquery("per_member"))


def holdout(campaign_id: int) -> dict:
    """Return the treatment and control sizes, conversions and rates, the lift with its 95% interval, whether it is
    significant, the incremental revenue (exact cents) and how many more members would show the lift."""
    each = _per_member(campaign_id)
    rows = db.session.execute(select(each.c.group_name, func.count(), func.count().filter(each.c.positive > 0),
                                     func.sum(each.c.revenue)).group_by(each.c.group_name))
    groups = {name: (size, converted, int(revenue or 0)) for name, size, converted, revenue in rows}
    n_t, c_t, r_t = groups.get("treatment", (0, 0, 0))
    n_c, c_c, r_c = groups.get("control", (0, 0, 0))
    out = dict(EMPTY, treatment_size=n_t, control_size=n_c, treatment_converted=c_t, control_converted=c_c)
    if n_t:
        out["treatment_conversion_rate"] = Fraction(c_t, n_t)
    if n_c:
        out["control_conversion_rate"] = Fraction(c_c, n_c)
    if not (n_t and n_c):
        return out
    _incremental_roi(campaign_id, out, Fraction(r_t, n_t) - Fraction(r_c, n_c))
    out["lift"] = Fraction(c_t, n_t) - Fraction(c_c, n_c)
    low, high = newcombe(c_t, n_t, c_c, n_c)
    out["lift_ci95"] = (low, high)
    out["significant"] = low > 0 or high < 0
    if not out["significant"]:
        out["members_needed"] = members_needed(c_t / n_t, n_t, c_c / n_c, n_c)
    return out


def _incremental_roi(campaign_id: int, out: dict, per_member: Fraction) -> None:
    """Add the incremental revenue, gross profit, the treatment's cost and the incremental ROI to `out`."""
    member, redemption = AudienceAssignment.__table__, Redemption.__table__
    campaign = db.session.get(Campaign, campaign_id)
    redeemed = db.session.scalar(
        select(func.count()).select_from(redemption)
        .where(redemption.c.campaign_id == campaign_id, redemption.c.undone_at.is_(None),
               redemption.c.customer_id.in_(select(member.c.customer_id).where(
                   member.c.campaign_id == campaign_id, member.c.group_name == "treatment"))))
    cost = (campaign.fixed_cost_cents if campaign.went_live_at else 0) + campaign.unit_cost_cents * redeemed
    out["incremental_revenue"] = per_member * out["treatment_size"]
    out["incremental_gross_profit"] = out["incremental_revenue"] * campaign.gross_margin_bp / 10000
    out.update(treatment_redemptions=redeemed, treatment_cost_cents=cost,
               incremental_roi=(out["incremental_gross_profit"] - cost) / cost if cost else None)
