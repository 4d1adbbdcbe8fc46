"""A campaign's end of life (issue 28): a draft that came to nothing is deleted with its vouchers; an ended one is
archived out of the default lists and is still under "All". Services first, then the pages."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.giving import audiences, designs, retiring
from campaigns.giving.vouchers import issue_batch, issue_personal
from campaigns.models import AudienceAssignment, AuditEntry, Campaign, Voucher
from tests.conftest import csrf_from, log_in
from tests.designs import design
from tests.ledger_rows import record_purchase

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def _campaign(status: str = "draft", name: str = "Free latte") -> Campaign:
    campaign = designs.create_campaign(design({"name": name, "unit_cost": "0.85", "fixed_cost": "25.00"}))
    path = {"draft": [], "active": ["active"], "paused": ["active", "paused"], "ended": ["ended"]}[status]
    for step in path:
        designs.set_status(campaign, step)
    return campaign


def _vouchers_of(campaign_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.campaign_id == campaign_id))


def _refused(action, code: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code
    return caught.value


# Deleting a draft

def test_deleting_a_draft_removes_it_with_its_vouchers_and_audits_it(ctx):
    draft, kept = _campaign(), _campaign(name="Free croissant")
    issue_batch(draft, 3, "flyer A")
    issue_batch(draft, 2)
    issue_batch(kept, 4, "flyer A")
    draft_id = draft.id
    removed = retiring.delete_draft(draft, user_id=None, now=NOW)
    assert (removed.vouchers, removed.batches, removed.holds) == (5, [("flyer A", 3), (None, 2)], {})
    assert db.session.get(Campaign, draft_id) is None and _vouchers_of(draft_id) == 0
    assert _vouchers_of(kept.id) == 4 and db.session.get(Campaign, kept.id).vouchers_issued == 4
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "campaign_delete")).one()
    assert (entry.outcome, entry.subject_type, entry.subject_id) == ("deleted", "campaign", str(draft_id))
    assert entry.details == {"name": "Free latte", "vouchers": 5, "batches": [["flyer A", 3], [None, 2]],
                             "claim_page": False}
    db.session.flush()  # nothing of the deleted draft is left for the session to write


@pytest.mark.parametrize("status", ["active", "paused", "ended"])
def test_only_a_draft_can_be_deleted(ctx, status):
    campaign = _campaign(status)
    if status != "ended":  # an ended campaign issues no more vouchers
        issue_batch(campaign, 2)
    error = _refused(lambda: retiring.delete_draft(campaign), "campaign_not_draft")
    assert error.details == {"status": status} and "archive" in error.message
    _refused(lambda: retiring.deletion_preview(campaign), "campaign_not_draft")
    assert db.session.get(Campaign, campaign.id) is not None
    assert _vouchers_of(campaign.id) == (0 if status == "ended" else 2)


def test_a_draft_that_went_live_meanwhile_is_not_deleted(ctx):
    campaign = _campaign()
    issue_batch(campaign, 2)
    # Another request activated it after this one loaded it: the row says active, the object still draft.
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status="active")
                       .execution_options(synchronize_session=False))
    assert campaign.status == "draft"
    _refused(lambda: retiring.delete_draft(campaign), "campaign_not_draft")
    assert _vouchers_of(campaign.id) == 2


def test_a_draft_whose_voucher_a_customer_holds_is_kept(ctx):
    campaign = _campaign()
    issue_batch(campaign, 3)
    issue_personal(campaign, find_or_create(make_contact("ana@example.com")))
    error = _refused(lambda: retiring.delete_draft(campaign), "campaign_in_use")
    assert error.details == {"holds": {"personal_vouchers": 1}}
    assert "1 voucher is held by a customer" in error.message and "End it instead" in error.message
    assert retiring.deletion_preview(campaign).holds == {"personal_vouchers": 1}
    assert _vouchers_of(campaign.id) == 4


def test_a_draft_with_an_audience_is_kept(ctx):
    campaign = _campaign()
    audiences.assign(campaign, [make_contact("ana@example.com"), make_contact("bo@example.com")], holdout_pct=90)
    holds = _refused(lambda: retiring.delete_draft(campaign), "campaign_in_use").details["holds"]
    assert holds["audience_members"] == 2
    assert db.session.scalar(select(func.count()).select_from(AudienceAssignment)) == 2


def test_a_draft_whose_printed_code_a_purchase_names_is_kept(ctx):
    campaign = _campaign()
    code = issue_batch(campaign, 1)[0]
    voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.code == code))
    record_purchase("till-7", 450, NOW - timedelta(hours=1), voucher_id=voucher_id)
    error = _refused(lambda: retiring.delete_draft(campaign), "campaign_in_use")
    assert error.details == {"holds": {"purchases": 1}} and "1 purchase names one of its vouchers" in error.message
    assert _vouchers_of(campaign.id) == 1


# Archiving

@pytest.mark.parametrize("status", ["draft", "active", "paused"])
def test_only_an_ended_campaign_is_archived(ctx, status):
    campaign = _campaign(status)
    assert _refused(lambda: retiring.archive(campaign), "campaign_not_ended").details == {"status": status}
    assert campaign.archived_at is None


def test_archiving_keeps_the_first_moment_and_unarchiving_clears_it(ctx):
    campaign = _campaign("ended")
    retiring.archive(campaign, now=NOW)
    retiring.archive(campaign, now=NOW + timedelta(days=1))
    db.session.expire(campaign)
    assert campaign.archived_at == NOW
    retiring.unarchive(campaign, now=NOW + timedelta(days=2))
    retiring.unarchive(campaign)
    db.session.expire(campaign)
    assert campaign.archived_at is None and campaign.status == "ended"
    outcomes = db.session.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "campaign_archive")
                                  .order_by(AuditEntry.id)).all()
    assert outcomes == ["archived", "unarchived"]


def test_lists_leave_archived_campaigns_out_unless_asked(ctx):
    draft, live = _campaign(name="Draft"), _campaign("active", name="Live")
    ended, archived = _campaign("ended", name="Ended"), _campaign("ended", name="Archived")
    retiring.archive(archived)

    def names(**filters):
        rows, total = designs.list_campaigns(per_page=None, **filters)
        assert total == len(rows)
        return sorted(campaign.name for campaign in rows)

    assert names() == ["Draft", "Ended", "Live"]
    assert names(archived="include") == ["Archived", "Draft", "Ended", "Live"]
    assert names(archived="only") == ["Archived"]
    assert names(status="ended") == ["Ended"]
    assert names(status="ended", archived="include") == ["Archived", "Ended"]
    rows, total = designs.list_campaigns(page=2, per_page=2, archived="include")
    assert total == 4 and len(rows) == 2
    assert designs.campaign_tally() == {"draft": 1, "active": 1, "paused": 0, "ended": 1, "current": 3,
                                        "archived": 1, "all": 4}
    with pytest.raises(ValueError):
        designs.list_campaigns(archived="sometimes")
    assert {draft.id, live.id, ended.id} <= {c.id for c in designs.list_campaigns()[0]}


# The pages

def _post(client, page_url, post_url, data=None):
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(post_url, data=dict(data or {}, csrf_token=token))


def test_a_marketer_deletes_a_draft_after_a_confirmation_that_counts_its_vouchers(client, app, make_user,
                                                                                   make_campaign):
    campaign_id = make_campaign(name="Copy of Free latte", claim_page=True)
    with app.app_context():
        issue_batch(db.session.get(Campaign, campaign_id), 1200, "flyer A")
        db.session.commit()
    log_in(client, make_user("marketer"))
    detail = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert f'href="/campaigns/{campaign_id}/delete"' in detail and "Delete draft" in detail
    confirm = client.get(f"/campaigns/{campaign_id}/delete")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete the draft “Copy of Free latte”?" in page
    assert "Its 1,200 vouchers are deleted with it and stop working" in page and "flyer A" in page
    assert "claim page closes for good" in page and "Delete the draft and its 1,200 vouchers" in page
    deleted = _post(client, f"/campaigns/{campaign_id}/delete", f"/campaigns/{campaign_id}/delete")
    assert deleted.status_code == 302 and deleted.location.endswith("/campaigns/")
    listing = client.get(deleted.location).get_data(as_text=True)
    assert "Deleted the draft Copy of Free latte and its 1,200 vouchers." in listing
    with app.app_context():
        assert db.session.get(Campaign, campaign_id) is None and _vouchers_of(campaign_id) == 0
    assert client.get(f"/campaigns/{campaign_id}").status_code == 404


def test_the_delete_page_says_why_a_draft_a_customer_holds_is_kept(client, app, make_user, make_campaign):
    campaign_id = make_campaign()
    with app.app_context():
        issue_personal(db.session.get(Campaign, campaign_id), find_or_create(make_contact("ana@example.com")))
        db.session.commit()
    log_in(client, make_user("marketer"))
    page = client.get(f"/campaigns/{campaign_id}/delete").get_data(as_text=True)
    assert "1 voucher is held by a customer" in page and f'action="/campaigns/{campaign_id}/delete"' not in page
    refused = _post(client, f"/campaigns/{campaign_id}", f"/campaigns/{campaign_id}/delete")
    assert refused.status_code == 302 and refused.location.endswith(f"/campaigns/{campaign_id}")
    assert "cannot be deleted" in client.get(refused.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, campaign_id) is not None and _vouchers_of(campaign_id) == 1


def test_a_live_campaign_offers_no_delete_and_its_address_refuses(client, app, make_user, make_campaign):
    campaign_id = make_campaign(status="active")
    log_in(client, make_user("marketer"))
    assert "Delete draft" not in client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    confirm = client.get(f"/campaigns/{campaign_id}/delete")
    assert confirm.status_code == 302 and confirm.location.endswith(f"/campaigns/{campaign_id}")
    assert "Only a draft can be deleted" in client.get(confirm.location).get_data(as_text=True)
    assert _post(client, f"/campaigns/{campaign_id}", f"/campaigns/{campaign_id}/delete").status_code == 302
    assert client.post(f"/campaigns/{campaign_id}/delete").status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "active"


def test_a_draft_without_a_csrf_token_or_by_staff_is_not_deleted(client, app, make_user, make_campaign):
    campaign_id = make_campaign()
    log_in(client, make_user("marketer"))
    assert client.post(f"/campaigns/{campaign_id}/delete").status_code == 400
    staff = app.test_client()
    log_in(staff, make_user("staff"))
    assert staff.get(f"/campaigns/{campaign_id}/delete").status_code == 403
    with app.app_context():
        assert db.session.get(Campaign, campaign_id) is not None


def test_an_ended_campaign_is_archived_out_of_the_list_and_back(client, app, make_user, make_campaign):
    ended = make_campaign(name="Summer latte", status="ended")
    make_campaign(name="Autumn latte", status="active")
    log_in(client, make_user("marketer"))
    detail = f"/campaigns/{ended}"
    assert "Archive</button>" in client.get(detail).get_data(as_text=True)
    archived = _post(client, detail, f"{detail}/archive", {"action": "archive"})
    assert archived.status_code == 302 and archived.location.endswith(detail)
    page = client.get(detail).get_data(as_text=True)
    assert "Summer latte is archived" in page and 'id="archived-note"' in page and "Unarchive</button>" in page
    default = client.get("/campaigns/").get_data(as_text=True)
    assert "Autumn latte" in default and "Summer latte" not in default
    assert "Summer latte" in client.get("/campaigns/?archived=include").get_data(as_text=True)
    only = client.get("/campaigns/?archived=only").get_data(as_text=True)
    assert "Summer latte" in only and "Autumn latte" not in only
    assert "Summer latte" not in client.get("/campaigns/?status=ended").get_data(as_text=True)
    _post(client, detail, f"{detail}/archive", {"action": "unarchive"})
    assert "Summer latte" in client.get("/campaigns/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, ended).archived_at is None


def test_a_live_campaign_is_not_archived_from_its_page(client, app, make_user, make_campaign):
    campaign_id = make_campaign(status="active")
    log_in(client, make_user("marketer"))
    detail = f"/campaigns/{campaign_id}"
    assert "Archive</button>" not in client.get(detail).get_data(as_text=True)
    refused = _post(client, detail, f"{detail}/archive", {"action": "archive"})
    assert "Only an ended campaign can be archived" in client.get(refused.location).get_data(as_text=True)
    assert _post(client, detail, f"{detail}/archive", {"action": "shred"}).status_code == 400
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).archived_at is None


def test_the_list_tabs_count_each_list_and_mark_the_one_shown(client, app, make_user, make_campaign):
    make_campaign(name="Draft one")
    make_campaign(name="Live one", status="active")
    archived = make_campaign(name="Old one", status="ended")
    with app.app_context():
        retiring.archive(db.session.get(Campaign, archived))
        db.session.commit()
    log_in(client, make_user("marketer"))
    page = client.get("/campaigns/").get_data(as_text=True)
    assert 'aria-current="page">Current <span class="tab-count">2</span>' in page
    assert 'Archived <span class="tab-count">1</span>' in page and 'All <span class="tab-count">3</span>' in page
    assert "Paused" not in page  # a status no campaign has gets no tab
    drafts = client.get("/campaigns/?status=draft").get_data(as_text=True)
    assert 'aria-current="page">Drafts' in drafts and "Draft one" in drafts and "Live one" not in drafts
    assert "No campaigns here." in client.get("/campaigns/?status=paused").get_data(as_text=True)
    assert "Old one" not in client.get("/campaigns/?archived=never").get_data(as_text=True)  # read as the default
