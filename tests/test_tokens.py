"""API tokens: made in the owner's settings or by the CLI, hashed, revocable, acting with their role."""
from sqlalchemy import select

from campaigns.extensions import db
from campaigns.models import ApiToken
from tests.conftest import csrf_from, log_in


def test_cli_create_token_prints_the_token_as_the_last_line(runner, app, client):
    result = runner.invoke(args=["create-token", "Main St till", "--role", "staff"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rcp_")
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert (token.name, token.role) == ("Main St till", "staff")
    # The token authenticates: an owner-only route refuses it with 403, not 401.
    response = client.get("/api/v1/health", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_cli_create_token_refuses_a_bad_role(runner):
    result = runner.invoke(args=["create-token", "x", "--role", "admin"])
    assert result.exit_code != 0 and "admin" in result.output


def test_owner_makes_and_revokes_a_token_in_settings(client, app, make_user):
    log_in(client, make_user("owner"))
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "No tokens yet" in page
    response = client.post("/settings/tokens", data={"name": "POS", "role": "marketer", "csrf_token": csrf_from(page)})
    shown = response.get_data(as_text=True)
    assert response.status_code == 200 and "Copy it now" in shown
    secret = shown.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert token.role == "marketer" and token.revoked_at is None
        token_id = token.id
    assert secret not in client.get("/settings/tokens").get_data(as_text=True)
    page = client.get("/settings/tokens").get_data(as_text=True)
    client.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_a_revoked_token_is_401(client, app, make_token):
    secret = make_token("owner")
    from campaigns.accounts import tokens

    with app.app_context():
        tokens.revoke_token(db.session.scalars(select(ApiToken.id)).one())
        db.session.commit()
    response = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200  # public
    with app.app_context():
        assert tokens.find_token(secret) is None


def test_token_role_is_enforced(app, make_token):
    staff_secret, owner_secret = make_token("staff"), make_token("owner")
    probe = "/api/v1/_probe_owner"

    from campaigns.web.access import requires

    @requires("owner")
    def probe_view():
        return {"ok": True}

    app.add_url_rule(probe, "api_probe_owner", probe_view)
    client = app.test_client()
    assert client.get(probe, headers={"Authorization": f"Bearer {staff_secret}"}).status_code == 403
    assert client.get(probe, headers={"Authorization": f"Bearer {owner_secret}"}).status_code == 200
    assert client.get(probe).status_code == 401


def test_the_bearer_scheme_is_case_insensitive(client, make_token):
    secret = make_token("staff")
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = client.get("/api/v1/vouchers/K7QM-3XTD-9PRA-W", headers={"Authorization": f"{scheme} {secret}"})
        assert response.status_code != 401, scheme
    assert client.get("/api/v1/vouchers/K7QM-3XTD-9PRA-W", headers={"Authorization": "Basic x"}).status_code == 401
