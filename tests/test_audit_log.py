"""The audit log (campaigns/reports/audit_trail.py, campaigns/web/audit_log.py): every kind of action lands in it, in
the same transaction as the change, and the owner's page finds it by who, what, campaign and local dates."""
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from campaigns.accounts import business, tokens
from campaigns.accounts import users as accounts
from campaigns.contacts.contact import make_contact
from campaigns.core import audit
from campaigns.customers.merging import merge_customers
from campaigns.desk import redemption, undo
from campaigns.extensions import db
from campaigns.giving import designs
from campaigns.giving.vouchers import issue_batch
from campaigns.mail import mail_server
from campaigns.models import AuditEntry, Customer, Purchase, User
from campaigns.reports.audit_trail import AuditFilters, audit_page
from campaigns.reports.audit_words import ACTIONS, WORDS
from campaigns.sales import corrections, import_files, import_mapping, import_runs
from tests.conftest import PASSWORD, csrf_from, log_in
from tests.designs import design
from tests.ledger_rows import record_purchase


def _found(**filters) -> list:
    """Every line the page shows under these filters (all pages), newest first."""
    return audit_page(AuditFilters(**filters), per_page=1000).lines


def _what(**filters) -> list[str]:
    return [line.what for line in _found(**filters)]


def test_user_and_token_changes_are_audited_and_found_by_who_and_what(ctx):
    owner = accounts.create_user("olive@example.com", "Olive", "owner", PASSWORD)
    ana = accounts.create_user("ana@example.com", "Ana", "staff", PASSWORD, by_user_id=owner.id)
    accounts.update_user(ana, role="marketer", active=False, name="Ana Lima", by_user_id=owner.id)
    accounts.update_user(ana, role="marketer", active=True, by_user_id=owner.id)
    accounts.set_password(ana, "another horse battery", by_user_id=owner.id)
    accounts.change_own_password(ana, "another horse battery", "a third horse battery")
    token, _ = tokens.create_token("Till sync", "staff", owner.id)
    start = datetime.now(UTC)
    tokens.mark_used(token, now=start, request_line="GET /api/v1/campaigns")
    tokens.mark_used(token, now=start + timedelta(minutes=5))  # within the hour: not audited again
    tokens.mark_used(token, now=start + timedelta(minutes=70), request_line="POST /api/v1/redemptions")
    tokens.revoke_token(token.id, by_user_id=owner.id)

    by_owner = _what(user_id=owner.id)
    assert by_owner == ["API token revoked", "API token created", "Password reset (by an owner)", "User reactivated",
                        "User renamed", "User deactivated", "Role changed", "User added"]
    assert _what(user_id=ana.id) == ["Password changed by its user"]
    role = _found(action="user_role")[0]
    assert (role.subject, role.who, role.details) == ("Ana Lima", "Olive", "role: staff → marketer")
    used = _found(token_id=token.id)
    assert [line.what for line in used] == ["API token used (first use this hour)"] * 2
    assert used[0].who == "API token “Till sync”" and "POST /api/v1/redemptions" in used[0].details
    assert "Till sync" in _found(action="token_create")[0].subject
    assert not any(PASSWORD in str(entry.details) for entry in db.session.scalars(select(AuditEntry)))


def test_settings_changes_are_audited_old_and_new_and_never_the_password(ctx):
    owner = accounts.create_user("olive@example.com", "Olive", "owner", PASSWORD)
    business.update_settings(business_name="Corner Bean", currency="EUR", time_zone="Europe/Lisbon",
                             default_gross_margin_bp=6000, default_phone_region="PT", by_user_id=owner.id)
    business.update_customer_page("1 Main St", "", by_user_id=owner.id)
    mail_server.update_server("smtp.example.com", 587, True, "mailer", "hunter2-secret", "Corner Bean",
                              "hello@example.com", by_user_id=owner.id)
    mail_server.update_server("smtp.example.com", 587, True, "mailer", "", "Corner Bean", "hello@example.com",
                              by_user_id=owner.id)  # nothing changed (an empty password keeps the stored one)

    settings = _found(action="business_settings")
    assert len(settings) == 1 and settings[0].subject == "Business settings"
    assert "currency: USD → EUR" in settings[0].details and "time zone: UTC → Europe/Lisbon" in settings[0].details
    assert _found(action="customer_page")[0].details == "address: (none) → 1 Main St"
    mail = _found(action="email_settings")
    assert len(mail) == 1 and mail[0].who == "Olive" and "password: changed" in mail[0].details
    assert "host: (none) → smtp.example.com" in mail[0].details
    stored = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "email_settings")).all()
    assert "hunter2" not in str(stored)
    place = business.create_location("Main St", "1 Main", by_user_id=owner.id)
    business.update_location(place, name="Harbour", address="1 Main", active=False, by_user_id=owner.id)
    assert [(line.what, line.subject) for line in _found(action="location")] == [
        ("Location changed", "Location Harbour"), ("Location added", "Location Harbour")]
    assert _found(action="location")[0].details == "name: Main St → Harbour; active: yes → no"


