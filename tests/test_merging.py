"""Merging two customer records found to be one person: everything moves, slots are renumbered, it is audited,
attribution follows at once, and a holdout test that holds both refuses it."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaigns.core.errors import NotFound, ValidationError
from campaigns.customers import merging
from campaigns.customers import records as people
from campaigns.extensions import db
from campaigns.giving import audiences
from campaigns.giving import designs as campaigns
from campaigns.models import (
    AudienceAssignment,
    AuditEntry,
    Customer,
    CustomerLink,
    Feedback,
    Purchase,
    Redemption,
    Voucher,
)
from campaigns.reports.attribution import campaign_of
from tests.conftest import csrf_from, log_in
from tests.test_people import T0, campaign, person, redeemed, sale, voucher_for


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def two_records():
    """One person twice: Ana by e-mail (a voucher redeemed, a purchase, a till link) and Ana by phone (a voucher
    of the same campaign in the same slot 1, a redemption, a purchase, feedback, an audience place)."""
    latte = campaign(per_customer_limit=3)
    other = campaign("Free scone")
    by_email = person("ana@example.com", name=None)
    by_phone = person(phone="+1 415 555 0101", name="Ana Lima")
    kept_voucher = voucher_for(by_email, latte, T0)
    moved_voucher = voucher_for(by_phone, latte, T0 + timedelta(minutes=1))
    assert kept_voucher.customer_slot == moved_voucher.customer_slot == 1
    redeemed(kept_voucher, T0 + timedelta(hours=1))
    redeemed(moved_voucher, T0 + timedelta(hours=2))
    db.session.add(Feedback(voucher_id=moved_voucher.id, campaign_id=latte.id, score=10, answer="Lovely"))
    sale(by_email, "till-a", 1000, T0 + timedelta(days=1))
    sale(by_phone, "till-b", 2500, T0 + timedelta(days=2))
    db.session.add(CustomerLink(source="square", external_id="SQ-ANA", customer_id=by_phone.id))
    audiences.assign(other, [by_phone], 0, rng=random.Random(1), now=T0)
    db.session.flush()
    return {"kept": by_email, "merged": by_phone, "latte": latte, "other": other,
            "kept_voucher": kept_voucher, "moved_voucher": moved_voucher}


def test_a_merge_moves_everything_renumbers_slots_fills_in_contact_and_deletes_the_merged_record(ctx, make_user):
    owner = make_user("owner")
    world = two_records()
    kept_id, merged_id = world["kept"].id, world["merged"].id
    kept = merging.merge_customers(kept_id, merged_id, owner.id)
    assert (kept.id, kept.email, kept.phone, kept.name) == (kept_id, "ana@example.com", "+14155550101", "Ana Lima")
    assert db.session.get(Customer, merged_id) is None
    for model in (Voucher, Redemption, Purchase, CustomerLink, AudienceAssignment):
        assert _count(model, model.customer_id == merged_id) == 0, model
    assert _count(Voucher, Voucher.customer_id == kept_id) == 3  # two of the latte, one from the scone audience
    slots = dict(db.session.execute(select(Voucher.id, Voucher.customer_slot)
                                    .where(Voucher.campaign_id == world["latte"].id)).all())
    assert slots == {world["kept_voucher"].id: 1, world["moved_voucher"].id: 2}
    assert _count(Redemption, Redemption.customer_id == kept_id) == 2
    assert _count(Purchase, Purchase.customer_id == kept_id) == 2
    history = people.history(kept_id)
    assert any(entry.kind == "feedback" and entry.item.answer == "Lovely" for entry in history.entries)
    assert history.net_cents == 3500


def test_a_merge_is_audited_with_both_records_and_what_moved(ctx, make_user):
    owner = make_user("owner")
    world = two_records()
    kept_id, merged_id = world["kept"].id, world["merged"].id
    merging.merge_customers(kept_id, merged_id, owner.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer_merge"))
    assert (entry.user_id, entry.subject_type, entry.subject_id, entry.outcome) == (owner.id, "customer",
                                                                                     str(kept_id), "merged")
    assert entry.details["kept"] == {"id": kept_id, "email": "ana@example.com", "phone": None, "name": None}
    assert entry.details["merged"] == {"id": merged_id, "email": None, "phone": "+14155550101", "name": "Ana Lima"}
    moved = entry.details["moved"]
    assert (moved["vouchers"]["count"], moved["redemptions"], moved["purchases"], moved["links"],
            moved["audiences"]) == (2, 1, 1, 1, 1)
    assert moved["vouchers"]["slots"][str(world["moved_voucher"].id)] == [1, 2]
    assert entry.details["filled_in"] == ["name", "phone"]


def test_after_a_merge_a_purchase_of_one_record_is_attributed_to_the_others_redemption(ctx, make_user):
    owner = make_user("owner")  # first: it commits on its own connection
    latte = campaign()
    by_email, by_phone = person("ana@example.com"), person(phone="+1 415 555 0101")
    redeemed(voucher_for(by_email, latte), T0 + timedelta(hours=1))
    bought = sale(by_phone, "till-b", 2500, T0 + timedelta(days=3))
    assert campaign_of([bought.id]) == {}  # record B never redeemed anything
    assert people.history(by_phone.id).attributed_cents == 0
    merging.merge_customers(by_email.id, by_phone.id, owner.id)
    assert campaign_of([bought.id]) == {bought.id: latte.id}
    history = people.history(by_email.id)
    assert (history.net_cents, history.attributed_cents) == (2500, 2500)


def test_both_in_one_campaigns_audience_is_refused_and_nothing_changes(ctx, make_user):
    owner = make_user("owner")
    world = two_records()
    audiences.assign(world["other"], [world["kept"]], 0, rng=random.Random(2), now=T0)
    db.session.flush()
    before = {model.__name__: sorted(db.session.execute(select(model.id, model.customer_id)).all())
              for model in (Voucher, Redemption, Purchase, CustomerLink, AudienceAssignment)}
    with pytest.raises(merging.MergeError) as refused:
        merging.merge_customers(world["kept"].id, world["merged"].id, owner.id)
    assert refused.value.code == "merge_conflict" and "Free scone" in refused.value.message
    assert refused.value.details["campaigns"] == [{"id": world["other"].id, "name": "Free scone"}]
    after = {model.__name__: sorted(db.session.execute(select(model.id, model.customer_id)).all())
             for model in (Voucher, Redemption, Purchase, CustomerLink, AudienceAssignment)}
    assert after == before
    assert db.session.get(Customer, world["merged"].id) is not None
    assert _count(AuditEntry, AuditEntry.action == "customer_merge") == 0
    assert merging.preview_merge(world["kept"].id, world["merged"].id).conflicts == [
        {"id": world["other"].id, "name": "Free scone"}]


def test_a_record_is_not_merged_into_itself_nor_with_someone_unknown(ctx):
    ana = person("ana@example.com")
    with pytest.raises(ValidationError) as itself:
        merging.merge_customers(ana.id, ana.id, None)
    assert "merge_id" in itself.value.details["fields"]
    for keep_id, merge_id in ((ana.id, 99999), (99999, ana.id)):
        with pytest.raises(NotFound) as unknown:
            merging.merge_customers(keep_id, merge_id, None)
        assert unknown.value.code == "unknown_customer"


# -- pages ---------------------------------------------------------------------------------------------------

def _pair(app):
    with app.app_context():
        world = two_records()
        db.session.commit()
        return world["kept"].id, world["merged"].id, world["other"].id


def test_the_owner_picks_confirms_and_merges(client, app, make_user):
    kept_id, merged_id, _ = _pair(app)
    log_in(client, make_user("owner"))
    pick = client.get(f"/customers/{kept_id}/merge?q=555-0101").get_data(as_text=True)
    assert f"/customers/{kept_id}/merge/{merged_id}" in pick
    confirm = client.get(f"/customers/{kept_id}/merge/{merged_id}").get_data(as_text=True)
    assert "ana@example.com" in confirm and "+14155550101" in confirm and "Merge these records" in confirm
    done = client.post(f"/customers/{kept_id}/merge/{merged_id}", data={"csrf_token": csrf_from(confirm)})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/customers/{kept_id}")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "merged into this one" in page and "Ana Lima" in page
    assert client.get(f"/customers/{merged_id}").status_code == 404
    with app.app_context():
        assert db.session.get(Customer, merged_id) is None


def test_merging_a_record_into_itself_on_the_page_says_so(client, app, make_user):
    kept_id, _, _ = _pair(app)
    log_in(client, make_user("owner"))
    response = client.get(f"/customers/{kept_id}/merge/{kept_id}", follow_redirects=True)
    assert "cannot be merged into itself" in response.get_data(as_text=True)


def test_a_refused_merge_shows_why_and_changes_nothing(client, app, make_user):
    kept_id, merged_id, other_id = _pair(app)
    with app.app_context():
        audiences.assign(campaigns.get_campaign(other_id), [people.get_customer(kept_id)], 0,
                         rng=random.Random(2), now=T0)
        db.session.commit()
    log_in(client, make_user("owner"))
    confirm = client.get(f"/customers/{kept_id}/merge/{merged_id}").get_data(as_text=True)
    assert "cannot be merged" in confirm and "Merge these records" not in confirm
    refused = client.post(f"/customers/{kept_id}/merge/{merged_id}", data={"csrf_token": csrf_from(confirm)},
                          follow_redirects=True)
    assert "a holdout test cannot hold one person twice" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, merged_id) is not None


@pytest.mark.parametrize("role", ["staff", "marketer"])
def test_only_an_owner_may_merge(client, app, make_user, role):
    kept_id, merged_id, _ = _pair(app)
    log_in(client, make_user(role))
    token = csrf_from(client.get("/customers/").get_data(as_text=True))
    assert client.get(f"/customers/{kept_id}/merge").status_code == 403
    assert client.get(f"/customers/{kept_id}/merge/{merged_id}").status_code == 403
    assert client.post(f"/customers/{kept_id}/merge/{merged_id}", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(Customer, merged_id) is not None


def test_the_merge_form_is_csrf_protected(client, app, make_user):
    kept_id, merged_id, _ = _pair(app)
    log_in(client, make_user("owner"))
    assert client.post(f"/customers/{kept_id}/merge/{merged_id}", data={}).status_code == 400
    assert client.post(f"/customers/{kept_id}/merge/{merged_id}", data={"csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.get(Customer, merged_id) is not None
        assert _count(AuditEntry, AuditEntry.action == "customer_merge") == 0
