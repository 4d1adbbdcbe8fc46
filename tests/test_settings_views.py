"""Owner pages: users, locations, business settings. A bad form names what is wrong and changes nothing."""
from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.models import BusinessSettings, Location, User
from tests.conftest import csrf_from, log_in


def _form_post(client, url, data):
    data = dict(data, csrf_token=csrf_from(client.get(url).get_data(as_text=True)))
    return client.post(url, data=data)


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_owner_adds_a_user_who_can_then_log_in(client, app, make_user):
    log_in(client, make_user("owner"))
    response = _form_post(client, "/settings/users", {"name": "Ana", "email": "Ana@Example.com", "role": "staff",
                                                      "password": "counter pass 1"})
    assert response.status_code == 302
    other = app.test_client()
    assert _form_post(other, "/login", {"email": "ana@example.com", "password": "counter pass 1"}).status_code == 302
    assert other.get("/settings/").status_code == 403


def test_adding_a_user_with_a_taken_email_changes_nothing(client, app, make_user):
    owner = make_user("owner")
    log_in(client, owner)
    before = _count(app, User)
    response = _form_post(client, "/settings/users", {"name": "Dup", "email": owner.email, "role": "staff",
                                                      "password": "counter pass 1"})
    assert response.status_code == 200
    assert "already a user with the e-mail" in response.get_data(as_text=True)
    assert _count(app, User) == before


def test_owner_changes_a_role_and_deactivates(client, app, make_user):
    log_in(client, make_user("owner"))
    staff = make_user("staff")
    response = _form_post(client, f"/settings/users/{staff.id}", {"name": "Promoted", "role": "marketer"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, staff.id)
        assert (user.name, user.role, user.active) == ("Promoted", "marketer", False)


def test_owner_cannot_demote_themself_when_last_owner(client, app, make_user):
    owner = make_user("owner")
    log_in(client, owner)
    response = _form_post(client, f"/settings/users/{owner.id}", {"name": "Me", "role": "staff", "active": "y"})
    assert "Keep at least one active owner" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, owner.id).role == "owner"


def test_locations_add_rename_and_reject_duplicates(client, app, make_user):
    log_in(client, make_user("owner"))
    assert "No locations yet" in client.get("/settings/locations").get_data(as_text=True)
    assert _form_post(client, "/settings/locations", {"name": "Main St", "address": "1 Main", "active": "y"}).status_code == 302
    response = _form_post(client, "/settings/locations", {"name": "main st", "active": "y"})
    assert "already a location called" in response.get_data(as_text=True)
    assert _count(app, Location) == 1
    with app.app_context():
        location_id = db.session.scalar(select(Location.id))
    assert _form_post(client, f"/settings/locations/{location_id}", {"name": "Harbour", "address": ""}).status_code == 302
    with app.app_context():
        place = db.session.get(Location, location_id)
        assert (place.name, place.active) == ("Harbour", False)


def test_business_settings_saved_and_bad_values_named(client, app, make_user):
    log_in(client, make_user("owner"))
    good = {"business_name": "Tooth Fairy Dental", "currency": "eur", "time_zone": "Europe/Lisbon",
            "default_gross_margin_pct": "62.5", "default_phone_region": "pt"}
    assert _form_post(client, "/settings/", good).status_code == 302
    with app.app_context():
        saved = db.session.get(BusinessSettings, 1)
        assert (saved.currency, saved.time_zone, saved.default_gross_margin_bp, saved.default_phone_region) == \
            ("EUR", "Europe/Lisbon", 6250, "PT")
    bad = dict(good, time_zone="Mars/Olympus", default_phone_region="QQ", default_gross_margin_pct="150")
    response = _form_post(client, "/settings/", bad)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "A percentage from 0 to 100" in text
    bad["default_gross_margin_pct"] = "50"
    text = _form_post(client, "/settings/", bad).get_data(as_text=True)
    assert "not a known time zone" in text and "two-letter country code" in text
    with app.app_context():
        assert db.session.get(BusinessSettings, 1).time_zone == "Europe/Lisbon"


def test_pages_carry_a_strict_content_security_policy(client, make_user):
    log_in(client, make_user("owner"))
    policy = client.get("/settings/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "unsafe-inline" not in policy


def test_error_pages_are_friendly(client, make_user):
    log_in(client, make_user("staff"))
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404 and "Page not found" in not_found.get_data(as_text=True)
    forbidden = client.get("/settings/")
    assert forbidden.status_code == 403 and "Not for your role" in forbidden.get_data(as_text=True)
