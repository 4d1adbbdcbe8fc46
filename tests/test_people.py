"""Customers as people see them: found by whatever they remember, one timeline of everything, newest first."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from campaigns.accounts.business import create_location
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import NotFound, ValidationError
from campaigns.customers import records as people
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_personal
from campaigns.models import CustomerLink, Feedback, Redemption
from campaigns.sales import corrections
from tests.conftest import csrf_from, log_in
from tests.designs import design
from tests.ledger_rows import record_purchase

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def campaign(name="Free latte", window=30, **fields):
    """An active campaign made through the service."""
    made = campaigns.create_campaign(design({"name": name, "unit_cost": "0.85", "attribution_window_days": window,
                                             **fields}))
    campaigns.set_status(made, "active")
    return made


def person(email=None, phone=None, name=None):
    return find_or_create(make_contact(email, phone, name, region="US"))


def voucher_for(customer, made, at=T0):
    return issue_personal(made, customer, channel="api", now=at)


def redeemed(voucher, at, location=None):
    """Redeem a voucher at a moment; return the Redemption row."""
    made = redeem(voucher.code, Attempt(location=location), now=at)
    return db.session.get(Redemption, made.id)


def sale(customer, external_id, cents, at, **fields):
    return record_purchase(external_id, cents, at, customer_id=customer.id, **fields)[0]


def story():
    """Ana: a voucher issued, redeemed at Main St, feedback, three purchases after (one refunded in part, one
    voided); one redemption undone; and Ben, who bought once without a voucher."""
    create_location("Main St")
    latte, cake = campaign(), campaign("Free cake")
    ana = person("ana@example.com", "+1 415 555 0101", "Ana Lima")
    ben = person("ben@example.com", name="Ben Stone")
    voucher = voucher_for(ana, latte, T0)
    visit = redeemed(voucher, T0 + timedelta(hours=1), "Main St")
    undone_voucher = voucher_for(ana, cake, T0 + timedelta(minutes=5))
    undone = redeemed(undone_voucher, T0 + timedelta(minutes=30))
    undone.undone_at, undone.undo_reason = T0 + timedelta(minutes=31), "scanned the wrong card"
    db.session.add(Feedback(voucher_id=voucher.id, campaign_id=latte.id, score=8, answer="Great crema",
                            created_at=T0 + timedelta(hours=2), updated_at=T0 + timedelta(hours=2)))
    first = sale(ana, "till-1", 1200, T0 + timedelta(days=1))
    refund = corrections.refund_purchase(first, 200, "refund-1", None, now=T0 + timedelta(days=50))[0]
    second = sale(ana, "till-2", 900, T0 + timedelta(days=40))  # after the 30-day window: unattributed
    mistake = sale(ana, "till-3", 7500, T0 + timedelta(days=2))
    corrections.void_purchase(mistake, "typed 75.00 instead of 7.50", None)
    sale(ben, "till-9", 500, T0 + timedelta(days=3))
    db.session.flush()
    return {"ana": ana, "ben": ben, "latte": latte, "cake": cake, "voucher": voucher, "visit": visit,
            "cake_voucher": undone_voucher,
            "undone": undone, "first": first, "refund": refund, "second": second, "mistake": mistake}


# -- search --------------------------------------------------------------------------------------------------

def _found(search):
    rows, total = people.find_customers(search)
    assert total == len(rows)
    return [row.customer.email for row in rows]


def test_search_finds_by_email_name_phone_in_any_format_and_voucher_code(ctx):
    world = story()
    code = world["voucher"].code
    assert _found("ANA@example") == ["ana@example.com"]
    assert _found("lima") == ["ana@example.com"]
    assert _found("stone") == ["ben@example.com"]
    for typed in ("(415) 555-0101", "+14155550101", "415.555.0101", "555 0101"):
        assert _found(typed) == ["ana@example.com"], typed
    assert _found(codes.format_code(code).lower()) == ["ana@example.com"]  # dashes and lower case forgiven
    assert _found(code.replace("0", "o")) == ["ana@example.com"]  # O read as 0
    assert _found(f"#{world['ben'].id}") == ["ben@example.com"]
    assert _found("nobody at all") == []
    assert _found("12") == []  # not a phone, a code or anyone's id: quietly matches nothing


def test_search_by_a_till_customer_id(ctx):
    ana = person("ana@example.com")
    db.session.add(CustomerLink(source="square", external_id="JDKYHBWT1D4F8MFH63DBMEN8Y4", customer_id=ana.id))
    assert _found("JDKYHBWT1D4F8MFH63DBMEN8Y4") == ["ana@example.com"]


def test_the_list_is_newest_first_with_counts_and_net_revenue(ctx):
    world = story()
    rows, total = people.find_customers()
    assert total == 2 and [row.customer.id for row in rows] == [world["ben"].id, world["ana"].id]
    ana = rows[1]
    # 2 vouchers, 1 live redemption (one undone), 2 live sales (one voided); 12.00 - 2.00 + 9.00 = 19.00
    assert (ana.vouchers, ana.redemptions, ana.purchases, ana.net_cents) == (2, 1, 2, 1900)
    assert (rows[0].vouchers, rows[0].purchases, rows[0].net_cents) == (0, 1, 500)


def test_the_list_pages_and_refuses_a_search_with_control_characters(ctx):
    for number in range(people.PAGE_SIZE + 3):
        person(f"p{number}@example.com")
    first, total = people.find_customers("", 1)
    second, _ = people.find_customers("", 2)
    assert total == people.PAGE_SIZE + 3 and len(first) == people.PAGE_SIZE and len(second) == 3
    assert not {row.customer.id for row in first} & {row.customer.id for row in second}
    with pytest.raises(ValidationError):
        people.find_customers("a\x00b")


# -- timeline ------------------------------------------------------------------------------------------------

def test_the_timeline_is_newest_first_with_every_kind_of_event(ctx):
    world = story()
    history = people.history(world["ana"].id)
    kinds = [(entry.kind, entry.item.id) for entry in history.entries]
    assert kinds == [("purchase", world["second"].id), ("purchase", world["mistake"].id),
                     ("purchase", world["first"].id), ("feedback", kinds[3][1]),
                     ("redemption", world["visit"].id), ("redemption", world["undone"].id),
                     ("voucher", world["cake_voucher"].id), ("voucher", world["voucher"].id)]
    moments = [entry.at for entry in history.entries]
    assert moments == sorted(moments, reverse=True)
    visit = history.entries[4]
    assert (visit.campaign, visit.location, visit.code) == ("Free latte", "Main St",
                                                           codes.format_code(world["voucher"].code))
    assert history.entries[5].item.undone_at is not None and history.entries[5].campaign == "Free cake"
    assert history.entries[3].item.answer == "Great crema" and history.entries[3].campaign == "Free latte"


def test_refunds_sit_under_their_original_and_totals_follow_attribution(ctx):
    world = story()
    history = people.history(world["ana"].id)
    by_id = {entry.item.id: entry for entry in history.entries if entry.kind == "purchase"}
    first = by_id[world["first"].id]
    assert [refund.id for refund in first.refunds] == [world["refund"].id]
    assert all(entry.item.refund_of_id is None for entry in by_id.values())  # a refund is never its own line
    assert first.attributed_to == (world["latte"].id, "Free latte")
    assert by_id[world["second"].id].attributed_to is None  # 40 days on: outside the 30-day window
    assert by_id[world["mistake"].id].attributed_to is None and by_id[world["mistake"].id].item.voided_at
    assert (history.net_cents, history.attributed_cents) == (1900, 1000)
    assert (history.vouchers, history.redemptions, history.purchases) == (2, 1, 2)


def test_an_unknown_customer_is_not_found(ctx):
    with pytest.raises(NotFound) as error:
        people.history(123456)
    assert error.value.code == "unknown_customer"


def test_the_timeline_takes_the_same_few_queries_however_long_the_history(ctx):
    def queries_for(customer_id):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            people.history(customer_id)
            people.find_customers("")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    world = story()
    short = queries_for(world["ana"].id)
    latte = world["latte"]
    latte.per_customer_limit = 30
    for number in range(12):
        moment = T0 + timedelta(days=3, hours=number)
        redeemed(voucher_for(world["ana"], latte, moment), moment + timedelta(minutes=1))
        sale(world["ana"], f"more-{number}", 100 + number, moment + timedelta(minutes=2))
    db.session.flush()
    db.session.expire_all()
    assert queries_for(world["ana"].id) <= short + 1  # + at most a reload of the expired customer


# -- pages ---------------------------------------------------------------------------------------------------

def _seeded(app):
    with app.app_context():
        world = story()
        db.session.commit()
        return {name: getattr(row, "id") for name, row in world.items()}


def test_staff_marketers_and_owners_see_customers_and_the_timeline(client, app, make_user):
    ids = _seeded(app)
    assert client.get("/customers/").status_code == 302  # signed out: to the log-in page
    log_in(client, make_user("staff"))
    page = client.get("/customers/?q=(415) 555-0101").get_data(as_text=True)
    assert "Ana Lima" in page and "Ben Stone" not in page and "1 customer found" in page
    page = client.get(f"/customers/{ids['ana']}").get_data(as_text=True)
    for shown in ("Ana Lima", "Main St", "Free latte", "Free cake", "undone", "voided", "Great crema",
                  "typed 75.00 instead of 7.50", "USD\u00a019.00", "USD\u00a010.00", "Counts towards"):
        assert shown in page, shown
    assert page.index("till id till-2") < page.index("till id till-1")  # newest first
    assert "Merge another record" not in page  # staff may not merge
    assert client.get("/customers/99999").status_code == 404


def test_an_empty_list_says_what_to_do_next(client, make_user):
    log_in(client, make_user("marketer"))
    page = client.get("/customers/").get_data(as_text=True)
    assert "No customers yet." in page and "claim a voucher" in page
    page = client.get("/customers/?q=nobody").get_data(as_text=True)
    assert "No customer matches" in page
    assert client.get("/customers/?q=%00").status_code == 422  # refused whole, as every page refuses it


def test_the_owner_sees_the_merge_link_and_the_navigation_has_customers(client, app, make_user):
    ids = _seeded(app)
    log_in(client, make_user("owner"))
    page = client.get(f"/customers/{ids['ana']}").get_data(as_text=True)
    assert "Merge another record into this one" in page
    assert 'data-nav="customers.index"' in page
    csrf_from(page)  # the page carries a CSRF token (log-out form), so forms posted from it are protected
