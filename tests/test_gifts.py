"""Unreturned gifts (METRICS.md) and a campaign's limit on them: counted from live redemptions and live purchases of
positive amount, and checked wherever a voucher reaches a known customer (issued, claimed, attached at the desk,
sent to an audience), where a refusal says why and changes nothing."""
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from campaigns.accounts.users import create_user
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import DomainError
from campaigns.desk.redemption import Attempt, RedemptionError, redeem
from campaigns.desk.undo import undo
from campaigns.extensions import db
from campaigns.giving import audiences, vouchers
from campaigns.giving import designs as campaigns
from campaigns.giving.gifts import over_gift_limit, unreturned_gifts
from campaigns.models import AudienceAssignment, Campaign, Customer, Redemption, Voucher
from campaigns.sales.corrections import void_purchase
from tests.conftest import csrf_from, log_in
from tests.designs import design
from tests.ledger_rows import record_purchase

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = make_contact("ana@example.com", name="Ana")


def _campaign(name: str, **fields):
    made = campaigns.create_campaign(design({"name": name, "unit_cost": "1.00", "per_customer_limit": 20, **fields}))
    campaigns.set_status(made, "active")
    return made


def _gifts(contact, count: int, first: datetime = START) -> list[Redemption]:
    """Give `contact` `count` free offers of a fresh campaign, a day apart; return the redemptions."""
    source = _campaign(f"Tasting {random.random()}")
    made = []
    for index, code in enumerate(vouchers.issue_batch(source, count, "flyer")):
        redeemed = redeem(code, Attempt(customer=contact), now=first + timedelta(days=index))
        made.append(db.session.get(Redemption, redeemed.id))
    return made


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_gift_is_returned_only_by_a_live_purchase_of_positive_amount_after_it(ctx):
    first, second, third = _gifts(ANA, 3)  # 2 Mar, 3 Mar, 4 Mar at 09:00
    ana = first.customer_id
    assert unreturned_gifts([ana]) == {ana: 3}
    record_purchase("before", 900, START - timedelta(days=1), customer_id=ana)  # before them all: returns none
    assert unreturned_gifts([ana]) == {ana: 3}
    sale, _ = record_purchase("sale", 450, START + timedelta(days=1, hours=1), customer_id=ana)  # after 1st and 2nd
    assert unreturned_gifts([ana]) == {ana: 1}
    record_purchase("refund", -450, START + timedelta(days=3), customer_id=ana, refund_of_id=sale.id)
    assert unreturned_gifts([ana]) == {ana: 1}  # a refund is not a purchase; the sale before it still returned two
    mistake, _ = record_purchase("mistake", 300, START + timedelta(days=5), customer_id=ana)
    assert unreturned_gifts([ana]) == {}
    void_purchase(mistake, "rung up on the wrong customer", None)
    assert unreturned_gifts([ana]) == {ana: 1}  # a voided purchase returns nothing
    record_purchase("exactly", 200, third.redeemed_at, customer_id=ana)  # at the very moment: not after it
    assert unreturned_gifts([ana]) == {ana: 1}
    undo(third.id, create_user("marketer@example.com", "Mia", "marketer", "a long passphrase 42"), "scanned twice",
         now=third.redeemed_at + timedelta(minutes=5))
    assert unreturned_gifts([ana]) == {}  # an undone redemption is no gift


def test_a_purchase_attributed_to_another_campaign_or_none_returns_a_gift(ctx):
    (gift,) = _gifts(ANA, 1)
    record_purchase("elsewhere", 100, START + timedelta(days=400), customer_id=gift.customer_id)  # outside any window
    assert unreturned_gifts([gift.customer_id]) == {}


def test_issuing_to_a_customer_at_the_limit_is_refused_and_changes_nothing(ctx):
    _gifts(ANA, 2)
    ana = find_or_create(ANA)
    strict = _campaign("Strict", unreturned_gift_limit=2)
    lenient, open_handed = _campaign("Lenient", unreturned_gift_limit=3), _campaign("Open")
    with pytest.raises(DomainError) as refused:
        vouchers.issue_personal(strict, ana)
    assert refused.value.code == "unreturned_gift_limit_reached"
    assert "2 free offers" in refused.value.message and refused.value.details == {
        "unreturned_gifts": 2, "unreturned_gift_limit": 2}
    assert _count(Voucher, Voucher.campaign_id == strict.id) == 0 and strict.vouchers_issued == 0
    assert vouchers.issue_personal(lenient, ana).customer_id == ana.id
    assert vouchers.issue_personal(open_handed, ana).customer_id == ana.id


def test_the_claim_page_refuses_a_customer_at_the_limit(ctx):
    _gifts(ANA, 1)
    campaign = _campaign("Claim me", unreturned_gift_limit=1, claim_page=True)
    with pytest.raises(DomainError) as refused:
        vouchers.claim(campaign.claim_slug, ANA)
    assert refused.value.code == "unreturned_gift_limit_reached"
    assert _count(Voucher, Voucher.campaign_id == campaign.id) == 0
    voucher, new = vouchers.claim(campaign.claim_slug, make_contact("ben@example.com"))
    assert new and voucher.customer_id is not None


