"""Picking an audience among known customers, and who an audience leaves out before its draw (service level)."""
import random
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.accounts.business import create_location
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.customers import audience_filters
from campaigns.customers.audience_filters import CustomerFilter
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving import audience_runs, audiences
from campaigns.giving import designs as campaigns
from campaigns.giving.audience_exclusions import preview, preview_contacts
from campaigns.giving.vouchers import issue_batch, issue_personal
from tests.designs import design
from tests.ledger_rows import record_purchase

NOW = datetime.now(UTC)


def _campaign(name="Cold brew", **fields):
    made = campaigns.create_campaign(design({"name": name, "unit_cost": "0.70", **fields}))
    campaigns.set_status(made, "active")
    return made


def _person(email, phone=None):
    return find_or_create(make_contact(email, phone))


def _redeem(campaign, customer, days_ago):
    code = issue_batch(campaign, 1)[0]
    redemption.redeem(code, redemption.Attempt(customer=make_contact(customer.email)),
                      now=NOW - timedelta(days=days_ago))


def _picked(**conditions) -> set[str]:
    ids = set(db.session.scalars(audience_filters.matching_ids(CustomerFilter(**conditions), now=NOW)))
    return {p.email for p in audience_filters.picked_customers(CustomerFilter(**conditions), now=NOW)
            if p.id in ids}


@pytest.fixture
def shop(ctx):
    """Ana bought at Main St 10 days ago; Bo at the Harbour 200 days ago; Cy took a latte and never bought;
    Di bought after her latte; Ed is only a name on a list."""
    main, harbour = create_location("Main St"), create_location("Harbour")
    latte = _campaign("Latte")
    people = {name: _person(f"{name}@example.com") for name in ("ana", "bo", "cy", "di", "ed")}
    record_purchase("a1", 1200, NOW - timedelta(days=10), customer_id=people["ana"].id, location_id=main.id)
    record_purchase("b1", 900, NOW - timedelta(days=200), customer_id=people["bo"].id, location_id=harbour.id)
    _redeem(latte, people["cy"], 30)
    _redeem(latte, people["di"], 30)
    record_purchase("d1", 500, NOW - timedelta(days=20), customer_id=people["di"].id, location_id=main.id)
    db.session.flush()
    return {"main": main, "harbour": harbour, "latte": latte, **people}


def test_bought_at_a_location(shop):
    assert _picked(bought_at=shop["main"].id) == {"ana@example.com", "di@example.com"}
    assert _picked(bought_at=shop["harbour"].id) == {"bo@example.com"}


def test_not_bought_in_n_days_includes_those_who_never_bought(shop):
    assert _picked(not_bought_days=60) == {"bo@example.com", "cy@example.com", "ed@example.com"}
    assert _picked(not_bought_days=365) == {"cy@example.com", "ed@example.com"}


def test_freebie_only_of_a_campaign(shop):
    assert _picked(freebie_only_of=shop["latte"].id) == {"cy@example.com"}


def test_took_no_gift_yet(shop):
    assert _picked(no_gift_yet=True) == {"ana@example.com", "bo@example.com", "ed@example.com"}


def test_conditions_combine_and_no_condition_picks_everyone(shop):
    assert _picked(no_gift_yet=True, not_bought_days=60) == {"bo@example.com", "ed@example.com"}
    assert len(_picked()) == 5 and audience_filters.count(CustomerFilter(), NOW) == 5


def test_a_filter_naming_nothing_is_refused_naming_each_field(shop):
    with pytest.raises(ValidationError) as error:
        audience_filters.check_filter(bought_at=999, not_bought_days=0, freebie_only_of=999)
    assert set(error.value.details["fields"]) == {"bought_at", "not_bought_days", "freebie_only_of"}


def test_the_preview_counts_members_and_who_is_left_out_by_reason(shop):
    mailing = _campaign("Mailing", unreturned_gift_limit=1)
    shop["bo"].unsubscribed_at = NOW
    audiences.assign(mailing, [shop["ana"]], 0, now=NOW)
    phone_only = find_or_create(make_contact(phone="+12025550143"))
    issue_personal(mailing, shop["di"])  # she holds the one voucher a customer may have
    db.session.flush()
    everyone = audience_filters.matching_ids(CustomerFilter())
    size = preview(mailing, everyone)
    assert (size.matched, size.members, size.drawn) == (6, 1, 1)  # Ed is the only one left to draw
    assert size.left_out == {"unsubscribed": 1, "no_email": 1, "customer_limit": 1, "unreturned_gift_limit": 1}
    # The draw applies what the preview counted.
    sent = audiences.send(mailing, [shop[n] for n in ("ana", "bo", "cy", "di", "ed")] + [phone_only], 50,
                          require_email=True, now=NOW)
    assert sorted(sent.reasons.values()) == sorted(size.left_out)
    assert {c.email for c, _, _ in sent.members} == {"ana@example.com", "ed@example.com"} and sent.kept == {shop["ana"].id}
    # A list of people, some not customers yet, is previewed without creating anyone.
    listed = preview_contacts(mailing, [make_contact("ed@example.com"), make_contact("new@example.com"),
                                        make_contact(phone="+12025550199")])
    assert (listed.members, listed.drawn, listed.left_out) == (1, 1, {"no_email": 1})
    assert audience_filters.count(CustomerFilter(), NOW) == 6  # nobody created by the preview


def test_assigning_picked_customers_leaves_members_alone_and_writes_the_run_down(shop):
    mailing = _campaign("Mailing")
    audiences.assign(mailing, [shop["ed"]], 0, now=NOW)
    run_id = audience_filters.assign_picked(mailing, CustomerFilter(not_bought_days=60), 50, now=NOW)
    run = audience_runs.run_of(mailing.id, run_id)
    assert run.treatment + run.control == 2 and run.kept == 0 and run.source == "customers"  # Bo and Cy, not Ed again
    assert audiences.group_counts(mailing.id)["treatment"] + audiences.group_counts(mailing.id)["control"] == 3
    assert audience_runs.run_of(shop["latte"].id, run_id) is None


def test_an_unsubscribed_member_keeps_the_group_but_is_not_mailed(shop):
    mailing = _campaign("Mailing")
    members = audiences.assign(mailing, [shop["ana"], shop["bo"]], 0, rng=random.Random(1), now=NOW)
    shop["bo"].unsubscribed_at = NOW
    db.session.flush()
    assert [g for _, g, _ in audiences.assign(mailing, [shop["bo"]], 90, now=NOW)] == ["treatment"]
    to_mail = db.session.execute(audiences.treatment_to_mail(mailing.id)).all()
    assert [(row.customer_id, row.voucher_id) for row in to_mail] == [(shop["ana"].id, members[0][2].id)]
