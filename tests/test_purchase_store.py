"""The bulk writer: good rows stored once, bad rows reported, refunds tied, customers matched, all set-based."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import find_voucher, issue_batch
from campaigns.models import Customer, CustomerLink, Purchase
from campaigns.sales.directory import store_customers
from campaigns.sales.ledger import store_purchases
from campaigns.sales.rows import CustomerRow, PurchaseRow

WHEN = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def count(model=Purchase) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def statuses(outcomes) -> list[str]:
    return [o.status for o in outcomes]


def test_a_batch_stores_its_good_rows_once_and_reports_each_bad_one(ctx):
    rows = [PurchaseRow("a-1", 1250, WHEN, email="Ana@Example.com"),
            PurchaseRow("a-2", -5, WHEN),  # negative without refund_of
            PurchaseRow("a-3", 990, WHEN.replace(tzinfo=None)),  # no offset
            PurchaseRow("a-4", 400, WHEN, phone="not a phone"),
            PurchaseRow("a-5", 700, WHEN, phone="+1 415 555 0123", name="Bo"),
            PurchaseRow("a-6", 700, WHEN, voucher_code="K7QM-3XTD-9PRA-W")]  # check character wrong or unknown
    outcomes = store_purchases(rows, source="api")
    assert statuses(outcomes) == ["created", "error", "error", "error", "created", "error"]
    assert outcomes[1].error.details["fields"] == {"amount": pytest.approx(outcomes[1].error.details["fields"]["amount"])}
    assert "customer.phone" in outcomes[3].error.details["fields"]
    assert "voucher_code" in outcomes[5].error.details["fields"]
    assert count() == 2
    again = store_purchases(rows, source="api")
    assert statuses(again) == ["duplicate", "error", "error", "error", "duplicate", "error"]
    assert [o.purchase_id for o in again if o.status == "duplicate"] == [o.purchase_id for o in outcomes
                                                                          if o.status == "created"]
    assert count() == 2
    stored = db.session.scalar(select(Purchase).where(Purchase.external_id == "a-1"))
    assert (stored.amount_cents, stored.source, db.session.get(Customer, stored.customer_id).email) == \
        (1250, "api", "ana@example.com")


def test_the_same_id_with_other_content_is_a_conflict_and_changes_nothing(ctx):
    store_purchases([PurchaseRow("b-1", 1000, WHEN, email="ana@example.com")], source="api")
    outcomes = store_purchases([PurchaseRow("b-1", 1001, WHEN, email="ana@example.com"),
                                PurchaseRow("b-2", 10, WHEN), PurchaseRow("b-2", 11, WHEN)], source="api")
    assert statuses(outcomes) == ["error", "created", "error"]
    assert outcomes[0].error.code == outcomes[2].error.code == "conflict"
    assert db.session.scalar(select(Purchase.amount_cents).where(Purchase.external_id == "b-1")) == 1000
    assert count() == 2


def test_refunds_name_an_original_of_the_batch_or_stored_and_never_exceed_it(ctx):
    outcomes = store_purchases([PurchaseRow("r-1-refund", -300, WHEN + timedelta(days=10), refund_of="r-1"),
                                PurchaseRow("r-1", 1000, WHEN, email="cy@example.com"),
                                PurchaseRow("r-1-refund-2", -800, WHEN, refund_of="r-1"),
                                PurchaseRow("r-x", -100, WHEN, refund_of="nothing-like-it"),
                                PurchaseRow("r-2", -100, WHEN, refund_of=999999)], source="import")
    assert statuses(outcomes) == ["created", "created", "error", "error", "error"]
    assert "more than the purchase" in outcomes[2].error.details["fields"]["amount"]
    refund = db.session.get(Purchase, outcomes[0].purchase_id)
    original = db.session.get(Purchase, outcomes[1].purchase_id)
    assert (refund.refund_of_id, refund.customer_id, refund.amount_cents) == (original.id, original.customer_id, -300)
    by_id = store_purchases([PurchaseRow("r-1-refund-3", -700, WHEN, refund_of=original.id)], source="api")
    assert statuses(by_id) == ["created"]


def test_a_refunded_total_adds_only_what_is_new_capped_at_the_original(ctx):
    store_purchases([PurchaseRow("shopify:1001", 5000, WHEN)], source="import")
    total = lambda cents: PurchaseRow("shopify-refund:1001", None, WHEN, refund_of="shopify:1001",  # noqa: E731
                                      refunded_total_cents=cents)
    assert statuses(store_purchases([total(1000)], source="import")) == ["created"]
    assert statuses(store_purchases([total(1000)], source="import")) == ["duplicate"]
    assert statuses(store_purchases([total(9000)], source="import")) == ["created"]
    assert statuses(store_purchases([total(9500)], source="import")) == ["duplicate"]  # nothing left to refund
    refunds = db.session.scalars(select(Purchase.amount_cents).where(Purchase.refund_of_id.is_not(None))
                                 .order_by(Purchase.id)).all()
    assert refunds == [-1000, -4000]


def test_customers_are_matched_by_email_then_phone_created_once_and_filled_in(ctx):
    ana = find_or_create(make_contact("ana@example.com"))
    bo = find_or_create(make_contact(phone="+14155550123"))
    db.session.commit()
    rows = [PurchaseRow("c-1", 100, WHEN, email="ANA@example.com", phone="+14155550199", name="Ana"),
            PurchaseRow("c-2", 100, WHEN, phone="(415) 555-0123", email="bo@example.com"),
            PurchaseRow("c-3", 100, WHEN, email="new@example.com", phone="+14155550177"),
            PurchaseRow("c-4", 100, WHEN, phone="+1 415 555 0177"),
            PurchaseRow("c-5", 100, WHEN, email="other@example.com", phone="+14155550123"),
            PurchaseRow("c-6", 100, WHEN, email="fay@example.com", phone="+14155550166"),
            PurchaseRow("c-7", 100, WHEN, email="gus@example.com", phone="+14155550166")]
    outcomes = store_purchases(rows, source="api")
    assert statuses(outcomes) == ["created"] * 7
    owners = [db.session.get(Purchase, o.purchase_id).customer_id for o in outcomes]
    # e-mail first, then phone: an unknown e-mail with Bo's phone is Bo; Gus shares Fay's phone, so is Fay
    assert owners[:2] == [ana.id, bo.id] and owners[2] == owners[3] and owners[4] == bo.id and owners[5] == owners[6]
    db.session.refresh(ana)
    db.session.refresh(bo)
    assert (ana.name, ana.phone, bo.email) == ("Ana", "+14155550199", "bo@example.com")
    assert db.session.get(Customer, owners[5]).email == "fay@example.com"
    assert count(Customer) == 4


def test_a_voucher_code_names_the_customer_who_redeemed_it(ctx, make_campaign):
    campaign = db.session.get(campaigns.Campaign, make_campaign(status="active"))
    voucher, anonymous = (find_voucher(code) for code in issue_batch(campaign, 2))
    redeem(voucher.code, Attempt(customer=make_contact("dee@example.com")))
    redeem(anonymous.code, Attempt())
    outcomes = store_purchases([PurchaseRow("v-1", 900, WHEN, voucher_code=voucher.code.lower()),
                                PurchaseRow("v-2", 900, WHEN, voucher_code=anonymous.code)], source="api")
    first, second = (db.session.get(Purchase, o.purchase_id) for o in outcomes)
    assert db.session.get(Customer, first.customer_id).email == "dee@example.com"
    assert (first.voucher_id, second.voucher_id, second.customer_id) == (voucher.id, anonymous.id, None)


@pytest.mark.parametrize("directory_first", [True, False])
def test_square_sales_find_their_customer_whichever_file_arrives_first(ctx, directory_first):
    sales = [PurchaseRow("square:P1", 2250, WHEN, customer_ref="square:CUST1"),
             PurchaseRow("square-refund:P1", -95, WHEN, refund_of="square:P1")]
    directory = [CustomerRow("CUST1", "eve@example.com", None, "Eve"), CustomerRow("CUST2", None, None, "Nobody")]
    if directory_first:
        assert statuses(store_customers(directory, source="square")) == ["created", "error"]
    store_purchases(sales, source="import")
    if not directory_first:
        assert statuses(store_customers(directory, source="square")) == ["created", "error"]
    assert statuses(store_customers(directory, source="square")) == ["duplicate", "error"]
    eve = db.session.scalar(select(Customer).where(Customer.email == "eve@example.com"))
    owners = db.session.scalars(select(Purchase.customer_id).order_by(Purchase.id)).all()
    assert owners == [eve.id, eve.id]
    assert count(CustomerLink) == 1


def test_amounts_up_to_the_money_maximum_are_stored_and_beyond_it_refused(ctx):
    outcomes = store_purchases([PurchaseRow("m-1", 999_999_999, WHEN), PurchaseRow("m-2", 1_000_000_000, WHEN),
                                PurchaseRow("m-3", 10_000_000, WHEN)], source="api")
    assert statuses(outcomes) == ["created", "error", "created"]
    assert "amount" in outcomes[1].error.details["fields"]
