"""Settings → E-mail and the Deliveries page (owners only), the test send through the queue, the claim page's
honest words about e-mail, and 503 `unavailable` (nothing written) while the job queue cannot be reached."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from campaigns.extensions import db
from campaigns.models import Customer, Delivery, MailServer, Voucher, utcnow
from tests.conftest import app_config, csrf_from, free_port, log_in
from tests.test_claim_page import app, claim, claim_url, smtp  # noqa: F401  (fixtures)

SERVER = {"host": "smtp.example.com", "port": "587", "use_tls": "y", "username": "shop", "password": "s3cret-pass-word",
          "sender_name": "Café Aurora", "sender_address": "Hello@Aurora.example"}


def _post(client, url, data, page=None):
    token = csrf_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _count(app, model) -> int:  # noqa: F811
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def owner(app, make_user):  # noqa: F811
    client = app.test_client()
    log_in(client, make_user("owner"))
    return client


def test_the_owner_stores_the_server_and_the_password_is_never_shown_back(app, owner):  # noqa: F811
    assert _post(owner, "/settings/email", SERVER).status_code == 302
    page = owner.get("/settings/email").get_data(as_text=True)
    assert "smtp.example.com" in page and "Café Aurora" in page and "hello@aurora.example" in page
    assert "s3cret-pass-word" not in page and "A password is stored" in page
    assert _post(owner, "/settings/email", {**SERVER, "password": ""}).status_code == 302  # empty keeps it
    with app.app_context():
        stored = db.session.get(MailServer, 1)
        assert (stored.port, stored.use_tls, stored.password) == (587, True, "s3cret-pass-word")
    assert _post(owner, "/settings/email", {**SERVER, "password": "", "forget_password": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(MailServer, 1).password is None


@pytest.mark.parametrize("field, value, words", [
    ("port", "70000", "between 1 and 65535"), ("sender_address", "not an address", "@-sign"),
    ("host", "smtp example.com", "host name"), ("sender_name", "Ana\u202eEvil", "text-direction"),
])
def test_a_bad_server_form_names_the_field_and_stores_nothing(app, owner, field, value, words):  # noqa: F811
    answer = _post(owner, "/settings/email", {**SERVER, field: value})
    assert answer.status_code == 200 and words in answer.get_data(as_text=True)
    assert _count(app, MailServer) == 0


def test_a_test_send_goes_through_the_queue_and_shows_it_was_sent(app, owner, smtp):  # noqa: F811
    assert _post(owner, "/settings/email/test", {"to": "Me@Example.com"}, page="/settings/email").status_code == 302
    [message] = smtp.inbox.messages
    assert message["To"] == "me@example.com" and "Test e-mail" in message["Subject"]
    page = owner.get("/settings/email").get_data(as_text=True)
    assert "me@example.com" in page and "delivery-sent" in page


def test_a_failed_test_send_shows_the_server_s_answer(app, owner, smtp):  # noqa: F811
    smtp.stop()
    _post(owner, "/settings/email/test", {"to": "me@example.com"}, page="/settings/email")
    page = owner.get("/settings/email").get_data(as_text=True)
    assert "delivery-failed" in page and "Could not talk to 127.0.0.1" in page and "next try" in page
    answer = _post(owner, "/settings/email/test", {"to": "nobody"}, page="/settings/email")
    assert answer.status_code == 422 and _count(app, Delivery) == 1


def test_only_owners_see_e_mail_settings_and_deliveries(app, make_user):  # noqa: F811
    for role in ("staff", "marketer"):
        client = app.test_client()
        log_in(client, make_user(role))
        assert [client.get(url).status_code for url in ("/settings/email", "/settings/deliveries")] == [403, 403]


def test_deliveries_show_failures_first_filter_and_page(app, owner):  # noqa: F811
    now = utcnow()
    with app.app_context():
        for n in range(55):
            db.session.add(Delivery(kind="voucher", recipient=f"sent{n}@example.com", subject="Your voucher",
                                    status="sent", attempts=1, created_at=now - timedelta(minutes=n), sent_at=now))
        db.session.add(Delivery(kind="test", recipient="late@example.com", subject="Test", status="given_up",
                                attempts=5, last_error="550 5.1.1 User unknown", created_at=now - timedelta(days=2)))
        db.session.commit()
    page = owner.get("/settings/deliveries").get_data(as_text=True)
    assert page.index("late@example.com") < page.index("sent0@example.com")  # the old failure comes first
    assert "550 5.1.1 User unknown" in page and "Page 1 of 2" in page
    assert "sent54@example.com" not in page and "sent54@example.com" in owner.get("/settings/deliveries?page=2").get_data(as_text=True)
    failed = owner.get("/settings/deliveries?status=given_up").get_data(as_text=True)
    assert "late@example.com" in failed and "sent0@example.com" not in failed
    vouchers = owner.get("/settings/deliveries?kind=voucher&status=bogus").get_data(as_text=True)
    assert "late@example.com" not in vouchers and "sent0@example.com" in vouchers


def test_the_claim_page_promises_e_mail_only_when_one_was_queued(app, smtp, claim_url):  # noqa: F811
    by_email = claim(app, claim_url, email="ana@example.com", phone="+1 650 253 0000")
    assert by_email.status_code == 302
    held = claim(app, claim_url, ip="10.9.9.9", email="ana@example.com").get_data(as_text=True)
    assert "ll e-mail it to the address it belongs to" in held and "have e-mailed" not in held
    by_phone = claim(app, claim_url, ip="10.9.9.8", phone="650 253 0000").get_data(as_text=True)
    assert "e-mail it" not in by_phone and "Ask at the counter" in by_phone
    with app.app_context():
        assert [d.kind for d in db.session.scalars(select(Delivery))] == ["voucher", "voucher"]


def test_the_new_claim_s_flash_says_e_mail_is_coming_only_when_queued(app, smtp, claim_url):  # noqa: F811
    client = app.test_client()
    for fields, promised in (({"email": "eva@example.com"}, True), ({"phone": "+1 212 736 5000"}, False)):
        token = csrf_from(client.get(claim_url).get_data(as_text=True))
        answer = client.post(claim_url, data={"email": "", "phone": "", "name": "", **fields, "csrf_token": token},
                             follow_redirects=True)
        assert ("e-mail it to you too" in answer.get_data(as_text=True)) is promised


@pytest.fixture
def queue_away(database_url, smtp):  # noqa: F811
    """The app with its queue on a Redis that is not there."""
    away = create_app(app_config(database_url, QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0",
                                 MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port))
    yield away
    with away.app_context():
        db.session.remove()
        db.engine.dispose()


def test_while_the_queue_is_away_a_claim_that_would_mail_is_503_and_writes_nothing(queue_away, make_user):
    from campaigns.giving import designs
    from tests.designs import design

    with queue_away.app_context():
        campaign = designs.create_campaign(design({"name": "Latte", "unit_cost": "1", "claim_page": True}))
        designs.set_status(campaign, "active")
        db.session.commit()
        url = f"/claim/{campaign.claim_slug}"
    answer = claim(queue_away, url, email="ana@example.com")
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    assert "try again in a minute" in answer.get_data(as_text=True)
    assert [_count(queue_away, model) for model in (Voucher, Customer, Delivery)] == [0, 0, 0]
    assert claim(queue_away, url, ip="10.0.0.2", phone="+1 650 253 0000").status_code == 302  # no e-mail: no queue
    client = queue_away.test_client()
    log_in(client, make_user("owner"))
    token = csrf_from(client.get("/settings/email").get_data(as_text=True))
    answer = client.post("/settings/email/test", data={"to": "me@example.com", "csrf_token": token},
                         headers={"Accept": "application/json"})
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "unavailable"
    assert _count(queue_away, Delivery) == 0
