"""Log-in, rate limiting of wrong passwords, password rules, first-run set-up, and how secrets are stored."""
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from campaigns.accounts import users as accounts
from campaigns.core.addresses import email_limit_key
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.models import ApiToken, User
from tests.conftest import APP_PASSWORD_METHOD, PASSWORD, csrf_from, log_in


def _post_login(client, email, password):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_right_password_logs_in(client, make_user):
    owner = make_user("owner")
    response = _post_login(client, owner.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert client.get("/settings/").status_code == 200


def test_wrong_password_is_refused_with_a_clear_message(client, make_user):
    owner = make_user("owner")
    response = _post_login(client, owner.email, "wrong password")
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/settings/").status_code == 302


def test_wrong_passwords_are_rate_limited(client, make_user):
    owner = make_user("owner")
    statuses = [_post_login(client, owner.email, f"wrong {i}").status_code for i in range(5)]
    assert statuses == [401] * 5
    blocked = _post_login(client, owner.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_good_log_ins_do_not_use_up_the_limit(app, make_user):
    owner = make_user("owner")
    for _ in range(8):
        client = app.test_client()
        assert _post_login(client, owner.email, PASSWORD).status_code == 302


def test_deactivated_user_cannot_log_in(client, app, make_user):
    staff = make_user("staff")
    with app.app_context():
        db.session.get(User, staff.id).active = False
        db.session.commit()
    assert _post_login(client, staff.email, PASSWORD).status_code == 401


def test_passwords_and_tokens_are_never_stored_in_plain_text(app, make_user, make_token, monkeypatch):
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", APP_PASSWORD_METHOD)  # the app's own choice, not the suite's
    owner = make_user("owner")
    secret = make_token("staff")
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
        stored = db.session.scalars(select(ApiToken)).one()
        assert secret not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64


def test_first_run_leads_to_setup_and_creates_the_owner(client, app):
    assert client.get("/desk/").location == "/setup"
    page = client.get("/setup").get_data(as_text=True)
    form = {"business_name": "Tooth Fairy Dental", "name": "Dr Ana", "email": "ana@example.com",
            "password": "a long password", "confirm": "a long password", "csrf_token": csrf_from(page)}
    response = client.post("/setup", data=form)
    assert response.status_code == 302
    with app.app_context():
        owner = db.session.scalars(select(User)).one()
        assert (owner.email, owner.role) == ("ana@example.com", "owner")
    assert client.get("/settings/").status_code == 200
    assert client.get("/setup").location == "/login"


def test_setup_with_bad_input_creates_nothing(client, app):
    page = client.get("/setup").get_data(as_text=True)
    form = {"business_name": "X", "name": "Dr Ana", "email": "not-an-email", "password": "short",
            "confirm": "different", "csrf_token": csrf_from(page)}
    response = client.post("/setup", data=form)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Invalid email address" in text and "Passwords differ" in text
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_logout(client, make_user):
    log_in(client, make_user("staff"))
    page = client.get("/desk/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert client.get("/desk/").status_code == 302


def test_next_only_follows_local_paths(client, make_user):
    owner = make_user("owner")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example/x",
                           data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    assert response.location == "/"


def _login_from(client, address, email, password, next_url=None):
    environ = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_overrides=environ).get_data(as_text=True))
    url = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
    return client.post(url, environ_overrides=environ, data={"email": email, "password": password,
                                                             "csrf_token": token})


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out_elsewhere(app, make_user):
    owner = make_user("owner")
    stranger = app.test_client()
    statuses = [_login_from(stranger, "203.0.113.66", owner.email, f"guess {i}").status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    assert _login_from(stranger, "203.0.113.66", owner.email, PASSWORD).status_code == 429
    assert _login_from(app.test_client(), "198.51.100.10", owner.email, PASSWORD).status_code == 302


def test_full_width_and_case_variants_of_the_email_count_against_one_limit(app, make_user):
    owner = make_user("owner", email="owner@example.com")
    variants = ["owner@example.com", "OWNER@EXAMPLE.COM", "owner@ｅxample.com", "ｏwner@example.com",
                "Owner@Example.Com"]
    client = app.test_client()
    statuses = [_login_from(client, "203.0.113.5", email, "wrong password").status_code for email in variants]
    assert statuses == [401] * 5
    assert _login_from(client, "203.0.113.5", "owner@ｅｘａｍｐｌｅ.com", owner.password).status_code == 429


def test_one_address_guessing_many_emails_is_limited_too(app, make_user):
    make_user("owner")
    client = app.test_client()
    statuses = [_login_from(client, "203.0.113.9", f"someone{i}@example.com", "wrong password").status_code
                for i in range(21)]
    assert statuses == [401] * 20 + [429]


def test_email_limit_key_is_the_normalised_email():
    assert email_limit_key(" ＯWNER@ｅxample.COM ") == "owner@example.com"
    assert email_limit_key("not an address Ｘ") == "not an address x"


@pytest.mark.parametrize("password, says", [
    ("short pw 1", "at least 12"),
    ("aaaaaaaaaaaa", "too easy to guess"),
    ("password1234", "too easy to guess"),
    ("ana.lopez-rocks-2024", "e-mail"),
    ("ANA.LOPEZ and friends", "e-mail"),
    ("Ana Lopez 1990", "too easy to guess"),
])
def test_weak_passwords_are_refused_naming_the_field(ctx, password, says):
    with pytest.raises(ValidationError) as error:
        accounts.create_user("ana.lopez@example.com", "Ana Lopez", "staff", password)
    assert says in error.value.details["fields"]["password"]
    assert accounts.user_count() == 0


def test_a_good_password_passes_and_the_rule_holds_for_a_reset_too(ctx):
    user = accounts.create_user("ana.lopez@example.com", "Ana Lopez", "staff", "quince jam on rye toast")
    with pytest.raises(ValidationError) as error:
        accounts.set_password(user, "aaaaaaaaaaaa")
    assert "password" in error.value.details["fields"]
    accounts.set_password(user, "kettle drum in the attic")
    assert accounts.authenticate("ana.lopez@example.com", "kettle drum in the attic") == user


def test_setup_page_shows_why_a_password_is_weak(client, app):
    page = client.get("/setup").get_data(as_text=True)
    form = {"business_name": "Tooth Fairy Dental", "name": "Dr Ana", "email": "ana@example.com",
            "password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa", "csrf_token": csrf_from(page)}
    text = client.post("/setup", data=form).get_data(as_text=True)
    assert "too easy to guess" in text and "Repeats like" in text
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


@pytest.mark.parametrize("target", [
    "/desk/\r\nSet-Cookie: x=1", "/desk/\n", "/desk/%0d%0a", "//evil.example/x", "/\\evil.example/x",
    "\\\\evil.example", "/desk/\x00", "/desk/\t", "javascript:alert(1)", "https://evil.example/x", "desk/",
    "/desk/\u2028", "/\u202eevil",
])
def test_next_with_control_characters_or_another_host_goes_home(app, make_user, target):
    owner = make_user("owner")
    response = _login_from(app.test_client(), "192.0.2.1", owner.email, PASSWORD, next_url=target)
    assert response.status_code == 302
    expected = "/desk/%0d%0a" if target == "/desk/%0d%0a" else "/"
    assert response.location == expected


def test_next_to_a_local_page_is_followed(app, make_user):
    owner = make_user("owner")
    response = _login_from(app.test_client(), "192.0.2.1", owner.email, PASSWORD, next_url="/settings/users?x=1")
    assert response.location == "/settings/users?x=1"
