"""Issuing vouchers, their state, and the claim rules, at the service level."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from campaigns.accounts import business
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.giving import codes, vouchers
from campaigns.giving import designs as campaigns
from campaigns.models import Campaign, Voucher
from campaigns.reports.counts import batches
from campaigns.web.error_responses import status_of
from tests.designs import design


def _campaign(**fields) -> Campaign:
    made = campaigns.create_campaign(design({"name": "Free latte", "unit_cost": "0.85", **fields}))
    return made


def _count(campaign_id) -> int:
    return db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.campaign_id == campaign_id))


def test_batch_makes_distinct_valid_codes_with_a_label(ctx):
    campaign = _campaign()
    made = vouchers.issue_batch(campaign, 12_001, "flyer A")
    assert len(made) == len(set(made)) == 12_001 and all(codes.is_valid(code) for code in made)
    assert _count(campaign.id) == 12_001 and campaign.vouchers_issued == 12_001
    assert batches(campaign.id)[0]["label"] == "flyer A"


def test_batch_progress_is_reported_per_chunk(ctx):
    steps = list(vouchers.issue_batch_steps(_campaign(), 12_000, "x"))
    assert [(done, total) for done, total, _ in steps] == [(5000, 12000), (10000, 12000), (12000, 12000)]


@pytest.mark.parametrize("count", [0, 100_001, "10", True])
def test_batch_size_is_checked(ctx, count):
    with pytest.raises(ValidationError):
        vouchers.issue_batch(_campaign(), count)


def test_voucher_limit_holds_and_a_refused_batch_makes_nothing(ctx):
    campaign = _campaign(voucher_limit=10)
    vouchers.issue_batch(campaign, 8)
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.issue_batch(campaign, 3)
    assert error.value.code == "voucher_limit_reached" and error.value.details["left"] == 2
    vouchers.issue_batch(campaign, 2)
    assert _count(campaign.id) == 10 == campaign.vouchers_issued


def test_ended_campaign_issues_nothing(ctx):
    campaign = _campaign()
    campaigns.set_status(campaign, "ended")
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.issue_batch(campaign, 1)
    assert error.value.code == "campaign_ended"


def test_per_customer_limit_counts_every_voucher_the_customer_holds(ctx):
    campaign = _campaign(per_customer_limit=2)
    customer = find_or_create(make_contact("ana@example.com"))
    first = vouchers.issue_personal(campaign, customer)
    second = vouchers.issue_personal(campaign, customer)
    assert {first.customer_slot, second.customer_slot} == {1, 2}
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.issue_personal(campaign, customer)
    assert error.value.code == "customer_limit_reached" and status_of(error.value) == 409
    assert campaign.vouchers_issued == 2


def test_personal_vouchers_count_against_the_voucher_limit(ctx):
    campaign = _campaign(voucher_limit=1)
    vouchers.issue_personal(campaign, find_or_create(make_contact("a@example.com")))
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.issue_personal(campaign, find_or_create(make_contact("b@example.com")))
    assert error.value.code == "voucher_limit_reached"


def test_claiming_again_returns_the_voucher_already_held(ctx):
    campaign = _campaign(claim_page=True, per_customer_limit=3)
    campaigns.set_status(campaign, "active")
    first, new = vouchers.claim(campaign.claim_slug, make_contact("ana@example.com"))
    again, new_again = vouchers.claim(campaign.claim_slug, make_contact("ANA@example.com"))
    assert new and not new_again and again.id == first.id and first.channel == "claim"


def test_claims_only_while_active(ctx):
    campaign = _campaign(claim_page=True)
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.claim(campaign.claim_slug, make_contact("ana@example.com"))
    assert error.value.code == "campaign_not_active"
    with pytest.raises(Exception) as missing:
        vouchers.claim("no-such-page", make_contact("ana@example.com"))
    assert missing.value.code == "unknown_claim_page"


def test_vouchers_expire_at_the_end_of_ends_on_in_the_business_time_zone(ctx):
    settings = business.get_settings()
    settings.time_zone = "America/New_York"
    campaign = _campaign(starts_on="2026-12-01", ends_on="2026-12-31")
    campaigns.set_status(campaign, "active")
    voucher = Voucher(campaign_id=campaign.id, code=codes.generate())
    db.session.add(voucher)
    db.session.flush()
    at = lambda text: datetime.fromisoformat(text)  # noqa: E731
    assert vouchers.voucher_state(voucher, at("2026-12-01T04:59:59+00:00")) == "not_started"
    assert vouchers.voucher_state(voucher, at("2026-12-01T05:00:00+00:00")) == "valid"
    assert vouchers.voucher_state(voucher, at("2027-01-01T04:59:59+00:00")) == "valid"
    assert vouchers.voucher_state(voucher, at("2027-01-01T05:00:00+00:00")) == "expired"
    assert campaign.ends_on == date(2026, 12, 31)


@pytest.mark.parametrize("status, state", [("draft", "draft"), ("paused", "paused"), ("ended", "ended")])
def test_state_says_why_a_voucher_does_not_redeem(ctx, status, state):
    campaign = _campaign()
    if status != "draft":
        campaigns.set_status(campaign, "active")
        campaigns.set_status(campaign, status)
    voucher = Voucher(campaign_id=campaign.id, code=codes.generate())
    db.session.add(voucher)
    db.session.flush()
    assert vouchers.voucher_state(voucher, datetime(2026, 11, 23, tzinfo=UTC)) == state
    voucher.redeemed_at = datetime(2026, 11, 23, tzinfo=UTC)
    assert vouchers.voucher_state(voucher) == "redeemed"
    voucher.void_at = datetime(2026, 11, 23, tzinfo=UTC)
    assert vouchers.voucher_state(voucher) == "void"


def test_find_voucher_tells_typos_from_unknown_codes(ctx):
    campaign = _campaign()
    code = vouchers.issue_batch(campaign, 1)[0]
    assert vouchers.find_voucher(codes.format_code(code).lower()).code == code
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.find_voucher(typo)
    assert (error.value.code, status_of(error.value)) == ("invalid_code", 422)
    with pytest.raises(vouchers.VoucherError) as error:
        vouchers.find_voucher(codes.generate())
    assert (error.value.code, status_of(error.value)) == ("unknown_code", 404)