def test_the_desk_refuses_to_redeem_for_a_customer_at_the_limit_and_nothing_is_redeemed(ctx):
    _gifts(ANA, 2)
    campaign = _campaign("Desk", unreturned_gift_limit=2)
    (code,) = vouchers.issue_batch(campaign, 1, "flyer")
    with pytest.raises(RedemptionError) as refused:
        redeem(code, Attempt(customer=ANA), now=START + timedelta(days=10))
    assert refused.value.code == "unreturned_gift_limit_reached" and "Nothing was redeemed" in refused.value.message
    assert _count(Redemption, Redemption.campaign_id == campaign.id) == 0
    assert db.session.scalar(select(Voucher.redeemed_at).where(Voucher.campaign_id == campaign.id)) is None
    made = redeem(code, Attempt(customer=make_contact("ben@example.com")), now=START + timedelta(days=10))
    assert made.customer_id is not None  # someone with no unreturned gifts is served


def test_attaching_a_customer_at_the_limit_to_a_redeemed_voucher_is_refused(ctx):
    _gifts(ANA, 1)
    campaign = _campaign("Attach", unreturned_gift_limit=1)
    (code,) = vouchers.issue_batch(campaign, 1, "flyer")
    made = redeem(code, Attempt(), now=START + timedelta(days=10))  # anonymous: its redemption is nobody's yet
    voucher = db.session.get(Voucher, made.voucher_id)
    with pytest.raises(DomainError) as refused:
        vouchers.attach_customer(voucher, find_or_create(ANA))
    assert refused.value.code == "unreturned_gift_limit_reached"
    assert voucher.customer_id is None and db.session.get(Redemption, made.id).customer_id is None


def test_an_audience_leaves_out_members_at_the_limit_before_the_draw(ctx):
    members = [make_contact(f"member{i}@example.com") for i in range(40)]
    for member in members[:10]:
        _gifts(member, 1)
    campaign = _campaign("Mailing", unreturned_gift_limit=1)
    assigned = audiences.assign(campaign, members, 50, rng=random.Random(5), now=START + timedelta(days=30))
    left_out = {find_or_create(member).id for member in members[:10]}
    assert len(assigned) == 30 and not left_out & {customer.id for customer, _, _ in assigned}
    assert {group for _, group, _ in assigned} == {"treatment", "control"}  # the draw ran over the 30 only
    assert _count(AudienceAssignment, AudienceAssignment.campaign_id == campaign.id) == 30
    # A member assigned before keeps their draw, even once they reach the limit.
    first = assigned[0][0]
    _gifts(make_contact(first.email), 1, first=START + timedelta(days=40))
    again = audiences.assign(campaign, [first], 50, rng=random.Random(5), now=START + timedelta(days=50))
    assert [(customer.id, group) for customer, group, _ in again] == [(first.id, assigned[0][1])]


