"""Customer pages wear the business: Settings → Customer pages sets address, hours and a checked raster logo
(owners only); the pages show it, the offer as headline and no campaign name; a closed claim page says so
before any form; messages promise no send that did not happen; new claim slugs use the codes' alphabet."""
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from campaigns.accounts import business
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.giving import qr
from campaigns.giving.codes import ALPHABET
from campaigns.giving.designs import new_claim_slug
from campaigns.giving.vouchers import issue_batch
from campaigns.models import BusinessSettings, Campaign, Voucher
from tests.conftest import csrf_from, log_in

PNG = qr.png("https://example.com/logo")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
URL = "/settings/customer-page"


def _post(client, data: dict, logo: tuple | None = None):
    """Post the customer-page form as a browser does (multipart), with a file when given."""
    form = {"address": "", "opening_hours": "", "submit": "save", **data,
            "csrf_token": csrf_from(client.get(URL).get_data(as_text=True))}
    if logo is not None:
        body, name, mimetype = logo
        form["logo"] = FileStorage(io.BytesIO(body), name, content_type=mimetype)
    # Encoded here: the test client spools a body over 500 KB to a temporary file that it never closes.
    boundary, body = encode_multipart(form)
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _stored(app) -> tuple:
    with app.app_context():
        settings = db.session.get(BusinessSettings, 1)
        return (None,) * 4 if settings is None else (settings.address, settings.opening_hours, settings.logo,
                                                      settings.logo_type)


@pytest.fixture
def owner_client(client, make_user):
    log_in(client, make_user("owner"))
    return client


@pytest.mark.parametrize("body, mimetype", [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"),
                                            (PNG, "application/octet-stream")])
