"""One access rule per route, checked before every view: deny by default, staff kept out of the rest."""
import re

import pytest

from campaigns.web.access import PUBLIC, ROLE_RANK
from tests.conftest import log_in


def _routes(app):
    """Every (rule, method, endpoint, role) the app serves, static files aside."""
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            role = getattr(app.view_functions[rule.endpoint], "required_role", None)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, role


def _url(rule) -> str:
    """The rule with 1 for every path parameter."""
    return re.sub(r"<[^>]+>", "1", rule.rule)


def test_every_route_declares_who_may_use_it(app):
    missing = [f"{method} {rule.rule}" for rule, method, role in _routes(app) if role not in (*ROLE_RANK, PUBLIC)]
    assert missing == [], f"routes without an access rule (add @requires or @public): {missing}"


def test_a_route_without_a_rule_is_refused(app, make_user):
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    client = app.test_client()
    log_in(client, make_user("owner"))
    assert client.get("/forgotten").status_code == 403


def test_staff_get_403_on_every_marketer_and_owner_page_and_api_route(app, make_user, make_token):
    staff = make_user("staff")
    web = app.test_client()
    assert log_in(web, staff).status_code == 302
    api = app.test_client()
    headers = {"Authorization": f"Bearer {make_token('staff')}"}
    checked = []
    for rule, method, role in _routes(app):
        if role not in ("marketer", "owner"):
            continue
        url = _url(rule)
        if rule.rule.startswith("/api/"):
            response = api.open(url, method=method, headers=headers, json={})
        else:
            response = web.open(url, method=method, data={})
        assert response.status_code == 403, f"{method} {url} answered {response.status_code} to staff"
        checked.append(url)
    assert "/settings/users" in checked and "/dashboard/" in checked and "/campaigns/" in checked


def test_marketer_is_kept_out_of_owner_pages(client, make_user):
    log_in(client, make_user("marketer"))
    assert client.get("/settings/users").status_code == 403
    assert client.get("/campaigns/").status_code == 200


def test_signed_out_visitors_are_sent_to_log_in(client, make_user):
    make_user("owner")
    response = client.get("/settings/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/settings/")


def test_api_without_a_token_is_401_json(client, make_user):
    make_user("owner")
    app = client.application
    rules = [rule for rule, _, role in _routes(app) if rule.rule.startswith("/api/") and role != PUBLIC]
    for rule in rules:
        response = client.get(_url(rule), headers={"Authorization": "Bearer rcp_wrong"})
        assert response.status_code in (401, 405)
        if response.status_code == 401:
            assert response.get_json()["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role, allowed", [("staff", {"desk"}), ("marketer", {"desk", "campaigns", "dashboard"}),
                                           ("owner", {"desk", "campaigns", "dashboard", "settings"})])
def test_home_sends_each_role_to_a_page_it_may_open(client, make_user, role, allowed):
    log_in(client, make_user(role))
    target = client.get("/").location
    assert target.strip("/").split("/")[0] in allowed
    assert client.get(target).status_code == 200
