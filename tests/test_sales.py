"""Correcting a purchase: void it with a reason, or record its refund; both audited, both change the totals."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.models import AuditEntry, Purchase
from campaigns.sales import corrections, listing, refunds
from campaigns.sales.rows import PurchaseError
from tests.conftest import csrf_from, log_in
from tests.ledger_rows import record_purchase

WHEN = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def _sale(external_id="till-1", cents=2000, email="ana@example.com"):
    customer = find_or_create(make_contact(email))
    return record_purchase(external_id, cents, WHEN, customer_id=customer.id)[0]


def _audits(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_voiding_keeps_the_row_counts_it_nowhere_takes_its_refunds_with_it_and_is_audited(ctx, make_user):
    owner = make_user("owner")
    sale = _sale()
    corrections.refund_purchase(sale, 500, "refund-a", owner.id, "cold coffee")
    assert listing.recent_purchases()[2] == 1500
    with pytest.raises(ValidationError) as error:
        corrections.void_purchase(sale, "  ", owner.id)
    assert "reason" in error.value.details["fields"]
    corrections.void_purchase(sale, "typed 20.00 instead of 2.00", owner.id)
    rows, total, revenue = listing.recent_purchases()
    assert (total, revenue) == (1, 0)  # the row stays, counting nothing; its refund is voided with it
    assert db.session.scalar(select(func.count()).where(Purchase.voided_at.is_not(None))) == 2
    assert [entry.details["reason"] for entry in _audits("purchase_void")] == ["typed 20.00 instead of 2.00"] * 2
    with pytest.raises(PurchaseError) as again:
        corrections.void_purchase(sale, "twice", owner.id)
    assert again.value.code == "already_void"
    with pytest.raises(PurchaseError) as refund:
        corrections.refund_purchase(sale, 100, "refund-b", owner.id)
    assert refund.value.code == "purchase_void"


def test_a_refund_is_recorded_once_however_often_it_is_sent_and_never_beyond_the_sale(ctx, make_user):
    owner = make_user("owner")
    sale = _sale(cents=1000)
    first, new = corrections.refund_purchase(sale, 400, "refund-x", owner.id, "burnt")
    again, new_again = corrections.refund_purchase(sale, 400, "refund-x", owner.id, "burnt")
    assert new and not new_again and first.id == again.id and first.amount_cents == -400
    assert first.refund_of_id == sale.id and first.customer_id == sale.customer_id
    with pytest.raises(ValidationError):
        corrections.refund_purchase(sale, 601, "refund-y", owner.id)
    corrections.void_purchase(first, "refunded by mistake", owner.id)  # a voided refund frees its amount again
    corrections.refund_purchase(sale, 1000, "refund-z", owner.id)
    assert refunds.refunded_cents(sale.id) == 1000
    assert len(_audits("purchase_refund")) == 2


def test_the_list_finds_a_sale_by_code_email_phone_name_or_till_id(ctx):
    _sale("till-77", 700, "noor@example.com")
    _sale("till-78", 800, "ben@example.com")
    for search in ("till-77", "NOOR@example.com", "noor"):
        rows, total, _ = listing.recent_purchases(search)
        assert total == 1 and rows[0]["purchase"].external_id == "till-77", search
    assert listing.recent_purchases("nobody")[1] == 0
    with pytest.raises(ValidationError):
        listing.recent_purchases("a\x00b")


def test_only_marketers_and_owners_correct_purchases_and_the_page_shows_the_new_total(client, app, make_user):
    with app.app_context():
        sale_id = _sale().id
        db.session.commit()
    log_in(client, make_user("staff"))
    assert client.get("/purchases/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/desk/").get_data(as_text=True))})
    log_in(client, make_user("marketer"))
    page = client.get("/purchases/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="purchase-' in text and "till-1" in text
    token = csrf_from(text)
    assert client.post(f"/purchases/{sale_id}/void", data={"csrf_token": token, "reason": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Purchase, sale_id).voided_at is None  # no reason, no void
    client.post(f"/purchases/{sale_id}/refund", data={"csrf_token": token, "amount": "5.00", "refund_id": "r-1"})
    client.post(f"/purchases/{sale_id}/refund", data={"csrf_token": token, "amount": "5.00", "refund_id": "r-1"})
    with app.app_context():
        assert refunds.refunded_cents(sale_id) == 500  # the double tap recorded one refund
    client.post(f"/purchases/{sale_id}/void", data={"csrf_token": token, "reason": "wrong customer"})
    with app.app_context():
        assert db.session.get(Purchase, sale_id).void_reason == "wrong customer"
        assert listing.recent_purchases()[2] == 0
    assert client.post("/purchases/999999/void", data={"csrf_token": token, "reason": "x"}).status_code == 302