def test_owner_sets_address_hours_and_a_raster_logo(owner_client, app, body, mimetype):
    response = _post(owner_client, {"address": " 12 Main St\r\nSpringfield ", "opening_hours": "Mon–Fri 7–18"},
                     (body, "logo.img", mimetype))
    assert response.status_code == 302 and response.location == URL
    address, hours, logo, logo_type = _stored(app)
    assert (address, hours, logo) == ("12 Main St\r\nSpringfield", "Mon–Fri 7–18", body)
    assert logo_type == business.logo_type_of(body) != "application/octet-stream"
    served = owner_client.get("/logo")
    assert served.status_code == 200 and served.data == body and served.mimetype == logo_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "public" in served.headers["Cache-Control"] and "max-age=" in served.headers["Cache-Control"]
    assert owner_client.get("/logo", headers={"If-None-Match": served.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("body, name, mimetype, problem", [
    (SVG, "logo.svg", "image/svg+xml", "SVG is not accepted"),
    (SVG, "logo.png", "image/png", "not a PNG, JPEG or WebP"),  # the name and type lie: the bytes decide
    (b"GIF89a" + b"\x00" * 32, "logo.gif", "image/gif", "not a PNG, JPEG or WebP"),
    (JPEG, "logo.png", "image/png", "says it is PNG but holds JPEG"),
    (PNG[:8] + b"\x00" * (business.LOGO_MAX_BYTES), "big.png", "image/png", "larger than 500 KB"),
])
def test_a_bad_logo_is_refused_and_changes_nothing(owner_client, app, body, name, mimetype, problem):
    assert _post(owner_client, {"address": "Old address"}, (PNG, "logo.png", "image/png")).status_code == 302
    before = _stored(app)
    response = _post(owner_client, {"address": "New address"}, (body, name, mimetype))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and problem in page and 'id="logo-error"' in page
    assert _stored(app) == before


def test_saving_the_text_without_a_file_keeps_the_logo(owner_client, app):
    _post(owner_client, {"address": "Old"}, (PNG, "logo.png", "image/png"))
    assert _post(owner_client, {"address": "New", "opening_hours": "Daily"}).status_code == 302
    assert _post(owner_client, {"address": "Newer"}, (b"", "", "application/octet-stream")).status_code == 302
    assert _stored(app) == ("Newer", None, PNG, "image/png")


def test_a_logo_of_exactly_the_limit_is_taken(owner_client, app):
    body = PNG[:8] + b"\x00" * (business.LOGO_MAX_BYTES - 8)
    assert _post(owner_client, {}, (body, "logo.png", "image/png")).status_code == 302
    assert len(_stored(app)[2]) == business.LOGO_MAX_BYTES


@pytest.mark.parametrize("field, text, problem", [
    ("address", "12 Main St\x00", "control character"), ("opening_hours", "Mon\u202eFri", "remove it"),
    ("address", "x" * 256, "255"), ("opening_hours", "y" * 256, "255")])
def test_address_and_hours_are_checked_like_all_text(owner_client, app, field, text, problem):
    before = _stored(app)
    response = _post(owner_client, {field: text}, (PNG, "logo.png", "image/png"))
    assert response.status_code == 200 and problem in response.get_data(as_text=True)
    assert _stored(app) == before


def test_the_service_checks_text_without_the_form(ctx):
    with pytest.raises(ValidationError) as refused:
        business.update_customer_page("Main St", "Mon\x07Fri")
    assert set(refused.value.details["fields"]) == {"opening_hours"}
    assert business.update_customer_page("  ", "").address is None


def test_owner_removes_the_logo(owner_client, app):
    _post(owner_client, {}, (PNG, "logo.png", "image/png"))
    token = csrf_from(owner_client.get(URL).get_data(as_text=True))
    response = owner_client.post(URL, data={"csrf_token": token, "remove_logo": "y"})
    assert response.status_code == 302 and _stored(app)[2:] == (None, None)
    assert owner_client.get("/logo").status_code == 404


@pytest.mark.parametrize("role", ["marketer", "staff"])
def test_only_owners_set_the_customer_pages(client, app, make_user, role):
    log_in(client, make_user(role))
    assert client.get(URL).status_code == 403
    response = client.post(URL, data={"address": "Mine now"}, content_type="multipart/form-data")
    assert response.status_code in (400, 403) and _stored(app)[0] is None


def test_customer_pages_wear_the_business_not_the_campaign(app, client, make_campaign, owner_client):
    _post(owner_client, {"address": "12 Main St", "opening_hours": "Daily 8–20"}, (PNG, "logo.png", "image/png"))
    campaign_id = make_campaign(status="active", claim_page=True, name="Internal: office towers test",
                                offer="One free flat white")
    with app.app_context():
        business.get_settings().business_name = "Corner Bean Café"
        campaign = db.session.get(Campaign, campaign_id)
        code, slug = issue_batch(campaign, 1)[0], campaign.claim_slug
        db.session.commit()
    customer = app.test_client()
    for url in (f"/v/{code}", f"/claim/{slug}"):
        page = customer.get(url).get_data(as_text=True)
        assert "Internal: office towers test" not in page and "Campaign" not in page and "Reciprocate" not in page
        assert re.search(r'<h1 class="voucher-offer">\s*One free flat white\s*</h1>', page)
        assert "Corner Bean Café" in page and "12 Main St" in page and "Daily 8–20" in page
        assert re.search(r'src="/logo\?v=[0-9a-f]{16}"', page)


@pytest.mark.parametrize("status, code, words", [("paused", 200, "paused for now"), ("ended", 410, "has ended")])
def test_a_closed_claim_page_says_so_and_shows_no_form(app, make_campaign, make_user, status, code, words):
    make_user("owner")  # so that /login is a page with a form, not the first-run redirect
    campaign_id = make_campaign(status=status, claim_page=True)
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    customer = app.test_client()
    response = customer.get(f"/claim/{slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == code and words in page
    assert "<form" not in page and "Get my free voucher" not in page
    token = csrf_from(customer.get("/login").get_data(as_text=True))  # the closed page has no form to take it from
    posted = customer.post(f"/claim/{slug}", data={"email": "ana@example.com", "csrf_token": token})
    assert posted.status_code == code and words in posted.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0


def test_a_campaign_not_started_yet_says_when(app, make_campaign):
    campaign_id = make_campaign(status="active", claim_page=True, starts_on="2099-03-01")
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    page = app.test_client().get(f"/claim/{slug}").get_data(as_text=True)
    assert "starts on Mar 1, 2099" in page and "<form" not in page


@pytest.mark.parametrize("path", ["/v/NOT-A-CODE", "/v/0000-0000-0000-0"])
def test_a_missing_voucher_page_mentions_no_message_never_sent(client, path):
    page = client.get(path).get_data(as_text=True).lower()
    assert "e-mail" not in page and " text" not in page and "scan the qr code" in page


def test_a_phone_that_holds_a_voucher_is_promised_no_email(app, make_campaign):
    campaign_id = make_campaign(status="active", claim_page=True)
    with app.app_context():
        slug = db.session.get(Campaign, campaign_id).claim_slug
    answers = []
    for _ in range(2):
        customer = app.test_client()
        token = csrf_from(customer.get(f"/claim/{slug}").get_data(as_text=True))
        answers.append(customer.post(f"/claim/{slug}", data={"phone": "+1 650 253 0000", "csrf_token": token}))
    page = answers[1].get_data(as_text=True)
    assert answers[0].status_code == 302 and "already holds a voucher" in page
    assert "e-mailed" not in page and "Ask at the counter" in page


def test_new_claim_slugs_use_the_codes_alphabet_grouped():
    alphabet = re.escape(ALPHABET.lower())
    slugs = {new_claim_slug() for _ in range(200)}
    assert len(slugs) == 200
    assert all(re.fullmatch(rf"[{alphabet}]{{4}}-[{alphabet}]{{4}}-[{alphabet}]{{4}}", slug) for slug in slugs)
    assert not set("".join(slugs)) & set("ilouILOU")


def test_a_claim_page_made_now_gets_a_new_slug_and_old_slugs_keep_working(app, make_campaign):
    fresh = make_campaign(status="active", claim_page=True)
    old = make_campaign(status="active", claim_page=True, name="Made before")
    with app.app_context():
        slug = db.session.get(Campaign, fresh).claim_slug
        db.session.get(Campaign, old).claim_slug = "tQpWfKErL-1_"  # the old token_urlsafe kind
        db.session.commit()
    customer = app.test_client()
    assert re.fullmatch(r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}", slug)
    assert customer.get(f"/claim/{slug}").status_code == 200
    assert customer.get("/claim/tQpWfKErL-1_").status_code == 200
    typed = slug.upper().replace("1", "l").replace("0", "O")  # read off a poster in capitals
    response = customer.get(f"/claim/{typed}")
    assert (response.status_code, response.location) == ((301, f"/claim/{slug}") if typed != slug else (200, None))
    assert customer.get("/claim/tqpwfkerl-1_").status_code == 404  # old slugs are case-sensitive, as made
