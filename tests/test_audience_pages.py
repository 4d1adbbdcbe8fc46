"""A campaign's audience page over HTTP: a list read and mapped, previewed, assigned; customers picked with filters;
the result with who was left out; nothing written by a preview or a bad form."""
import io
import re

from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db
from campaigns.models import AudienceAssignment, Customer, Voucher, utcnow
from tests.conftest import csrf_from, log_in

LIST = ("Contact;First Name;Last Name;Mobile\n"
        "ana@example.com;Ana;Lima;\n"
        "gone@example.com;Gus;;\n"
        ";Pia;;+1 202 555 0143\n"
        "not an address;Bad;;\n"
        "bo@example.com;Bo;;\n")


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (AudienceAssignment, Voucher, Customer))


def _marketer(client, make_user, make_campaign, app, **fields):
    log_in(client, make_user("marketer"))
    campaign_id = make_campaign(status="active", **fields)
    with app.app_context():
        find_or_create(make_contact("gone@example.com")).unsubscribed_at = utcnow()
        db.session.commit()
    page = client.get(f"/campaigns/{campaign_id}/audience")
    return campaign_id, csrf_from(page.get_data(as_text=True)), page.get_data(as_text=True)


def test_the_campaign_page_links_to_an_empty_audience_that_says_what_to_do(client, app, make_user, make_campaign):
    campaign_id, _, page = _marketer(client, make_user, make_campaign, app)
    assert f'href="/campaigns/{campaign_id}/audience"' in client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "No one in this audience yet" in page and "From a list" in page and "From your customers" in page


def test_a_csv_file_is_mapped_previewed_then_assigned_and_the_result_lists_who_was_left_out(
        client, app, make_user, make_campaign):
    campaign_id, token, _ = _marketer(client, make_user, make_campaign, app)
    before = _counts(app)
    read = client.post(f"/campaigns/{campaign_id}/audience/list", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(LIST.encode("utf-8")), "contacts.csv"), "text": "", "preview": "y"})
    page = read.get_data(as_text=True)
    # "Contact" is no name the imports know for an e-mail column: the marketer is asked to choose it.
    assert read.status_code == 422 and "Choose the column with e-mail addresses" in page
    assert '<option selected value="Mobile">' in page and '<option selected value="First Name">' in page
    text = re.search(r'<textarea[^>]*name="text"[^>]*>\s*(.*?)</textarea>', page, re.DOTALL).group(1)
    mapped = {"csrf_token": token, "text": text.replace("&#34;", '"'), "column_email": "Contact",
              "column_phone": "Mobile", "column_first_name": "First Name", "column_last_name": "Last Name",
              "column_name": "", "holdout_pct": "20"}
    preview = client.post(f"/campaigns/{campaign_id}/audience/list", data=dict(mapped, preview="y"))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Ana Lima" in page and "Line 5" in page
    assert re.search(r'id="size-matched">4<', page) and re.search(r'id="size-drawn">2<', page)
    assert "unsubscribed from campaign e-mails" in page and "no e-mail address" in page
    assert _counts(app) == before  # a preview writes nothing, not even the new customers
    assigned = client.post(f"/campaigns/{campaign_id}/audience/list", data=dict(mapped, assign="y"))
    assert assigned.status_code == 302 and "run=" in assigned.location
    result = client.get(assigned.location).get_data(as_text=True)
    assert _counts(app)[0] == 2 and "Left out before the draw (2)" in result
    assert "gone@example.com" in result and "Line 5" in result and "ana@example.com" in result
    reasons = re.search(r'<ul id="left-out-reasons">(.*?)</ul>', result, re.DOTALL).group(1)
    assert "<strong>1</strong> unsubscribed" in reasons and "<strong>1</strong> no e-mail address" in reasons


def test_a_bad_holdout_or_an_ended_campaign_assigns_no_one(client, app, make_user, make_campaign):
    campaign_id, token, _ = _marketer(client, make_user, make_campaign, app)
    form = {"csrf_token": token, "text": "email\nana@example.com\n", "column_email": "email", "assign": "y"}
    bad = client.post(f"/campaigns/{campaign_id}/audience/list", data=dict(form, holdout_pct="95"))
    assert bad.status_code == 422 and "A whole percentage from 0 to 90" in bad.get_data(as_text=True)
    unmapped = client.post(f"/campaigns/{campaign_id}/audience/list", data=dict(form, column_email="", holdout_pct="10"))
    assert unmapped.status_code == 422 and "Choose the column with e-mail addresses" in unmapped.get_data(as_text=True)
    ended = make_campaign(status="ended")
    refused = client.post(f"/campaigns/{ended}/audience/list", data=dict(form, holdout_pct="10"))
    assert refused.status_code == 422 and "has ended" in refused.get_data(as_text=True)
    assert "From a list" not in client.get(f"/campaigns/{ended}/audience").get_data(as_text=True)
    assert _counts(app)[:2] == (0, 0)


def test_customers_picked_with_filters_are_previewed_then_assigned(client, app, make_user, make_campaign):
    campaign_id, token, _ = _marketer(client, make_user, make_campaign, app)
    with app.app_context():
        for email in ("ana@example.com", "bo@example.com"):
            find_or_create(make_contact(email))
        db.session.commit()
    preview = client.get(f"/campaigns/{campaign_id}/audience/pick?not_bought_days=30&no_gift_yet=y")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and re.search(r'id="size-matched">3<', page)
    assert re.search(r'id="size-drawn">2<', page) and "unsubscribed from campaign e-mails" in page
    assert _counts(app)[0] == 0
    assigned = client.post(f"/campaigns/{campaign_id}/audience/pick?not_bought_days=30&no_gift_yet=y",
                           data={"csrf_token": token, "holdout_pct": "0", "assign": "y"})
    assert assigned.status_code == 302
    result = client.get(assigned.location).get_data(as_text=True)
    assert re.search(r'id="count-treatment">2<', result) and "bo@example.com" in result
    again = client.get(f"/campaigns/{campaign_id}/audience/pick?not_bought_days=30").get_data(as_text=True)
    assert re.search(r'id="size-members">2<', again) and re.search(r'id="size-drawn">0<', again)
    bad = client.get(f"/campaigns/{campaign_id}/audience/pick?not_bought_days=0&bought_at=99")
    assert bad.status_code == 422 and "A whole number of days" in bad.get_data(as_text=True)


def test_staff_may_not_see_or_change_an_audience(client, make_user, make_campaign):
    campaign_id = make_campaign(status="active")
    log_in(client, make_user("staff"))
    assert client.get(f"/campaigns/{campaign_id}/audience").status_code == 403
    assert client.post(f"/campaigns/{campaign_id}/audience/list", data={"text": "email\na@example.com"}).status_code == 403
    assert client.get("/campaigns/999/audience").status_code in (403, 404)
