"""Campaign design rules at the service level (API.md, "Campaign fields")."""
from datetime import date

import pytest

from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch
from campaigns.reports.spend import budget
from campaigns.web.payloads import campaign_changes
from tests.designs import change, design

BASE = {"name": "Free latte", "unit_cost": "0.85"}


def _fields_wrong(payload) -> set:
    """Create a campaign from API fields the way the API does; return the fields it names as wrong."""
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(design(payload))
    assert error.value.code == "invalid_input"
    return set(error.value.details["fields"])


def test_defaults_follow_api_md(ctx):
    made = campaigns.create_campaign(design(dict(BASE)))
    assert (made.status, made.kind, made.fixed_cost_cents, made.gross_margin_bp) == ("draft", "sample", 0, 10000)
    assert (made.per_customer_limit, made.attribution_window_days, made.voucher_limit) == (1, 90, None)
    assert made.unit_cost_cents == 85


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 121), ("kind", "gift"), ("unit_cost", "-1"), ("unit_cost", "1.234"),
    ("retail_value", "abc"), ("fixed_cost", -3), ("gross_margin_pct", 101), ("gross_margin_pct", "12.345"),
    ("starts_on", "31/12/2026"), ("voucher_limit", 0), ("voucher_limit", 2.5), ("per_customer_limit", 0),
    ("attribution_window_days", 731), ("attribution_window_days", True), ("status", "live"), ("colour", "red"),
])
def test_each_bad_field_is_named(ctx, field, value):
    assert field in _fields_wrong(dict(BASE, **{field: value}))


def test_unit_cost_is_required_and_all_errors_come_together(ctx):
    assert _fields_wrong({"name": "", "kind": "x"}) == {"name", "kind", "unit_cost"}


def test_end_before_start_is_refused(ctx):
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(design(dict(BASE, starts_on="2026-12-10", ends_on="2026-12-01")))
    assert "ends_on" in error.value.details["fields"]


def test_new_campaigns_are_drafts(ctx):
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(design(dict(BASE, status="active")))
    assert "status" in error.value.details["fields"]


def test_money_and_margin_are_exact(ctx):
    made = campaigns.create_campaign(design(dict(BASE, unit_cost="0.1", fixed_cost="1200.50", retail_value="4.5",
                                          gross_margin_pct="62.5")))
    assert (made.unit_cost_cents, made.fixed_cost_cents, made.retail_value_cents, made.gross_margin_bp) == \
        (10, 120050, 450, 6250)


@pytest.mark.parametrize("path, allowed", [
    (["active"], True), (["paused"], False), (["active", "paused", "active"], True), (["ended"], True),
    (["active", "ended", "active"], False), (["active", "paused", "ended"], True),
])
def test_status_transitions(ctx, path, allowed):
    made = campaigns.create_campaign(design(dict(BASE)))
    try:
        for status in path:
            campaigns.set_status(made, status)
    except campaigns.CampaignError as error:
        assert not allowed and error.code == "invalid_status_change"
    else:
        assert allowed and made.status == path[-1]


def test_a_service_design_is_typed_and_checked_against_the_currency(ctx):
    from decimal import Decimal

    made = campaigns.create_campaign(campaigns.CampaignDesign(name="Typed", unit_cost=Decimal("0.85")))
    assert (made.unit_cost_cents, made.gross_margin_bp, made.feedback_question) == (85, 10000,
                                                                                     campaigns.DEFAULT_QUESTION)
    with pytest.raises(ValidationError) as error:
        campaigns.create_campaign(campaigns.CampaignDesign(name="Typed", unit_cost=Decimal("0.855"),
                                                           fixed_cost=Decimal("-1")))
    assert set(error.value.details["fields"]) == {"unit_cost", "fixed_cost"}


def test_a_patch_reads_only_the_fields_it_sends(ctx):
    changes, status = campaign_changes({"ends_on": "2026-12-31", "status": "paused", "voucher_limit": None})
    assert (changes, status) == ({"ends_on": date(2026, 12, 31), "voucher_limit": None}, "paused")
    with pytest.raises(ValidationError) as error:
        campaign_changes({"name": "", "per_customer_limit": "²", "colour": "red"})
    assert set(error.value.details["fields"]) == {"name", "per_customer_limit", "colour"}


def test_partial_update_checks_the_whole(ctx):
    made = campaigns.create_campaign(design(dict(BASE, starts_on="2026-12-01")))
    db.session.commit()
    with pytest.raises(ValidationError):
        change(made, {"ends_on": "2026-11-30"})
    db.session.rollback()
    updated = change(db.session.get(type(made), made.id), {"ends_on": "2026-12-31", "status": "active"})
    assert (updated.ends_on, updated.status) == (date(2026, 12, 31), "active")


def test_voucher_limit_cannot_drop_below_vouchers_made(ctx):
    made = campaigns.create_campaign(design(dict(BASE)))
    issue_batch(made, 5)
    with pytest.raises(ValidationError) as error:
        change(made, {"voucher_limit": 4})
    assert "voucher_limit" in error.value.details["fields"]


def test_duplicate_copies_the_design_into_a_draft(ctx):
    made = campaigns.create_campaign(design(dict(BASE, fixed_cost="50", voucher_limit=10, claim_page=True)))
    campaigns.set_status(made, "active")
    issue_batch(made, 3)
    copy = campaigns.duplicate_campaign(made)
    assert (copy.status, copy.vouchers_issued, copy.fixed_cost_cents, copy.voucher_limit) == ("draft", 0, 5000, 10)
    assert copy.name == "Copy of Free latte" and copy.claim_slug not in (None, made.claim_slug)


def test_budget_commits_fixed_plus_unit_times_limit(ctx):
    made = campaigns.create_campaign(design(dict(BASE, fixed_cost="120", voucher_limit=1000)))
    # A draft has spent nothing: the fixed cost is spent when it goes live (METRICS.md, date ranges).
    assert budget(made) == {"committed_cents": 12000 + 85 * 1000, "spent_cents": 0, "redeemed": 0}
    campaigns.set_status(made, "active")
    assert budget(made)["spent_cents"] == 12000
    open_ended = campaigns.create_campaign(design(dict(BASE)))
    assert budget(open_ended)["committed_cents"] is None
