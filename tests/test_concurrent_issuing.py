"""Limits hold under concurrent claims and issues: many threads in two processes on PostgreSQL."""
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from tests.conftest import app_config
from tests.designs import design
from tests.workers import run_in_threads

PROCESSES, THREADS = 2, 8


def _make_campaign(url: str, **fields) -> tuple[int, str | None]:
    app = create_app(app_config(url))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Race", "unit_cost": "1", **fields}))
        campaigns.set_status(made, "active")
        result = made.id, made.claim_slug
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def _race(url: str, job: str, per_process: list[list]) -> list[tuple[str, object]]:
    start_at = time.time() + 1.5
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as pool:
        futures = [pool.submit(run_in_threads, url, start_at, THREADS, job, args) for args in per_process]
        return [result for future in futures for result in future.result(timeout=120)]


def _scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value


@pytest.mark.parametrize("per_customer_limit", [1, 3])
def test_one_customer_claiming_everywhere_at_once_gets_one_voucher(pg_database_url, per_customer_limit):
    campaign_id, slug = _make_campaign(pg_database_url, claim_page=True, per_customer_limit=per_customer_limit)
    results = _race(pg_database_url, "claim", [[(slug, "ana@example.com")] * THREADS for _ in range(PROCESSES)])
    codes = {value for status, value in results if status == "ok"}
    assert all(status == "ok" for status, _ in results), results
    assert len(codes) == 1  # claiming again returns the voucher already held
    assert _scalar(pg_database_url, "SELECT count(*) FROM voucher WHERE campaign_id = :c", c=campaign_id) == 1
    assert _scalar(pg_database_url, "SELECT count(*) FROM customer") == 1


def test_per_customer_limit_holds_for_direct_issues(pg_database_url):
    campaign_id, _ = _make_campaign(pg_database_url, per_customer_limit=2)
    results = _race(pg_database_url, "personal", [[(campaign_id, "ana@example.com")] * THREADS
                                                  for _ in range(PROCESSES)])
    assert sum(status == "ok" for status, _ in results) == 2
    assert {value for status, value in results if status == "error"} == {"customer_limit_reached"}
    assert _scalar(pg_database_url, "SELECT count(*) FROM voucher WHERE campaign_id = :c", c=campaign_id) == 2


def test_voucher_limit_holds_under_concurrent_claims(pg_database_url):
    campaign_id, slug = _make_campaign(pg_database_url, claim_page=True, voucher_limit=10)
    emails = [[(slug, f"p{process}-{i}@example.com") for i in range(THREADS * 2)] for process in range(PROCESSES)]
    results = _race(pg_database_url, "claim", emails)
    assert sum(status == "ok" for status, _ in results) == 10
    assert {value for status, value in results if status == "error"} == {"voucher_limit_reached"}
    assert _scalar(pg_database_url, "SELECT count(*) FROM voucher WHERE campaign_id = :c", c=campaign_id) == 10
    assert _scalar(pg_database_url, "SELECT vouchers_issued FROM campaign WHERE id = :c", c=campaign_id) == 10


def test_concurrent_batches_never_pass_the_limit(pg_database_url):
    campaign_id, _ = _make_campaign(pg_database_url, voucher_limit=1000)
    results = _race(pg_database_url, "batch", [[(campaign_id, 300)] * 3 for _ in range(PROCESSES)])
    made = [value for status, value in results if status == "ok"]
    assert made == [300, 300, 300] and len(results) == 6
    assert _scalar(pg_database_url, "SELECT count(*) FROM voucher WHERE campaign_id = :c", c=campaign_id) == 900


def test_the_first_use_of_the_settings_does_not_hold_other_writers(pg_database_url):
    """The default settings are made in a transaction of their own: a request that made them and goes on writing
    does not leave every other first user waiting on its uncommitted row (two such waits across the campaign row
    were a deadlock in the audience race)."""
    from threading import Event, Thread

    from campaigns.accounts.business import get_settings
    from campaigns.models import BusinessSettings

    app = create_app(app_config(pg_database_url))
    made, finish = Event(), Event()

    def first_user():
        with app.app_context():
            get_settings()
            made.set()
            finish.wait(10)  # its transaction stays open, as a long request's would
            db.session.rollback()

    thread = Thread(target=first_user)
    thread.start()
    try:
        assert made.wait(10)
        with app.app_context():
            db.session.execute(text("SET LOCAL lock_timeout = '1s'"))
            assert get_settings().business_name == "My business"  # before: lock timeout, waiting on the first
            db.session.rollback()
            assert db.session.query(BusinessSettings).count() == 1  # kept though the first user rolled back
            db.session.remove()
    finally:
        finish.set()
        thread.join()
        with app.app_context():
            db.engine.dispose()
