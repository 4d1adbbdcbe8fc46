"""The marketer's campaign pages and the customer's voucher and claim pages, over HTTP."""
import json

from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Customer, Voucher
from tests.conftest import csrf_from, log_in

GOOD = {"name": "Free latte", "kind": "sample", "offer": "One free latte", "unit_cost": "0.85", "retail_value": "4.50",
        "fixed_cost": "120", "gross_margin_pct": "68", "starts_on": "", "ends_on": "", "voucher_limit": "1000",
        "per_customer_limit": "1", "attribution_window_days": "60", "feedback_question": "What did you like?"}


def _post(client, form_url, data, post_url=None):
    token = csrf_from(client.get(form_url).get_data(as_text=True))
    return client.post(post_url or form_url, data=dict(data, csrf_token=token))


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_marketer_creates_a_campaign_from_the_form(client, app, make_user):
    log_in(client, make_user("marketer"))
    response = _post(client, "/campaigns/new", GOOD)
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).one()
        assert (campaign.unit_cost_cents, campaign.fixed_cost_cents, campaign.gross_margin_bp) == (85, 12000, 6800)
        assert campaign.status == "draft" and campaign.voucher_limit == 1000
    page = client.get(response.location).get_data(as_text=True)
    assert "Free latte" in page and "USD\u00a0970.00" in page  # 120 + 0.85 × 1000 committed


def test_a_bad_campaign_form_names_the_fields_and_saves_nothing(client, app, make_user):
    log_in(client, make_user("marketer"))
    bad = dict(GOOD, name="", unit_cost="-1", starts_on="2026-12-10", ends_on="2026-12-01", gross_margin_pct="140")
    response = _post(client, "/campaigns/new", bad)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "This field is required" in text
    assert "cannot be before the start date" in text and "A percentage from 0 to 100" in text
    fixed = dict(GOOD, unit_cost="-1")
    text = _post(client, "/campaigns/new", fixed).get_data(as_text=True)
    assert "cannot be negative" in text
    assert _count(app, Campaign) == 0


def test_the_unreturned_gift_limit_is_set_on_the_form(client, app, make_user):
    log_in(client, make_user("marketer"))
    for wrong in ("0", "-2", "1.5", "many"):
        response = _post(client, "/campaigns/new", dict(GOOD, unreturned_gift_limit=wrong))
        assert response.status_code == 200 and 'id="unreturned_gift_limit-error"' in response.get_data(as_text=True)
    assert _count(app, Campaign) == 0
    response = _post(client, "/campaigns/new", dict(GOOD, unreturned_gift_limit="3"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Campaign)).one().unreturned_gift_limit == 3
    assert "no voucher to a customer holding 3" in client.get(response.location).get_data(as_text=True)


def test_status_actions_and_duplicate(client, app, make_user, make_campaign):
    campaign_id = make_campaign()
    log_in(client, make_user("marketer"))
    detail = f"/campaigns/{campaign_id}"
    assert _post(client, detail, {"action": "activate"}, f"{detail}/status").status_code == 302
    assert _post(client, detail, {"action": "pause"}, f"{detail}/status").status_code == 302
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "paused"
    response = _post(client, detail, {}, f"{detail}/duplicate")
    assert response.location.endswith("/edit")
    assert _count(app, Campaign) == 2


def test_batch_without_javascript(client, app, make_user, make_campaign):
    campaign_id = make_campaign()
    log_in(client, make_user("marketer"))
    detail = f"/campaigns/{campaign_id}"
    response = _post(client, detail, {"count": "250", "batch_label": "flyer A"}, f"{detail}/batches")
    assert response.status_code == 302
    assert "Made 250 vouchers" in client.get(detail).get_data(as_text=True)
    bad = _post(client, detail, {"count": "0", "batch_label": ""}, f"{detail}/batches")
    assert bad.status_code == 302 and _count(app, Voucher) == 250


def test_batch_streams_progress_and_commits_once(client, app, make_user, make_campaign):
    campaign_id = make_campaign(voucher_limit=12_000)
    log_in(client, make_user("marketer"))
    detail = f"/campaigns/{campaign_id}"
    token = csrf_from(client.get(detail).get_data(as_text=True))
    response = client.post(f"{detail}/batches", data={"count": "11000", "batch_label": "market", "csrf_token": token},
                           headers={"Accept": "application/x-ndjson"})
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line.get("done") for line in lines[:-1]] == [0, 5000, 10000, 11000]
    assert lines[-1] == {"finished": True, "redirect": detail}
    assert _count(app, Voucher) == 11_000
    over = client.post(f"{detail}/batches", data={"count": "1001", "batch_label": "more", "csrf_token": token},
                       headers={"Accept": "application/x-ndjson"})
    assert "error" in over.get_data(as_text=True).splitlines()[-1]
    assert _count(app, Voucher) == 11_000


def _one_voucher(app, campaign_id):
    with app.app_context():
        code = issue_batch(db.session.get(Campaign, campaign_id), 1, "flyer")[0]
        db.session.commit()
        return code


def test_voucher_page_shows_offer_code_qr_and_state(client, app, make_campaign):
    code = _one_voucher(app, make_campaign(status="active", ends_on="2099-12-31"))
    page = client.get(f"/v/{code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "One free latte" in text and codes.format_code(code) in text
    assert "Show this screen at the counter" in text and f"/v/{code}.svg" in text and "Dec 31, 2099" in text
    loose = client.get(f"/v/{codes.format_code(code).lower()}")
    assert loose.status_code == 301 and loose.location.endswith(f"/v/{code}")
    svg = client.get(f"/v/{code}.svg")
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    assert client.get(f"/v/{code}.png").data[:8] == b"\x89PNG\r\n\x1a\n"


def test_voucher_page_for_typos_and_unknown_codes(client, app, make_campaign):
    code = _one_voucher(app, make_campaign())
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert "looks mistyped" in client.get(f"/v/{typo}").get_data(as_text=True)
    assert client.get(f"/v/{typo}").status_code == 422
    assert client.get(f"/v/{codes.generate()}").status_code == 404


def test_claim_page_gives_a_voucher_once(client, app, make_campaign):
    campaign_id = make_campaign(status="active", claim_page=True)
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    url = f"/claim/{slug}"
    first = _post(client, url, {"email": "Ana@Example.com", "phone": "", "name": "Ana"})
    assert first.status_code == 302 and "/v/" in first.location
    again = _post(client, url, {"email": "", "phone": "", "name": ""})
    assert "Give an e-mail address or a phone number" in again.get_data(as_text=True)
    same = _post(client, url, {"email": "ana@example.com", "phone": "", "name": ""})
    held = same.get_data(as_text=True)  # the held voucher is sent to its address, never shown (tests/test_claim_page.py)
    assert same.status_code == 200 and "You already have this voucher" in held and first.location[3:] not in held
    assert _count(app, Voucher) == 1 and _count(app, Customer) == 1
    assert client.get("/claim/nope").status_code == 404


def test_claims_are_rate_limited_per_address(client, app, make_campaign):
    campaign_id = make_campaign(status="active", claim_page=True, per_customer_limit=1)
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    statuses = [_post(client, f"/claim/{slug}", {"email": f"p{i}@example.com"}).status_code for i in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429