def test_a_campaign_life_and_its_desk_are_found_by_campaign(ctx):
    marketer = accounts.create_user("mia@example.com", "Mia", "marketer", PASSWORD)
    latte = designs.create_campaign(design({"name": "Free latte", "offer": "One latte", "unit_cost": "0.85"}),
                                    marketer.id)
    other = designs.create_campaign(design({"name": "Free muffin", "offer": "A muffin", "unit_cost": "0.50"}))
    designs.update_campaign(latte, designs.design_of(latte).changed(offer="One free latte"), user_id=marketer.id)
    for status in ("active", "paused", "active"):
        designs.set_status(latte, status, user_id=marketer.id)
    designs.set_status(other, "active")
    first, second = issue_batch(latte, 2, "flyer")
    made = redemption.redeem(first, redemption.Attempt(user_id=marketer.id, customer=make_contact("a@example.com")))
    try:
        redemption.redeem(first, redemption.Attempt(user_id=marketer.id))
    except redemption.RedemptionError as error:
        assert error.code == "already_redeemed"
    undo.undo(made.id, db.session.get(User, marketer.id), "wrong voucher")
    designs.set_status(latte, "ended", user_id=marketer.id)

    lines = _found(campaign_id=latte.id)
    assert [line.what for line in lines] == [
        "Campaign ended", "Redemption undone", "Redemption refused: already redeemed", "Redeemed", "Campaign resumed",
        "Campaign paused", "Campaign started", "Campaign edited", "Campaign created"]
    assert all(line.campaign == "Free latte" for line in lines)
    assert lines[0].who == "Mia" and lines[3].subject == f"Voucher {first[:4]}-{first[4:8]}-{first[8:12]}-{first[12:]}"
    assert lines[1].subject.startswith("Redemption of ") and lines[2].refused
    assert "offer: One latte → One free latte" in lines[-2].details
    assert [line.what for line in _found(campaign_id=other.id)] == ["Campaign started", "Campaign created"]
    assert _what(campaign_id=latte.id, action="redeem") == ["Redemption refused: already redeemed", "Redeemed"]
    assert second  # issued, never used: not in the log


def test_imports_voids_refunds_and_merges_are_audited(ctx):
    owner = accounts.create_user("olive@example.com", "Olive", "owner", PASSWORD)
    data = b"Date,Amount,Email,Phone,ID\n2026-03-01 10:00,4.50,a@example.com,,sale-1\n2026-03-02 10:00,x,,,sale-2\n"
    record = import_mapping.confirm_proposed(import_files.upload("march.csv", data, owner.id))
    for _ in import_runs.run_all(record):
        pass
    started, finished = _found(action="purchase_import")[::-1]
    assert (started.what, started.subject, started.who) == ("Purchase import started", "Import of march.csv", "Olive")
    assert "added: 1" in finished.details and "refused: 1" in finished.details

    sale = db.session.scalar(select(Purchase).where(Purchase.external_id == "sale-1"))
    corrections.refund_purchase(sale, 100, "refund-1", owner.id, "cold coffee")
    corrections.void_purchase(record_purchase("till-9", 900, datetime.now(UTC))[0], "typo", owner.id)
    assert _what(action="purchase_void") == ["Purchase voided"]
    assert _found(action="purchase_refund")[0].subject == "Purchase sale-1"
    kept, merged = Customer(email="k@example.com", name="Kim"), Customer(email="kim@example.com")
    db.session.add_all([kept, merged])
    db.session.flush()
    merge_customers(kept.id, merged.id, owner.id)
    merge = _found(action="customer_merge")[0]
    assert (merge.what, merge.subject, merge.who) == ("Customers merged", "Kim", "Olive")


