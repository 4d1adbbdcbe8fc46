"""Whether a customer gets campaign e-mails: the unsubscribe link's token, unsubscribing and undoing it, and the
rule every send and audience applies (API.md: an unsubscribed customer is never sent a campaign e-mail again; the
voucher they claim themselves is still mailed, so that e-mail does not ask)."""
import base64
import hashlib
import hmac
import re
from datetime import datetime

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.orm.util import identity_key

from campaigns.contacts.matching import merged_into
from campaigns.core import audit
from campaigns.extensions import db
from campaigns.models import Customer, utcnow

# "<customer id>.<22 characters>": the id to find the record, and 128 bits of HMAC so no one can write the token
# of another id without the app's secret key. Changing SECRET_KEY ends every link already sent.
_TOKEN = re.compile(r"([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})")
_PURPOSE = b"campaign-mail-unsubscribe:"
_MERGES_FOLLOWED = 5  # a record merged into one merged in turn, and so on: enough for any real history


def unsubscribe_token(customer_id: int, secret: str) -> str:
    """Return the token of a customer's unsubscribe link, signed with `secret` (the app's SECRET_KEY)."""
    return f"{customer_id}.{_mac(customer_id, secret)}"


def _mac(customer_id: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), _PURPOSE + str(customer_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def customer_for_token(token: str, secret: str) -> Customer | None:
    """Return the customer an unsubscribe token was made for, or None when the token is not one of ours. A token
    of a record since merged into another names the kept record, so a link in an older e-mail still works."""
    found = _TOKEN.fullmatch(token or "")
    if found is None or not hmac.compare_digest(found[2], _mac(int(found[1]), secret)):
        return None
    customer_id = int(found[1])
    for _ in range(_MERGES_FOLLOWED):
        customer = db.session.get(Customer, customer_id)
        if customer is not None:
            return customer
        customer_id = merged_into(customer_id)
        if customer_id is None:
            return None
    return None


def unsubscribe(customer_id: int, *, how: str, ip_address: str | None = None, now: datetime | None = None) -> bool:
    """Stop a customer's campaign e-mails for good and audit it; return False when they already had (idempotent:
    the first time stays the one recorded)."""
    now = now or utcnow()
    changed = db.session.execute(update(Customer).where(Customer.id == customer_id,
                                                        Customer.unsubscribed_at.is_(None))
                                 .values(unsubscribed_at=now).execution_options(synchronize_session=False)).rowcount
    if changed:
        audit.record("campaign_mail", "unsubscribed", ip_address=ip_address, subject=("customer", customer_id),
                     details={"how": how}, now=now)
    _refresh(customer_id)
    return bool(changed)


def resubscribe(customer_id: int, *, ip_address: str | None = None, now: datetime | None = None) -> bool:
    """Undo an unsubscribe (the customer asked for it from their own link) and audit it; False when there was none."""
    now = now or utcnow()
    changed = db.session.execute(update(Customer).where(Customer.id == customer_id,
                                                        Customer.unsubscribed_at.is_not(None))
                                 .values(unsubscribed_at=None).execution_options(synchronize_session=False)).rowcount
    if changed:
        audit.record("campaign_mail", "resubscribed", ip_address=ip_address, subject=("customer", customer_id),
                     now=now)
    _refresh(customer_id)
    return bool(changed)


def _refresh(customer_id: int) -> None:
    customer = db.session.identity_map.get(identity_key(Customer, customer_id))
    if customer is not None:
        db.session.expire(customer, ["unsubscribed_at"])  # changed behind the session's back


def may_send_campaign_mail(customer: Customer) -> bool:
    """Tell whether a customer may be sent a campaign e-mail: they have an address and never unsubscribed."""
    return customer.email is not None and customer.unsubscribed_at is None


def campaign_mail_allowed() -> ColumnElement[bool]:
    """The same rule as a condition on `customer`, for set-based sends and audiences."""
    return and_(Customer.email.is_not(None), Customer.unsubscribed_at.is_(None))


def not_unsubscribed() -> ColumnElement[bool]:
    """Only the unsubscribe half of the rule, for an audience that also holds customers known by phone alone."""
    return Customer.unsubscribed_at.is_(None)
