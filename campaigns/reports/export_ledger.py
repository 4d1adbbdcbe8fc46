"""The exported tables of what was given and sold: campaigns, vouchers, redemptions and purchases, one query each."""
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from campaigns.models import ApiToken, Campaign, Customer, Location, Purchase, Redemption, User, Voucher
from campaigns.reports.spreadsheet_cells import CODE, DAY, MOMENT, MONEY, PERCENT, WHOLE, Column, Table


def _columns(*named: tuple[str, str] | str) -> tuple[Column, ...]:
    return tuple(Column(*item) if isinstance(item, tuple) else Column(item) for item in named)


def _live_redemptions():
    """Each campaign's redemptions that stand (not undone)."""
    return (select(Redemption.campaign_id, func.count().label("redeemed")).where(Redemption.undone_at.is_(None))
            .group_by(Redemption.campaign_id).subquery())


def campaigns_query(_filters=None, _zone=None):
    """Select every campaign with its live redemptions, oldest first."""
    redeemed = _live_redemptions()
    return (select(Campaign.id, Campaign.name, Campaign.kind, Campaign.status, Campaign.offer, Campaign.unit_cost_cents,
                   Campaign.retail_value_cents, Campaign.fixed_cost_cents, Campaign.gross_margin_bp, Campaign.starts_on,
                   Campaign.ends_on, Campaign.voucher_limit, Campaign.per_customer_limit,
                   Campaign.attribution_window_days, Campaign.vouchers_issued,
                   func.coalesce(redeemed.c.redeemed, 0), Campaign.went_live_at, Campaign.archived_at,
                   Campaign.created_at)
            .outerjoin(redeemed, redeemed.c.campaign_id == Campaign.id).order_by(Campaign.id))


def _campaign_values(row) -> tuple:
    """A campaign row with its margin and redemption rate as fractions."""
    values = list(row)
    values[8] = Decimal(row[8]) / 10_000
    issued, redeemed = row[14], row[15]
    return tuple(values[:16] + [Decimal(redeemed) / issued if issued else None] + values[16:])


CAMPAIGNS = Table(
    "campaigns", "Every campaign with its offer, costs, dates, limits, vouchers issued, redeemed and the rate.",
    _columns(("id", WHOLE), "name", "kind", "status", "offer", ("unit_cost", MONEY), ("retail_value", MONEY),
             ("fixed_cost", MONEY), ("gross_margin_pct", PERCENT), ("starts_on", DAY), ("ends_on", DAY),
             ("voucher_limit", WHOLE), ("per_customer_limit", WHOLE), ("attribution_window_days", WHOLE),
             ("vouchers_issued", WHOLE), ("redeemed", WHOLE), ("redemption_rate_pct", PERCENT),
             ("went_live_at", MOMENT), ("archived_at", MOMENT), ("created_at", MOMENT)),
    Campaign, campaigns_query, _campaign_values)


def vouchers_query(_filters=None, _zone=None):
    """Select every voucher with its campaign and holder, in the order they were made."""
    return (select(Voucher.id, Voucher.code, Voucher.campaign_id, Campaign.name, Voucher.channel, Voucher.batch_label,
                   Voucher.customer_id, Customer.email, Voucher.issued_at, Voucher.redeemed_at, Voucher.void_at)
            .join(Campaign, Campaign.id == Voucher.campaign_id)
            .outerjoin(Customer, Customer.id == Voucher.customer_id).order_by(Voucher.id))


VOUCHERS = Table(
    "vouchers", "Every voucher: its code, campaign, channel and batch, who holds it, when issued, redeemed or void.",
    _columns(("id", WHOLE), ("code", CODE), ("campaign_id", WHOLE), "campaign", "channel", "batch",
             ("customer_id", WHOLE), "customer_email", ("issued_at", MOMENT), ("redeemed_at", MOMENT),
             ("void_at", MOMENT)),
    Voucher, vouchers_query)


def redemptions_query(_filters=None, _zone=None):
    """Select every redemption (undone ones too, with why) with its voucher, campaign, customer, place and who."""
    undone_by = aliased(User)
    return (select(Redemption.id, Redemption.redeemed_at, Voucher.code, Redemption.campaign_id, Campaign.name,
                   Redemption.customer_id, Customer.email, Location.name, User.name, ApiToken.name,
                   Redemption.recorded_at, Redemption.undone_at, undone_by.name, Redemption.undo_reason,
                   Redemption.scan_id)
            .join(Voucher, Voucher.id == Redemption.voucher_id).join(Campaign, Campaign.id == Redemption.campaign_id)
            .outerjoin(Customer, Customer.id == Redemption.customer_id)
            .outerjoin(Location, Location.id == Redemption.location_id)
            .outerjoin(User, User.id == Redemption.user_id).outerjoin(ApiToken, ApiToken.id == Redemption.token_id)
            .outerjoin(undone_by, undone_by.id == Redemption.undone_by_id).order_by(Redemption.id))


REDEMPTIONS = Table(
    "redemptions", "Every redemption at the desk or through the API: when, which voucher, where, by whom; "
                   "undone ones stay, with when and why.",
    _columns(("id", WHOLE), ("redeemed_at", MOMENT), ("voucher_code", CODE), ("campaign_id", WHOLE), "campaign",
             ("customer_id", WHOLE), "customer_email", "location", "user", "api_token", ("recorded_at", MOMENT),
             ("undone_at", MOMENT), "undone_by", "undo_reason", "scan_id"),
    Redemption, redemptions_query)


def purchases_query(_filters=None, _zone=None):
    """Select every purchase and refund (voided ones too) with its customer, voucher and place."""
    return (select(Purchase.id, Purchase.external_id, Purchase.occurred_at, Purchase.amount_cents,
                   Purchase.refund_of_id, Purchase.customer_id, Customer.email, Voucher.code, Location.name,
                   Purchase.source, Purchase.customer_ref, Purchase.sale_ref, Purchase.recorded_at,
                   Purchase.voided_at, Purchase.void_reason)
            .outerjoin(Customer, Customer.id == Purchase.customer_id)
            .outerjoin(Voucher, Voucher.id == Purchase.voucher_id)
            .outerjoin(Location, Location.id == Purchase.location_id).order_by(Purchase.id))


PURCHASES = Table(
    "purchases", "Every purchase from the desk, the API and imports; refunds are negative amounts naming the "
                 "purchase they refund; voided ones stay, with why.",
    _columns(("id", WHOLE), "external_id", ("occurred_at", MOMENT), ("amount", MONEY), ("refund_of_id", WHOLE),
             ("customer_id", WHOLE), "customer_email", ("voucher_code", CODE), "location", "source", "customer_ref",
             "sale_ref", ("recorded_at", MOMENT), ("voided_at", MOMENT), "void_reason"),
    Purchase, purchases_query)
