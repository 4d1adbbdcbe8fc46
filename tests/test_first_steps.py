"""A new business's first steps tick themselves as each is done (campaigns/accounts/first_steps.py), and the
dashboard shows the list to owners until every step is done or an owner hides it."""
from datetime import UTC, datetime

import pytest

from campaigns.accounts import business, first_steps
from campaigns.desk.redemption import Attempt, RedemptionError, redeem
from campaigns.extensions import db
from campaigns.giving import designs, vouchers
from campaigns.sales.ledger import record_sale
from campaigns.sales.rows import PurchaseRow
from tests.conftest import csrf_from, log_in
from tests.designs import design


def _done() -> set[str]:
    return {step for step, done in first_steps.progress().done.items() if done}


def test_a_fresh_business_has_done_nothing_and_each_step_ticks_when_done(ctx, make_user):
    owner = make_user("owner")
    business.get_settings().business_name = "Tooth Fairy Dental"  # as the set-up page names it: not yet a step
    steps = first_steps.progress()
    assert steps.count == 0 and steps.showing and steps.campaign_id is None
    business.update_settings(business_name="Tooth Fairy Dental", currency="EUR", time_zone="Europe/Lisbon",
                             default_gross_margin_bp=7000, default_phone_region="PT", by_user_id=owner.id)
    assert _done() == {"details"}
    business.create_location("Main St")
    assert _done() == {"details", "location"}
    campaign = designs.create_campaign(design({"name": "Free cleaning", "offer": "A free first cleaning",
                                               "unit_cost": "20.00"}), owner.id)
    assert _done() == {"details", "location", "campaign"}
    designs.set_status(campaign, "active")
    code = vouchers.issue_batch(campaign, 3, "flyers")[0]
    assert _done() == {"details", "location", "campaign", "shared"}
    redeem(code, Attempt(user_id=owner.id, location="Main St"))
    assert "scanned" in _done() and "sales" not in _done()
    record_sale(PurchaseRow(external_id="desk-1", amount_cents=900, occurred_at=datetime.now(UTC)), source="desk")
    assert "sales" not in _done()  # typed at the desk: the till is not connected yet
    record_sale(PurchaseRow(external_id="till-1", amount_cents=900, occurred_at=datetime.now(UTC)), source="api")
    assert "sales" in _done() and "report" not in _done()
    assert first_steps.note_report_read(owner.id) and not first_steps.note_report_read(owner.id)  # noted once
    steps = first_steps.progress()
    assert steps.all_done and steps.count == steps.total == 7 and not steps.showing
    assert steps.campaign_id == campaign.id


def test_a_refused_scan_is_a_first_scan_too(ctx, make_user):
    with pytest.raises(RedemptionError):
        redeem("K7QM-3XTD-9PRA-W", Attempt(user_id=make_user("staff").id))
    assert _done() == {"scanned"}


def test_an_owner_hides_the_list_and_shows_it_again_the_latest_choice_holds(ctx, make_user):
    owner = make_user("owner")
    first_steps.hide(owner.id)
    assert not first_steps.progress().showing
    first_steps.show(owner.id)
    assert first_steps.progress().showing
    business.create_location("Main St")
    first_steps.hide(owner.id)
    steps = first_steps.progress()
    assert not steps.showing and steps.count == 1  # hidden, and still counting


def test_the_dashboard_shows_owners_the_list_a_report_ticks_its_step_and_hide_is_kept(client, app, make_user):
    log_in(client, make_user("marketer"))
    with client.get("/dashboard/") as page:
        assert "Your first steps" not in page.get_data(as_text=True)  # the list is the owner's
    log_in(client, make_user("owner"))
    with client.get("/dashboard/") as page:
        html = page.get_data(as_text=True)
    assert "Your first steps" in html and "0 of 7 done" in html and "Hide this list" in html
    with app.app_context():
        campaign_id = designs.create_campaign(design({"name": "Free latte", "unit_cost": "0.90"}), None).id
        db.session.commit()
    with client.get(f"/dashboard/campaigns/{campaign_id}") as report:
        assert report.status_code == 200
    with client.post("/dashboard/first-steps", data={"list": "hidden", "csrf_token": csrf_from(html)}) as hidden:
        assert hidden.status_code == 302
    with client.get("/dashboard/") as page:
        html = page.get_data(as_text=True)
    assert "Your first steps" not in html and "First steps: 2 of 7 done" in html and "Show the list" in html
    with app.app_context():
        assert _done() == {"campaign", "report"}  # the report's read, written although it was a GET
