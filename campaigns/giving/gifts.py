"""Unreturned gifts (METRICS.md): a customer's live redemptions, of any campaign, with no purchase of positive amount
after them; and a campaign's limit on them, checked wherever one of its vouchers reaches a known customer (issued
to them, claimed on the claim page, attached at the desk, sent to an audience).

Every count is one set-based query (NOT EXISTS over the partial index ix_purchase_customer_positive), run in the
caller's transaction, so a refusal is decided on the same data as the write it guards."""
from collections.abc import Iterable

from sqlalchemy import exists, func, select
from sqlalchemy.sql import FromClause, Selectable

from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.models import Campaign, Purchase, Redemption
from campaigns.models.purchase import positive_live


class GiftLimitError(DomainError):
    """The customer already holds as many unreturned free offers as the campaign allows."""


def _ids(customer_ids):
    """A list of ids as a list (None when empty), a select of ids as it is, a one-column subquery as its select."""
    if isinstance(customer_ids, FromClause):
        return select(customer_ids)
    if isinstance(customer_ids, Selectable):
        return customer_ids
    return list(customer_ids) or None


def unreturned(customer_ids, except_voucher_id: int | None = None):
    """The live redemptions of these customers (ids or a subquery) not followed by a live purchase of positive
    amount, leaving out the redemption of `except_voucher_id`: a subquery (customer_id, redemption_id)."""
    redemption, purchase = Redemption.__table__, Purchase.__table__
    returned = exists().where(purchase.c.customer_id == redemption.c.customer_id, positive_live(purchase),
                              purchase.c.occurred_at > redemption.c.redeemed_at)
    query = (select(redemption.c.customer_id, redemption.c.id.label("redemption_id"))
             .where(redemption.c.customer_id.in_(customer_ids), redemption.c.undone_at.is_(None), ~returned))
    if except_voucher_id is not None:
        query = query.where(redemption.c.voucher_id != except_voucher_id)
    return query.subquery("unreturned")


def unreturned_gifts(customer_ids: Iterable[int] | Selectable, except_voucher_id: int | None = None) -> dict[int, int]:
    """Return customer id -> their number of unreturned gifts (customers with none are absent)."""
    customer_ids = _ids(customer_ids)
    if customer_ids is None:
        return {}
    gifts = unreturned(customer_ids, except_voucher_id)
    return dict(db.session.execute(select(gifts.c.customer_id, func.count()).group_by(gifts.c.customer_id)).all())


def check_gift_limit(campaign: Campaign, customer_id: int, except_voucher_id: int | None = None) -> None:
    """Refuse (unreturned_gift_limit_reached) a voucher of this campaign to a customer already holding as many
    unreturned gifts as its limit (the redemption of `except_voucher_id`, the voucher being attached, not
    counted); no limit set, nothing refused."""
    limit = campaign.unreturned_gift_limit
    if limit is None:
        return
    held = unreturned_gifts([customer_id], except_voucher_id).get(customer_id, 0)
    if held >= limit:
        raise GiftLimitError(
            "unreturned_gift_limit_reached",
            f"This customer has taken {held} free offer{'' if held == 1 else 's'} without coming back to buy since; "
            f"this campaign gives no voucher to anyone holding {limit} or more.",
            {"unreturned_gifts": held, "unreturned_gift_limit": limit})


def over_gift_limit(campaign: Campaign, customer_ids: Iterable[int] | Selectable) -> set[int]:
    """Return the customers of `customer_ids` (ids, or a select of ids) the campaign's limit refuses (none when it
    has no limit), in one query."""
    limit = campaign.unreturned_gift_limit
    customer_ids = _ids(customer_ids)
    if limit is None or customer_ids is None:
        return set()
    gifts = unreturned(customer_ids)
    return set(db.session.scalars(select(gifts.c.customer_id).group_by(gifts.c.customer_id)
                                  .having(func.count() >= limit)))
