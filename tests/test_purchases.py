"""Purchases: one per external_id however often a client retries; refunds tied to their original."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.models import Purchase
from campaigns.sales.rows import PurchaseError
from campaigns.web.error_responses import status_of
from tests.ledger_rows import record_purchase

WHEN = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def test_a_retry_returns_the_stored_purchase_and_different_content_conflicts(ctx):
    customer = find_or_create(make_contact("ana@example.com"))
    first, new = record_purchase("till-1", 1250, WHEN, customer_id=customer.id)
    again, new_again = record_purchase("till-1", 1250, WHEN.astimezone(), customer_id=customer.id)
    assert new and not new_again and again.id == first.id
    with pytest.raises(PurchaseError) as error:
        record_purchase("till-1", 1300, WHEN, customer_id=customer.id)
    assert (error.value.code, status_of(error.value)) == ("conflict", 409)
    assert db.session.scalar(select(func.count()).select_from(Purchase)) == 1


def test_refunds_are_negative_name_their_original_and_never_exceed_it(ctx):
    sale, _ = record_purchase("till-2", 2000, WHEN)
    with pytest.raises(ValidationError):
        record_purchase("till-3", -500, WHEN)
    with pytest.raises(ValidationError):
        record_purchase("till-3", 500, WHEN, refund_of_id=sale.id)
    record_purchase("till-3", -1500, WHEN, refund_of_id=sale.id)
    with pytest.raises(ValidationError) as error:
        record_purchase("till-4", -501, WHEN, refund_of_id=sale.id)
    assert "more than the purchase" in error.value.details["fields"]["amount"]


@pytest.mark.parametrize("external_id, when", [("", WHEN), ("x" * 121, WHEN), ("ok", datetime(2026, 1, 1))])
def test_bad_purchases_are_refused(ctx, external_id, when):
    with pytest.raises(ValidationError):
        record_purchase(external_id, 100, when)
