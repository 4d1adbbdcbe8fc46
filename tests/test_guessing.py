"""The failed-redemption limits (campaigns/web/guessing.py): only guesses count, per address and per user or token,
in flask-limiter's storage under the keys its shared limits used, shared by the API and the desk's plain form; a
breach is audited once and answered 429 with Retry-After; while Redis is away the counts are kept in memory."""
import time

import pytest
from sqlalchemy import select

from app import create_app
from campaigns.accounts import tokens
from campaigns.extensions import db, limiter
from campaigns.giving import codes
from campaigns.giving.vouchers import issue_batch
from campaigns.models import AuditEntry, Campaign
from tests.conftest import app_config, csrf_from, free_port, log_in, start_redis

GUESS_LIMIT = "3 per minute;5 per hour"


def _till(app, make_campaign, address="10.0.0.1", vouchers=4):
    """An active campaign's codes and a staff token; `post(body, address)` redeems through the API."""
    campaign_id = make_campaign(status="active")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), vouchers, "flyer")
        token, secret = tokens.create_token("till", "staff")
        db.session.commit()
        token_id = token.id
    client = app.test_client()

    def post(body: dict, at: str = address):
        return client.post("/api/v1/redemptions", json=body, headers={"Authorization": f"Bearer {secret}"},
                           environ_base={"REMOTE_ADDR": at})

    return {"codes": made, "post": post, "token_id": token_id}


@pytest.fixture
def till(app, make_campaign):
    app.config["REDEEM_FAILURE_LIMIT"] = GUESS_LIMIT
    return _till(app, make_campaign)


def _rate_limited(app) -> list[dict]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.details).where(AuditEntry.outcome == "rate_limited")))


def test_guesses_count_under_flask_limiters_keys_and_successes_do_not(app, till):
    for code in till["codes"][:3]:
        assert till["post"]({"code": code}).status_code == 201
    assert till["post"]({"code": till["codes"][0]}).status_code == 409  # a used voucher scanned again: no guess
    assert limiter.storage.get("LIMITER/10.0.0.1/redeem-failures-address/3/1/minute") == 0
    assert till["post"]({"code": codes.generate()}).status_code == 404
    code = till["codes"][3]
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    assert till["post"]({"code": typo}).get_json()["error"]["code"] == "invalid_code"  # a mistyped code is a guess
    for limit in ("3/1/minute", "5/1/hour"):
        assert limiter.storage.get(f"LIMITER/10.0.0.1/redeem-failures-address/{limit}") == 2
        assert limiter.storage.get(f"LIMITER/token:{till['token_id']}/redeem-failures-identity/{limit}") == 2


def test_a_breach_answers_429_with_retry_after_and_is_audited_once(app, till):
    statuses = [till["post"]({"code": codes.generate()}).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]  # both keys' minute limits are reached at once: one audit entry
    refused = till["post"]({"code": till["codes"][0]})  # a good code too, while limited
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == "3" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert _rate_limited(app) == [{"limit": "3 per 1 minute"}] * 2
    assert limiter.storage.get("LIMITER/10.0.0.1/redeem-failures-address/3/1/minute") == 3  # refusals add nothing
    assert till["post"]({"code": till["codes"][0]}, at="10.0.0.2").status_code == 429  # the token's own count


def test_each_key_counts_on_its_own(app, till, make_campaign):
    for _ in range(3):
        till["post"]({"code": codes.generate()}, at="10.0.0.7")
    assert till["post"]({"code": till["codes"][0]}, at="10.0.0.8").status_code == 429  # this token, elsewhere
    other = _till(app, make_campaign, address="10.0.0.9")
    assert other["post"]({"code": other["codes"][0]}).status_code == 201  # another token, another address
    assert other["post"]({"code": other["codes"][1]}, at="10.0.0.7").status_code == 429  # the guessing address


def test_the_plain_form_and_the_api_share_the_counts(app, till, make_user):
    client = app.test_client()
    log_in(client, make_user("staff"))
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    for _ in range(3):
        sent = client.post("/desk/redeem", data={"code": codes.generate(), "csrf_token": token},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"})
        assert sent.status_code == 302
    assert till["post"]({"code": till["codes"][0]}).status_code == 429  # the API, from the form's address
    page = client.post("/desk/redeem", data={"code": till["codes"][1], "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "10.0.0.5"})  # the same person elsewhere: their own count
    assert page.status_code == 429 and "Too many attempts" in page.get_data(as_text=True)
    assert 0 < int(page.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_with_redis_away_the_counts_are_kept_in_memory_until_it_is_back(database_url, tmp_path, make_campaign):
    port = free_port()
    app = create_app(app_config(database_url, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/3",
                                REDEEM_FAILURE_LIMIT="3 per minute"))
    till = _till(app, make_campaign, vouchers=1)
    statuses = [till["post"]({"code": codes.generate()}).status_code for _ in range(4)]  # no Redis yet
    assert statuses == [404, 404, 404, 429]  # counted in memory: never lifted, never a 500
    server = start_redis(port, tmp_path)
    try:
        time.sleep(1.1)  # the first try of the storage again comes a second after it failed
        assert till["post"]({"code": codes.generate()}, at="10.0.0.2").status_code == 404
        kept = limiter.storage.get(f"LIMITER/token:{till['token_id']}/redeem-failures-identity/3/1/minute")
        assert kept == 1  # counted in Redis again, where every node sees it
    finally:
        server.kill()
        server.wait(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
