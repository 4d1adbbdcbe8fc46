"""The exported tables about people and what was said to them: customers with their totals, feedback answers, the
e-mail delivery log and the audit log (filtered by who, what, campaign and local dates), one query each."""
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from campaigns.models import (
    ApiToken,
    AuditEntry,
    Campaign,
    Customer,
    Delivery,
    Feedback,
    Location,
    Purchase,
    Redemption,
    User,
    Voucher,
)
from campaigns.reports.audit_trail import AuditFilters, filtered, join_subjects, subjects
from campaigns.reports.spreadsheet_cells import CODE, DETAILS, FLAG, MOMENT, MONEY, WHOLE, Column, Table


def _columns(*named: tuple[str, str] | str) -> tuple[Column, ...]:
    return tuple(Column(*item) if isinstance(item, tuple) else Column(item) for item in named)


def _per_customer(column, *conditions):
    """How many rows each customer has (by `column`, a customer id) under the conditions."""
    return (select(column.label("customer_id"), func.count().label("n")).where(column.is_not(None), *conditions)
            .group_by(column).subquery())


def customers_query(_filters=None, _zone=None):
    """Select every customer with their contact, sales (net of refunds, as the customer pages count them),
    vouchers, standing redemptions and unsubscription."""
    original = aliased(Purchase)
    net = (select(original.customer_id.label("customer_id"), func.sum(Purchase.amount_cents).label("cents"))
           .join(original, original.id == func.coalesce(Purchase.refund_of_id, Purchase.id))
           .where(original.customer_id.is_not(None), original.voided_at.is_(None), Purchase.voided_at.is_(None))
           .group_by(original.customer_id).subquery())
    sales = _per_customer(Purchase.customer_id, Purchase.refund_of_id.is_(None), Purchase.voided_at.is_(None))
    vouchers = _per_customer(Voucher.customer_id)
    redeemed = _per_customer(Redemption.customer_id, Redemption.undone_at.is_(None))
    return (select(Customer.id, Customer.email, Customer.phone, Customer.name, Customer.created_at,
                   func.coalesce(sales.c.n, 0), func.coalesce(net.c.cents, 0), func.coalesce(vouchers.c.n, 0),
                   func.coalesce(redeemed.c.n, 0), Customer.unsubscribed_at, Customer.unsubscribed_at)
            .outerjoin(sales, sales.c.customer_id == Customer.id).outerjoin(net, net.c.customer_id == Customer.id)
            .outerjoin(vouchers, vouchers.c.customer_id == Customer.id)
            .outerjoin(redeemed, redeemed.c.customer_id == Customer.id).order_by(Customer.id))


CUSTOMERS = Table(
    "customers", "Every customer: e-mail, phone and name, when first seen, purchases and total spent (net of "
                 "refunds), vouchers held, redemptions, and whether they unsubscribed from campaign e-mails.",
    _columns(("id", WHOLE), "email", "phone", "name", ("first_seen", MOMENT), ("purchases", WHOLE),
             ("total_spent", MONEY), ("vouchers", WHOLE), ("redemptions", WHOLE), ("unsubscribed", FLAG),
             ("unsubscribed_at", MOMENT)),
    Customer, customers_query)


def feedback_query(_filters=None, _zone=None):
    """Select every feedback answer with its campaign's questions, the voucher and its holder."""
    return (select(Feedback.id, Feedback.created_at, Feedback.updated_at, Feedback.campaign_id, Campaign.name,
                   Voucher.code, Voucher.customer_id, Customer.email, Feedback.score, Campaign.feedback_question,
                   Feedback.answer, Campaign.feedback_question_2, Feedback.answer_2)
            .join(Campaign, Campaign.id == Feedback.campaign_id).join(Voucher, Voucher.id == Feedback.voucher_id)
            .outerjoin(Customer, Customer.id == Voucher.customer_id).order_by(Feedback.id))


FEEDBACK = Table(
    "feedback", "Every feedback answer: the 0–10 score, the answers to the campaign's questions, which voucher "
                "and campaign it is about.",
    _columns(("id", WHOLE), ("answered_at", MOMENT), ("changed_at", MOMENT), ("campaign_id", WHOLE), "campaign",
             ("voucher_code", CODE), ("customer_id", WHOLE), "customer_email", ("score", WHOLE), "question",
             "answer", "question_2", "answer_2"),
    Feedback, feedback_query)


def deliveries_query(_filters=None, _zone=None):
    """Select every e-mail the app queued, with its outcome and the mail server's last answer."""
    return (select(Delivery.id, Delivery.created_at, Delivery.kind, Delivery.status, Delivery.recipient,
                   Delivery.subject, Delivery.attempts, Delivery.last_error, Delivery.next_try_at, Delivery.sent_at,
                   Delivery.campaign_id, Delivery.customer_id, Delivery.voucher_id, Delivery.send_id)
            .order_by(Delivery.id))


DELIVERIES = Table(
    "deliveries", "Every e-mail the app queued (vouchers, feedback invitations, campaign sends, tests): to whom, "
                  "its status and attempts, the mail server's last answer, when sent.",
    _columns(("id", WHOLE), ("queued_at", MOMENT), "kind", "status", "recipient", "subject", ("attempts", WHOLE),
             "last_error", ("next_try_at", MOMENT), ("sent_at", MOMENT), ("campaign_id", WHOLE),
             ("customer_id", WHOLE), ("voucher_id", WHOLE), ("send_id", WHOLE)),
    Delivery, deliveries_query)


def audit_query(filters: AuditFilters | None, zone: ZoneInfo):
    """Select the audit entries under the filters (the audit page's), oldest first, with the names of who, where and
    which campaign (a campaign's own entries, and those of its vouchers and redemptions)."""
    about = subjects()
    query = join_subjects(
        select(AuditEntry.id, AuditEntry.occurred_at, AuditEntry.action, AuditEntry.outcome, AuditEntry.user_id,
               User.name, AuditEntry.token_id, ApiToken.name, Location.name, AuditEntry.ip_address,
               AuditEntry.device_time, AuditEntry.subject_type, AuditEntry.subject_id, about.campaign_id, Campaign.name,
               AuditEntry.details)
        .outerjoin(User, User.id == AuditEntry.user_id).outerjoin(ApiToken, ApiToken.id == AuditEntry.token_id)
        .outerjoin(Location, Location.id == AuditEntry.location_id), about)
    query = filtered(query.outerjoin(Campaign, Campaign.id == about.campaign_id), filters or AuditFilters(), zone,
                     about.campaign_id)
    return query.order_by(AuditEntry.occurred_at, AuditEntry.id)


AUDIT = Table(
    "audit", "The audit log: every attempt that matters (redemptions and refusals, undos, voids, sends, merges, "
             "unsubscriptions), who made it, from where, about what.",
    _columns(("id", WHOLE), ("occurred_at", MOMENT), "action", "outcome", ("user_id", WHOLE), "user",
             ("token_id", WHOLE), "api_token", "location", "ip_address", ("device_time", MOMENT), "subject_type",
             "subject_id", ("campaign_id", WHOLE), "campaign", ("details", DETAILS)),
    AuditEntry, audit_query)
