"""Who an audience leaves out before its draw, and why: one set-based rule for the draw itself and for the preview
a marketer reads first, so that the counts shown are the counts applied.

A customer already in the campaign's audience is a member (they keep their group); any other customer is left out
when they unsubscribed from campaign e-mails, when the audience is to be e-mailed and they have no e-mail address,
when they already hold as many vouchers of the campaign as it allows each customer, or when its unreturned-gift
limit would refuse them a voucher. Leaving them out before the draw keeps control and treatment drawn from the same
people: a control member is never someone treatment could not have reached."""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, exists, func, literal, select

from campaigns.contacts.contact import Contact
from campaigns.contacts.matching import existing_customers
from campaigns.contacts.subscriptions import campaign_mail_allowed, not_unsubscribed
from campaigns.extensions import db
from campaigns.giving.gifts import unreturned
from campaigns.models import AudienceAssignment, Campaign, Customer, Voucher

MEMBER, DRAWN = "member", "drawn"
REASONS = {  # the order they are checked in; a customer is left out for the first that holds
    "unsubscribed": "unsubscribed from campaign e-mails",
    "no_email": "no e-mail address",
    "customer_limit": "already holds as many of this campaign's vouchers as it allows each customer",
    "unreturned_gift_limit": "over the campaign's limit of free offers taken without buying since",
}


@dataclass(frozen=True)
class Preview:
    """How many customers a selection holds, how many of them are members already or left out (by reason), and how
    many the draw would take."""

    matched: int
    members: int
    left_out: dict[str, int]
    drawn: int

    @property
    def left_out_total(self) -> int:
        """How many of the selection would be left out, whatever the reason."""
        return sum(self.left_out.values())


def _ids(customer_ids: Iterable[int] | Select) -> Select | list[int]:
    return customer_ids if isinstance(customer_ids, Select) else sorted(set(customer_ids))


def standing(campaign: Campaign, customer_ids: Iterable[int] | Select, require_email: bool) -> Select:
    """A select of (customer_id, standing) for these customers (ids, or a select of ids): "member", "drawn", or the
    key of REASONS that leaves them out of the draw."""
    ids = _ids(customer_ids)
    member = exists().where(AudienceAssignment.campaign_id == campaign.id,
                            AudienceAssignment.customer_id == Customer.id)
    held = (select(func.count()).where(Voucher.campaign_id == campaign.id, Voucher.customer_id == Customer.id,
                                       Voucher.customer_slot.is_not(None)).scalar_subquery())
    rules = [(member, literal(MEMBER)), (~not_unsubscribed(), literal("unsubscribed"))]
    if require_email:  # the rest of the rule every campaign e-mail keeps to (contacts.subscriptions)
        rules.append((~campaign_mail_allowed(), literal("no_email")))
    rules.append((held >= campaign.per_customer_limit, literal("customer_limit")))
    query = select(Customer.id.label("customer_id")).where(Customer.id.in_(ids))
    if campaign.unreturned_gift_limit is not None:
        gifts = unreturned(ids)
        counts = (select(gifts.c.customer_id, func.count().label("gifts")).group_by(gifts.c.customer_id)
                  .subquery("gift_counts"))
        query = query.outerjoin(counts, counts.c.customer_id == Customer.id)
        rules.append((and_(counts.c.gifts.is_not(None), counts.c.gifts >= campaign.unreturned_gift_limit),
                      literal("unreturned_gift_limit")))
    return query.add_columns(case(*rules, else_=literal(DRAWN)).label("standing"))


def standings(campaign: Campaign, customer_ids: Iterable[int], require_email: bool) -> dict[int, str]:
    """Return customer id -> standing (see standing()) for these customers, in one query."""
    ids = _ids(customer_ids)
    if not ids:
        return {}
    return dict(db.session.execute(standing(campaign, ids, require_email)).all())


def preview(campaign: Campaign, customer_ids: Iterable[int] | Select, require_email: bool = True,
            new_contacts: Sequence[Contact] = ()) -> Preview:
    """Count a selection of customers by standing, in one query; `new_contacts` (people no customer is yet) are
    drawn, or left out for want of an e-mail address when `require_email`."""
    ids = _ids(customer_ids)
    counts: dict[str, int] = {}
    if isinstance(ids, Select) or ids:
        rows = standing(campaign, ids, require_email).subquery("standing")
        counts = dict(db.session.execute(select(rows.c.standing, func.count()).group_by(rows.c.standing)).all())
    new_contacts = set(new_contacts)
    unreachable = sum(contact.email is None for contact in new_contacts) if require_email else 0
    counts["no_email"] = counts.get("no_email", 0) + unreachable
    counts[DRAWN] = counts.get(DRAWN, 0) + len(new_contacts) - unreachable
    left_out = {reason: counts[reason] for reason in REASONS if counts.get(reason)}
    members, drawn = counts.get(MEMBER, 0), counts[DRAWN]
    return Preview(members + drawn + sum(left_out.values()), members, left_out, drawn)



def preview_contacts(campaign: Campaign, contacts: Sequence[Contact], require_email: bool = True) -> Preview:
    """Count a list of people as preview() does, matching them to customers without creating or changing any."""
    found = existing_customers(contacts)
    return preview(campaign, set(found.values()), require_email, [c for c in contacts if c not in found])
