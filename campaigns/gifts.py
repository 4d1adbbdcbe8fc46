"""Unreturned gifts (METRICS.md): a customer's live redemptions, of any campaign, with no purchase of positive amount
after them; and a campaign's limit on them, checked wherever one of its vouchers reaches a known customer (issued
to them, claimed on the claim page, attached at the desk, sent to an audience)."""
from collections.abc import Iterable

from sqlalchemy import exists, func, select

from .errors import DomainError
from .extensions import db
from .models import Campaign, Purchase, Redemption


class GiftLimitError(DomainError):
    """The customer already holds as many unreturned free offers as the campaign allows."""


def unreturned(customer_ids):
    """The live redemptions of these customers (ids or a subquery) not followed by a live purchase of positive
    amount: a subquery (customer_id, redemption_id)."""
    redemption, purchase = Redemption.__table__, Purchase.__table__
    returned = exists().where(purchase.c.customer_id == redemption.c.customer_id, purchase.c.amount_cents > 0,
                              purchase.c.voided_at.is_(None), purchase.c.occurred_at > redemption.c.redeemed_at)
    return (select(redemption.c.customer_id, redemption.c.id.label("redemption_id"))
            .where(redemption.c.customer_id.in_(customer_ids), redemption.c.undone_at.is_(None), ~returned)
            .subquery("unreturned"))


def unreturned_gifts(customer_ids: Iterable[int]) -> dict[int, int]:
    """Return customer id -> their number of unreturned gifts (customers with none are absent)."""
    customer_ids = list(customer_ids)
    if not customer_ids:
        return {}
    gifts = unreturned(customer_ids)
    return dict(db.session.execute(select(gifts.c.customer_id, func.count()).group_by(gifts.c.customer_id)).all())


def check_gift_limit(campaign: Campaign, customer_id: int) -> None:
    """Refuse (unreturned_gift_limit_reached) a voucher of this campaign to a customer already holding as many
    unreturned gifts as its limit; no limit set, nothing refused."""
    limit = campaign.unreturned_gift_limit
    if limit is None:
        return
    held = unreturned_gifts([customer_id]).get(customer_id, 0)
    if held >= limit:
        raise GiftLimitError(
            "unreturned_gift_limit_reached",
            f"This customer has taken {held} free offer{'' if held == 1 else 's'} without coming back to buy since; "
            f"this campaign gives no voucher to anyone holding {limit} or more.",
            {"unreturned_gifts": held, "unreturned_gift_limit": limit})


def over_gift_limit(campaign: Campaign, customer_ids: Iterable[int]) -> set[int]:
    """Return the customers of `customer_ids` the campaign's limit refuses (none when it has no limit)."""
    if campaign.unreturned_gift_limit is None:
        return set()
    return {customer_id for customer_id, held in unreturned_gifts(customer_ids).items()
            if held >= campaign.unreturned_gift_limit}
