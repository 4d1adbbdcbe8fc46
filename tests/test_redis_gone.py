"""Redis gone (issue 30, README "Running in production"): it holds the shared rate-limit counts and, with
QUEUE_URL=redis://…, the job queue. A Redis of this test's own is stopped and started again:
- the rate limits still hold, counted in each process's memory meanwhile (never lifted, never a 500);
- a request that would queue work (a claim by e-mail) answers 503 `unavailable` with Retry-After and writes
  nothing, while one that queues nothing (a claim by phone) works;
- health says the queue is unreachable and stays 200 (the node is alive); readiness answers 503;
- when Redis is back, the node is ready again and queues work, without a restart."""
import time

import pytest
from sqlalchemy import func, select

from app import create_app
from campaigns.extensions import db
from campaigns.models import Campaign, Customer, Delivery
from tests.conftest import app_config, free_port, start_redis
from tests.designs import design
from tests.test_claim_page import claim

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def node(database_url, tmp_path):
    """An app whose rate limits and queue live in a Redis of its own; yields it and a switch for that Redis."""
    port = free_port()
    redis = {"server": start_redis(port, tmp_path)}
    app = create_app(app_config(database_url, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/3",
                                QUEUE_URL=f"redis://127.0.0.1:{port}/4", CLAIM_RATE_LIMIT="3 per minute"))

    def switch(on: bool) -> None:
        if on:
            redis["server"] = start_redis(port, tmp_path)
        else:
            redis["server"].kill()
            redis["server"].wait(timeout=10)

    yield app, switch
    redis["server"].kill()
    redis["server"].wait(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _claim_url(app) -> str:
    from campaigns.giving import designs

    with app.app_context():
        campaign = designs.create_campaign(design({"name": "Latte", "unit_cost": "1", "offer": "One free latte",
                                                   "claim_page": True}))
        designs.set_status(campaign, "active")
        db.session.commit()
        return f"/claim/{db.session.get(Campaign, campaign.id).claim_slug}"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_with_redis_gone_limits_still_hold_queued_work_is_refused_whole_and_it_all_comes_back(node):
    app, switch = node
    client = app.test_client()
    url = _claim_url(app)
    assert client.get("/api/v1/ready").get_json() == {"status": "ok", "database": "ok", "queue": "ok"}

    switch(False)
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.get_json()["queue"] == "unreachable"  # alive, not ready
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 503 and ready.get_json() == {"status": "error", "database": "ok",
                                                             "queue": "unreachable"}
    by_phone = [claim(app, url, ip="10.0.0.7", phone=f"+1 650 253 000{i}").status_code for i in range(4)]
    assert by_phone == [302, 302, 302, 429]  # the limit is counted in memory meanwhile: never lifted, never 500
    customers = _count(app, Customer)
    by_email = claim(app, url, ip="10.0.0.8", email="ana@example.com")
    assert by_email.status_code == 503 and int(by_email.headers["Retry-After"]) > 0
    assert _count(app, Customer) == customers and _count(app, Delivery) == 0  # nothing of it written

    switch(True)
    deadline = time.monotonic() + 10
    while client.get("/api/v1/ready").status_code != 200:
        assert time.monotonic() < deadline, "the node did not become ready again"
        time.sleep(0.1)
    again = claim(app, url, ip="10.0.0.9", email="ana@example.com")
    assert again.status_code == 302 and _count(app, Delivery) == 1  # queued on Redis again, no restart
