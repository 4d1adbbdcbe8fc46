"""Sessions end server-side: a copied session cookie stops working after each event that ends sessions."""
from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, csrf_from, log_in

NEW_PASSWORD = "quince jam on rye toast"


def _form_post(client, url, data, page=None):
    data = dict(data, csrf_token=csrf_from(client.get(page or url).get_data(as_text=True)))
    return client.post(url, data=data)


def _copy_of(app, client):
    """Return a second client carrying the same session cookie as `client`: a stolen or copied cookie."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def _signed_in_copy(app, client, person):
    log_in(client, person)
    copy = _copy_of(app, client)
    assert copy.get("/desk/").status_code == 200  # the copy works before the event
    return copy


def _refused(copy) -> bool:
    response = copy.get("/desk/")
    return response.status_code == 302 and response.location.startswith("/login")


def test_log_out_ends_a_copied_session(app, client, make_user):
    staff = make_user("staff")
    copy = _signed_in_copy(app, client, staff)
    assert _form_post(client, "/logout", {}, page="/desk/").status_code == 302
    assert _refused(copy)


def test_changing_ones_own_password_ends_every_other_session(app, client, make_user):
    staff = make_user("staff")
    copy = _signed_in_copy(app, client, staff)
    response = _form_post(client, "/account", {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _refused(copy)
    assert client.get("/desk/").status_code == 200  # the browser that changed it carries on
    assert log_in(app.test_client(), staff).status_code == 401  # the old password no longer works
    staff.password = NEW_PASSWORD
    assert log_in(app.test_client(), staff).status_code == 302


def test_own_password_change_needs_the_current_password_and_a_good_new_one(app, client, make_user):
    staff = make_user("staff")
    copy = _signed_in_copy(app, client, staff)
    wrong = _form_post(client, "/account", {"current_password": "not my password", "password": NEW_PASSWORD,
                                             "confirm": NEW_PASSWORD})
    assert wrong.status_code == 200 and "not your current password" in wrong.get_data(as_text=True)
    weak = _form_post(client, "/account", {"current_password": PASSWORD, "password": "aaaaaaaaaaaa",
                                            "confirm": "aaaaaaaaaaaa"})
    assert weak.status_code == 200 and "too easy to guess" in weak.get_data(as_text=True)
    assert copy.get("/desk/").status_code == 200  # nothing changed, so nothing ended
    assert log_in(app.test_client(), staff).status_code == 302


@pytest.mark.parametrize("change", [
    {"name": "Staff Person", "role": "staff", "active": "y", "password": NEW_PASSWORD},  # reset by an owner
    {"name": "Staff Person", "role": "staff"},  # deactivation
    {"name": "Staff Person", "role": "marketer", "active": "y"},  # role change
], ids=["password-reset", "deactivation", "role-change"])
def test_an_owners_change_ends_the_users_sessions(app, client, make_user, change):
    staff = make_user("staff", name="Staff Person")
    copy = _signed_in_copy(app, client, staff)
    owner = app.test_client()
    log_in(owner, make_user("owner"))
    assert _form_post(owner, f"/settings/users/{staff.id}", change).status_code == 302
    assert _refused(copy) and _refused(client)


def test_renaming_a_user_leaves_their_sessions_alone(app, client, make_user):
    staff = make_user("staff", name="Staff Person")
    copy = _signed_in_copy(app, client, staff)
    owner = app.test_client()
    log_in(owner, make_user("owner"))
    change = {"name": "Renamed", "role": "staff", "active": "y"}
    assert _form_post(owner, f"/settings/users/{staff.id}", change).status_code == 302
    assert copy.get("/desk/").status_code == 200


def test_an_owner_editing_themself_stays_signed_in_here_only(app, client, make_user):
    me = make_user("owner", name="Me")
    make_user("owner")
    copy = _signed_in_copy(app, client, me)
    with client.session_transaction() as session:
        session["signed_in_at"] = signed_in_at = session["signed_in_at"] - 3600
    response = _form_post(client, f"/settings/users/{me.id}", {"name": "Me", "role": "marketer", "active": "y"})
    assert response.status_code == 302
    assert client.get("/campaigns/").status_code == 200 and client.get("/settings/").status_code == 403
    assert _refused(copy)
    with client.session_transaction() as session:
        assert session["signed_in_at"] == signed_in_at  # staying signed in does not lengthen the session


def test_sessions_have_a_lifetime(app, client, make_user):
    assert app.config["SESSION_LIFETIME_HOURS"] == 12
    assert app.permanent_session_lifetime == timedelta(hours=12)
    response = log_in(client, make_user("staff"))
    assert "Expires=" in response.headers["Set-Cookie"]
    assert client.get("/desk/").status_code == 200
    with client.session_transaction() as session:
        assert session.permanent
        session["signed_in_at"] -= 12 * 3600 - 60  # a minute short of the lifetime: still good
    assert client.get("/desk/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 120  # past it, however busy the session has been since
    assert _refused(client)


def test_a_session_from_before_session_versions_must_sign_in_again(app, client, make_user):
    staff = make_user("staff")
    log_in(client, staff)
    with client.session_transaction() as session:
        session["_user_id"] = str(staff.id)
    assert _refused(client)


def test_ending_sessions_raises_the_version_at_the_service(ctx):
    from campaigns.accounts import users as accounts

    user = accounts.create_user("ana@example.com", "Ana", "staff", PASSWORD)
    first = user.get_id()
    accounts.end_sessions(user)
    assert user.get_id() != first and user.get_id() == f"{user.id}:{user.session_version}"