def test_the_limit_is_a_campaign_field_of_the_api(client, make_token):
    headers = {"Authorization": f"Bearer {make_token('marketer')}"}
    body = {"name": "Picky", "unit_cost": "1.00", "unreturned_gift_limit": 3}
    made = client.post("/api/v1/campaigns", json=body, headers=headers)
    assert made.status_code == 201 and made.get_json()["unreturned_gift_limit"] == 3
    campaign_id = made.get_json()["id"]
    for wrong in (0, -1, 1001, "3", 2.5, True):
        response = client.patch(f"/api/v1/campaigns/{campaign_id}", json={"unreturned_gift_limit": wrong},
                                headers=headers)
        assert response.status_code == 422, wrong
        assert "unreturned_gift_limit" in response.get_json()["error"]["details"]["fields"]
    cleared = client.patch(f"/api/v1/campaigns/{campaign_id}", json={"unreturned_gift_limit": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.get_json()["unreturned_gift_limit"] is None


def test_the_api_refuses_a_personal_voucher_with_409(client, make_token, app):
    headers = {"Authorization": f"Bearer {make_token('marketer')}"}
    with app.app_context():
        _gifts(ANA, 1)
        db.session.commit()
    made = client.post("/api/v1/campaigns", json={"name": "Picky", "unit_cost": "1.00", "unreturned_gift_limit": 1,
                                                  "status": "draft"}, headers=headers).get_json()
    client.patch(f"/api/v1/campaigns/{made['id']}", json={"status": "active"}, headers=headers)
    response = client.post(f"/api/v1/campaigns/{made['id']}/vouchers", json={"customer": {"email": "ana@example.com"}},
                           headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "unreturned_gift_limit_reached"
    with app.app_context():
        assert _count(Voucher, Voucher.campaign_id == made["id"]) == 0


def test_one_voucher_s_redemption_can_be_left_out_of_the_count(ctx):
    first, second = _gifts(ANA, 2)
    ana = first.customer_id
    assert unreturned_gifts([ana], except_voucher_id=first.voucher_id) == {ana: 1}
    assert unreturned_gifts([ana], except_voucher_id=second.voucher_id) == {ana: 1}
    assert unreturned_gifts([]) == {}


def test_the_redemption_being_attached_does_not_count_against_its_customer(ctx):
    _gifts(ANA, 1)
    campaign = _campaign("Second helping", unreturned_gift_limit=2)
    first, second = vouchers.issue_batch(campaign, 2, "flyer")
    made = redeem(first, Attempt(customer=ANA), now=START + timedelta(days=10))  # one held + this one: allowed
    assert made.customer_id is not None and unreturned_gifts([made.customer_id]) == {made.customer_id: 2}
    with pytest.raises(RedemptionError) as refused:  # now two held: the next one is refused
        redeem(second, Attempt(customer=ANA), now=START + timedelta(days=11))
    assert refused.value.code == "unreturned_gift_limit_reached"
    assert refused.value.details == {"unreturned_gifts": 2, "unreturned_gift_limit": 2}


def test_over_gift_limit_takes_ids_or_a_select_and_asks_the_campaign_s_limit(ctx):
    _gifts(ANA, 2)
    _gifts(make_contact("ben@example.com"), 1)
    cara = find_or_create(make_contact("cara@example.com"))
    ana, ben = find_or_create(ANA), find_or_create(make_contact("ben@example.com"))
    strict, lenient = _campaign("Strict", unreturned_gift_limit=1), _campaign("Lenient", unreturned_gift_limit=2)
    assert over_gift_limit(strict, [ana.id, ben.id, cara.id]) == {ana.id, ben.id}
    assert over_gift_limit(lenient, [ana.id, ben.id, cara.id]) == {ana.id}
    everyone = select(Customer.id)
    assert over_gift_limit(strict, everyone) == {ana.id, ben.id}
    assert over_gift_limit(lenient, everyone.subquery()) == {ana.id}
    assert over_gift_limit(_campaign("Open"), everyone) == set() and over_gift_limit(strict, []) == set()


def test_an_audience_send_reports_who_was_left_out_and_draws_as_if_they_were_never_there(ctx):
    members = [make_contact(f"member{i}@example.com") for i in range(40)]
    over = members[::4]  # 10 members spread through the list, each holding one unreturned gift
    for member in over:
        _gifts(member, 1)
    mailing = _campaign("Mailing", unreturned_gift_limit=1)
    sent = audiences.send(mailing, members, 50, rng=random.Random(7), now=START + timedelta(days=30))
    assert sorted(c.email for c in sent.excluded) == sorted(m.email for m in over)
    assert len(sent.members) == 30 and sent.treatment + sent.control == 30 and sent.treatment and sent.control
    eligible = [m for m in members if m not in over]
    alone = audiences.send(_campaign("Same draw"), eligible, 50, rng=random.Random(7), now=START + timedelta(days=30))
    assert alone.excluded == []
    assert [(c.id, g) for c, g, _ in sent.members] == [(c.id, g) for c, g, _ in alone.members]
    assert _count(Voucher, Voucher.campaign_id == mailing.id) == sent.treatment
    assert _count(AudienceAssignment, AudienceAssignment.campaign_id == mailing.id) == 30


def _given_ana_one_gift(app):
    with app.app_context():
        _gifts(ANA, 1)
        db.session.commit()


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return _count(Customer), _count(Voucher), _count(Redemption)


def test_the_claim_page_refuses_without_telling_the_stranger_any_count(app, client, make_campaign):
    _given_ana_one_gift(app)
    campaign_id = make_campaign(status="active", claim_page=True, unreturned_gift_limit=1)
    with app.app_context():
        url = f"/claim/{db.session.get(Campaign, campaign_id).claim_slug}"
    before = _counts(app)
    form = {"email": "ana@example.com", "phone": "", "name": "", "csrf_token": csrf_from(client.get(url).get_data(
        as_text=True))}
    page = client.post(url, data=form).get_data(as_text=True)
    assert "have not already had several free offers" in page and "1 free offer" not in page
    assert _counts(app) == before


def test_the_desk_refuses_to_attach_with_409_and_changes_nothing(app, make_campaign, make_user):
    _given_ana_one_gift(app)
    campaign_id = make_campaign(status="active", unreturned_gift_limit=1)
    with app.app_context():
        (code,) = vouchers.issue_batch(db.session.get(Campaign, campaign_id), 1, "flyer")
        db.session.commit()
    client = app.test_client()
    log_in(client, make_user("staff"))
    post = lambda url, body: client.post(url, json=body, headers={"X-CSRFToken": token})  # noqa: E731
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    assert post("/api/v1/redemptions", {"code": code}).status_code == 201
    before = _counts(app)
    refused = post("/desk/attach", {"code": code, "email": "ana@example.com"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "unreturned_gift_limit_reached"
    assert _counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Voucher.customer_id).where(Voucher.code == code)) is None
        assert db.session.scalar(select(func.count()).select_from(Redemption).where(
            Redemption.campaign_id == campaign_id, Redemption.customer_id.is_not(None))) == 0
    assert post("/desk/attach", {"code": code, "email": "newcomer@example.com"}).status_code == 200