def test_local_dates_and_pages(ctx):
    business.update_settings(business_name="Café", currency="USD", time_zone="America/New_York",
                             default_gross_margin_bp=6000, default_phone_region="US")
    late_evening = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)  # 23:30 on 9 March in New York
    for minutes in range(5):
        audit.record("redeem", "unknown_code", subject=("voucher", f"CODE{minutes}"),
                     now=late_evening + timedelta(minutes=minutes))
    audit.record("redeem", "unknown_code", subject=("voucher", "SAMEMOMENT"), now=late_evening)
    assert len(_found(day_from=date(2026, 3, 9), day_to=date(2026, 3, 9), action="redeem")) == 6
    assert _found(day_from=date(2026, 3, 10), action="redeem") == []
    assert _found(day_to=date(2026, 3, 8), action="redeem") == []
    assert _found(action="redeem")[-1].when == "2026-03-09 23:30:00"

    seen, before = [], None
    while True:
        page = audit_page(AuditFilters(action="redeem", before=before), per_page=4)
        seen += [line.subject for line in page.lines]
        if page.older is None:
            break
        before = page.older
    assert seen == [f"Voucher CODE{minutes}" for minutes in (4, 3, 2, 1)] + ["Voucher SAMEMOMENT", "Voucher CODE0"]


def _post(client, url, data):
    return client.post(url, data=dict(data, csrf_token=csrf_from(client.get(url).get_data(as_text=True))))


def test_the_page_is_the_owners_and_filters_by_its_query_string(client, app, make_user, make_token):
    for role in ("staff", "marketer"):
        other = app.test_client()
        log_in(other, make_user(role))
        with other.get("/audit") as response:
            assert response.status_code == 403
    owner = make_user("owner", name="Olive")
    log_in(client, owner)
    assert _post(client, "/settings/", {"business_name": "Tooth Fairy", "currency": "EUR", "time_zone": "UTC",
                                        "default_gross_margin_pct": "60", "default_phone_region": "PT"}).status_code == 302
    secret = make_token("staff", "Till")
    with client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {secret}"}) as used:
        assert used.status_code in (200, 403)
    with client.get("/audit?action=business_settings&from=2000-01-01&to=2999-12-31") as response:
        page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Business settings changed" in page and "currency: USD → EUR" in page
    assert "User added" not in page and 'value="2000-01-01"' in page
    with app.app_context():
        token_id = db.session.scalar(select(func.max(AuditEntry.token_id)))
    with client.get(f"/audit?token={token_id}") as response:
        assert "API token used" in response.get_data(as_text=True) and "GET /api/v1/campaigns" in \
            response.get_data(as_text=True)
    with client.get("/audit?action=token_revoke&user=abc&from=yesterday") as response:
        assert "Nothing matches these filters" in response.get_data(as_text=True)
    with client.get(f"/audit?user={owner.id}&action=business_settings") as response:
        page = response.get_data(as_text=True)
    if "exports.download" in app.view_functions:
        assert f"/exports/audit.csv?user={owner.id}&amp;action=business_settings" in page
        assert "Download Excel" in page
    else:
        assert "Download CSV" not in page


def test_the_page_goes_to_older_entries_and_back(client, app, make_user):
    owner = make_user("owner")
    log_in(client, owner)
    with app.app_context():
        for number in range(55):
            audit.record("redeem", "unknown_code", subject=("voucher", f"NOPE{number:02d}"))
        db.session.commit()
    with client.get("/audit?action=redeem") as response:
        page = response.get_data(as_text=True)
    assert page.count('id="entry-') == 50 and "NOPE54" in page and "NOPE04" not in page
    older = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert "action=redeem" in older and "before=" in older
    with client.get(older) as response:
        page = response.get_data(as_text=True)
    assert page.count('id="entry-') == 5 and "NOPE04" in page and "NOPE05" not in page
    assert "Newest entries" in page and 'rel="next"' not in page


def test_every_action_the_app_writes_has_words_and_a_filter():
    # Each audit.record call in campaigns/ names an action the "What" filter offers, with its outcomes in words.
    written = set()
    for path in Path("campaigns").rglob("*.py"):
        written |= set(re.findall(r'audit\.record\(\s*"([a-z_]+)",\s*"([a-z_]+)"', path.read_text()))
    assert written and {action for action, _ in written} <= set(ACTIONS)
    assert written - {entry for entry in written if entry[0] == "redeem"} <= set(WORDS)
