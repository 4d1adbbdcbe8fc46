"""Holdout audiences at the service level: a random group drawn once and for good, vouchers for treatment only."""
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.giving import audiences
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import VoucherError
from campaigns.models import AudienceAssignment, Customer, Voucher
from tests.designs import design

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _campaign(**fields):
    return campaigns.create_campaign(design({"name": "Cold brew", "unit_cost": "0.70", **fields}))


def _contacts(count: int, start: int = 0):
    return [make_contact(f"member{i}@example.com", name=f"Member {i}") for i in range(start, start + count)]


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_members_split_about_the_holdout_share_and_the_rows_record_it(ctx):
    campaign = _campaign()
    members = audiences.assign(campaign, _contacts(400), 25, rng=random.Random(3), now=NOW)
    control = [m for m in members if m[1] == "control"]
    assert len(members) == 400 and 70 <= len(control) <= 130  # 100 expected; about 9 either way is one sd
    rows = audiences.members_of(campaign.id)
    assert {(r.customer_id, r.group_name) for r in rows} == {(c.id, g) for c, g, _ in members}
    assert all(r.holdout_pct == 25 and r.assigned_at == NOW for r in rows)
    treated = [(c, v) for c, g, v in members if g == "treatment"]
    assert all(v.customer_id == c.id and v.channel == "audience" and v.issued_at == NOW for c, v in treated)
    assert {r.voucher_id for r in rows if r.group_name == "treatment"} == {v.id for _, v in treated}
    assert campaign.vouchers_issued == len(treated) == _count(Voucher, Voucher.campaign_id == campaign.id)


def test_the_same_seed_draws_the_same_groups(ctx):
    first = audiences.assign(_campaign(), _contacts(50), 50, rng=random.Random(9), now=NOW)
    second = audiences.assign(_campaign(name="Again"), _contacts(50), 50, rng=random.Random(9), now=NOW)
    assert [g for _, g, _ in first] == [g for _, g, _ in second]


def test_control_members_get_no_voucher(ctx):
    campaign = _campaign()
    members = audiences.assign(campaign, _contacts(60), 90, rng=random.Random(1), now=NOW)
    control = [c.id for c, g, v in members if g == "control"]
    assert control and all(v is None for _, g, v in members if g == "control")
    assert _count(Voucher, Voucher.customer_id.in_(control)) == 0
    assert _count(AudienceAssignment, AudienceAssignment.group_name == "control",
                  AudienceAssignment.voucher_id.is_not(None)) == 0


def test_no_holdout_puts_everyone_in_treatment(ctx):
    members = audiences.assign(_campaign(), _contacts(30), 0, now=NOW)
    assert all(g == "treatment" and v is not None for _, g, v in members)


def test_a_member_assigned_again_keeps_the_group_and_gets_no_second_voucher(ctx):
    campaign = _campaign()
    first = audiences.assign(campaign, _contacts(40), 50, rng=random.Random(5), now=NOW)
    issued = campaign.vouchers_issued
    # Imported again, with a holdout that would now put everyone in one group, and named by customer this time.
    again = audiences.assign(campaign, [c for c, _, _ in first], 90, rng=random.Random(6))
    assert [(c.id, g, v and v.id) for c, g, v in again] == [(c.id, g, v and v.id) for c, g, v in first]
    assert campaign.vouchers_issued == issued == _count(Voucher, Voucher.campaign_id == campaign.id)
    assert _count(AudienceAssignment, AudienceAssignment.campaign_id == campaign.id) == 40
    assert {r.holdout_pct for r in audiences.members_of(campaign.id)} == {50}


def test_a_member_named_twice_in_one_import_is_assigned_once(ctx):
    campaign = _campaign()
    ana = make_contact("ana@example.com")
    members = audiences.assign(campaign, [ana, make_contact("ANA@example.com", "+1 202 555 0143"), ana], 0, now=NOW)
    assert len({c.id for c, _, _ in members}) == 1 and len({v.id for _, _, v in members}) == 1
    assert campaign.vouchers_issued == 1 and _count(AudienceAssignment) == 1


def test_an_assignment_made_elsewhere_first_stands(ctx):
    """The database's unique constraint decides, not a look beforehand: a row written by another import wins."""
    campaign = _campaign()
    ana = find_or_create(make_contact("ana@example.com"))
    db.session.add(AudienceAssignment(campaign_id=campaign.id, customer_id=ana.id, group_name="control",
                                      holdout_pct=10, assigned_at=NOW))
    db.session.flush()
    assert audiences.assign(campaign, [ana], 0, now=NOW) == [(ana, "control", None)]
    assert campaign.vouchers_issued == 0


@pytest.mark.parametrize("holdout", [-1, 91, 20.0, "20", True, None])
def test_a_bad_holdout_is_refused_and_changes_nothing(ctx, holdout):
    campaign = _campaign()
    with pytest.raises(ValidationError) as error:
        audiences.assign(campaign, _contacts(3), holdout, now=NOW)
    assert error.value.code == "invalid_input" and "holdout_pct" in error.value.details["fields"]
    assert _count(Customer) == 0 and _count(AudienceAssignment) == 0 and campaign.vouchers_issued == 0


def test_an_ended_campaign_takes_no_audience(ctx):
    campaign = _campaign()
    campaigns.set_status(campaign, "ended")
    with pytest.raises(VoucherError) as error:
        audiences.assign(campaign, _contacts(2), 20, now=NOW)
    assert error.value.code == "campaign_ended" and _count(AudienceAssignment) == 0


def test_too_few_vouchers_left_for_the_treatment_assigns_no_one(ctx):
    """The treatment's vouchers are counted against the limit before anyone is written: no member without a voucher,
    and no half-assigned list."""
    campaign = _campaign(voucher_limit=2)
    with pytest.raises(VoucherError) as error:
        audiences.assign(campaign, _contacts(3), 0, now=NOW)
    assert error.value.code == "voucher_limit_reached"
    assert _count(AudienceAssignment, AudienceAssignment.campaign_id == campaign.id) == 0
    assert _count(Voucher, Voucher.campaign_id == campaign.id) == 0 and campaign.vouchers_issued == 0
