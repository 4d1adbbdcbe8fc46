"""Two app nodes as two machines would run them (issue 30): each gunicorn with 2 workers on a port of its own and
a job queue consumer, in production mode behind a pretend TLS proxy, sharing one PostgreSQL and one Redis
(scripts/nodes.py, as `make nodes` starts them). A code redeemed at both at once has one winner; a guesser spread
over both is stopped at the one shared count; a campaign send worked by both consumers e-mails each member once."""
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from campaigns.accounts import tokens
from campaigns.contacts.contact import make_contact
from campaigns.extensions import db
from campaigns.giving import audiences, codes, designs, vouchers
from campaigns.models import Campaign, Delivery
from scripts.nodes import PROXY, start_nodes, stop
from tests.conftest import app_config, free_port
from tests.designs import design
from tests.test_claim_page import SMTPServer

GUESSES = 4  # REDEEM_FAILURE_LIMIT below: per minute, across every node
MEMBERS = 40


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def nodes(pg_database_url, redis_url, smtp, tmp_path):
    """Two nodes on one database and one Redis; yields their base URLs, a staff and a marketer token, a campaign."""
    key = secrets.token_urlsafe(48)
    app = create_app(app_config(pg_database_url, SECRET_KEY=key))
    with app.app_context():
        _, staff = tokens.create_token("till", "staff")
        _, marketer = tokens.create_token("marketing", "marketer")
        campaign = designs.create_campaign(design({"name": "Latte", "unit_cost": "1", "offer": "One free latte"}))
        designs.set_status(campaign, "active")
        [code] = vouchers.issue_batch(campaign, 1, "counter")
        audiences.assign(campaign, [make_contact(f"m{i}@example.com") for i in range(MEMBERS)], 0)
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()  # before the nodes start; the engine is let go at the end
    from redis import Redis

    Redis.from_url(redis_url).flushall()  # the nodes use its databases /5 (limits) and /6 (queue)
    ports = [free_port(), free_port()]
    processes = start_nodes(pg_database_url, redis_url, ports, tmp_path, SECRET_KEY=key, MAIL_SERVER="127.0.0.1",
                            MAIL_PORT=str(smtp.port), REDEEM_FAILURE_LIMIT=f"{GUESSES} per minute",
                            BASE_URL="https://vouchers.example.com")
    yield [f"http://127.0.0.1:{port}" for port in ports], staff, marketer, campaign_id, code, app
    stop(processes)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _post(base: str, path: str, token: str, body: dict, client: str = "198.51.100.7") -> requests.Response:
    return requests.post(base + path, json=body, timeout=30, headers={
        **PROXY, "X-Forwarded-For": client, "Authorization": f"Bearer {token}"})


def test_two_nodes_share_one_winner_per_code_one_limit_count_and_each_job_once(nodes, smtp):
    bases, staff, marketer, campaign_id, code, app = nodes

    # One winner per code: 16 tills at once, spread over both nodes and their four workers.
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda base: _post(base, "/api/v1/redemptions", staff, {"code": code}).status_code,
                                [base for base, _ in zip(cycle(bases), range(16), strict=False)]))
    assert sorted(answers) == [201] + [409] * 15, answers

    # One limit count: a guesser (one client address, one token) alternating between the nodes is stopped after
    # GUESSES wrong codes in all, not GUESSES per node or per worker.
    guesses = [_post(base, "/api/v1/redemptions", staff, {"code": codes.format_code(codes.generate())},
                     client="203.0.113.9").status_code
               for base, _ in zip(cycle(bases), range(GUESSES + 2), strict=False)]
    assert guesses == [404] * GUESSES + [429, 429], guesses

    # Each queued job once: a send started at node 1 is worked by both nodes' consumers.
    started = _post(bases[0], f"/api/v1/campaigns/{campaign_id}/sends", marketer, {})
    assert started.status_code == 202, started.text
    send_id = started.json()["send_id"]
    deadline = time.monotonic() + 60
    while True:
        progress = requests.get(f"{bases[1]}/api/v1/sends/{send_id}", timeout=10,
                                headers={**PROXY, "Authorization": f"Bearer {marketer}"}).json()
        if progress["status"] == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (progress["status"], progress["sent"], progress["failed"]) == ("done", MEMBERS, 0), progress
    received = [message["X-Envelope-To"] for message in smtp.inbox.messages]
    assert sorted(received) == sorted(f"m{i}@example.com" for i in range(MEMBERS))  # each exactly once
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1
        assert db.session.scalar(select(func.count()).where(Delivery.status == "sent")) == MEMBERS
