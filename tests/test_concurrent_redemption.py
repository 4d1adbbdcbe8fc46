"""No double redemption: many threads in two processes redeem the same code at once on PostgreSQL."""
from sqlalchemy import text

from app import create_app
from campaigns.accounts import business
from campaigns.accounts.users import create_user
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch
from tests.conftest import app_config
from tests.designs import design
from tests.test_concurrent_issuing import PROCESSES, THREADS, _race, _scalar


def _counter(url: str) -> tuple[list[str], int]:
    app = create_app(app_config(url))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Race", "unit_cost": "1", "offer": "One free latte"}))
        campaigns.set_status(made, "active")
        codes = issue_batch(made, 3, "flyer")
        business.create_location("Main St")
        user_id = create_user("ana@example.com", "Ana", "staff", "long enough pw").id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return codes, user_id


def test_exactly_one_of_many_simultaneous_redemptions_wins(pg_database_url):
    codes, user_id = _counter(pg_database_url)
    attempts = THREADS * 2
    results = _race(pg_database_url, "redeem", [[(codes[0], user_id, "Main St")] * attempts
                                                for _ in range(PROCESSES)])
    outcomes = sorted(value if status == "error" else "redeemed" for status, value in results)
    assert outcomes.count("redeemed") == 1
    assert outcomes.count("already_redeemed") == PROCESSES * attempts - 1
    count = lambda sql: _scalar(pg_database_url, sql, c=codes[0])  # noqa: E731
    assert count("SELECT count(*) FROM redemption r JOIN voucher v ON v.id = r.voucher_id WHERE v.code = :c") == 1
    assert count("SELECT count(*) FROM audit_entry WHERE action = 'redeem' AND subject_id = :c") == PROCESSES * attempts
    assert count("SELECT count(*) FROM audit_entry WHERE outcome = 'redeemed' AND subject_id = :c") == 1


def test_different_codes_at_once_all_redeem(pg_database_url):
    codes, user_id = _counter(pg_database_url)
    results = _race(pg_database_url, "redeem", [[(code, user_id, "Main St") for code in codes[p::PROCESSES]]
                                                for p in range(PROCESSES)])
    assert all(status == "ok" for status, _ in results) and len(results) == 3
    assert _scalar(pg_database_url, "SELECT count(*) FROM voucher WHERE redeemed_at IS NOT NULL") == 3


def test_the_database_refuses_a_second_live_redemption_whatever_the_code(pg_database_url):
    codes, _ = _counter(pg_database_url)
    from sqlalchemy import create_engine
    from sqlalchemy.exc import IntegrityError

    engine = create_engine(pg_database_url)
    insert = text("INSERT INTO redemption (voucher_id, campaign_id, redeemed_at, recorded_at) "
                  "SELECT id, campaign_id, now(), now() FROM voucher WHERE code = :c")
    with engine.begin() as conn:
        conn.execute(insert, {"c": codes[1]})
    try:
        with engine.begin() as conn:
            conn.execute(insert, {"c": codes[1]})
        raised = False
    except IntegrityError:
        raised = True
    engine.dispose()
    assert raised
