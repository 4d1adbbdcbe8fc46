"""Log-in, rate limiting of wrong passwords, first-run set-up, and how secrets are stored."""
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import ApiToken, User
from tests.conftest import PASSWORD, csrf_from, log_in


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


def test_passwords_and_tokens_are_never_stored_in_plain_text(app, make_user, make_token):
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
