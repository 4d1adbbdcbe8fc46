"""One answer per voucher and one feedback e-mail per voucher, whatever the concurrency: many threads in two
processes on PostgreSQL."""
from datetime import UTC, datetime, timedelta

from app import create_app
from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch
from tests.conftest import app_config
from tests.designs import design
from tests.test_concurrent_issuing import PROCESSES, THREADS, _race, _scalar

REDEEMED = datetime.now(UTC) - timedelta(hours=3)


def _redeemed(url: str, count: int, **fields) -> list[str]:
    """Codes of `count` vouchers redeemed three hours ago, each by its own customer with an e-mail."""
    app = create_app(app_config(url))
    with app.app_context():
        made = campaigns.create_campaign(design({"name": "Race", "unit_cost": "1", **fields}))
        campaigns.set_status(made, "active")
        codes = issue_batch(made, count, "flyer")
        for index, code in enumerate(codes):
            redemption.redeem(code, redemption.Attempt(customer=make_contact(f"p{index}@example.com")), now=REDEEMED)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return codes


def test_of_many_first_answers_at_once_one_is_stored(pg_database_url):
    [code] = _redeemed(pg_database_url, 1)
    results = _race(pg_database_url, "answer", [[(code, score, None) for score in range(THREADS)]
                                                for _ in range(PROCESSES)])
    outcomes = sorted(value if status == "error" else "stored" for status, value in results)
    assert outcomes.count("stored") == 1 and outcomes.count("already_answered") == PROCESSES * THREADS - 1
    assert _scalar(pg_database_url, "SELECT count(*) FROM feedback") == 1


def test_of_many_changes_to_one_version_at_once_one_is_taken(pg_database_url):
    [code] = _redeemed(pg_database_url, 1)
    assert _race(pg_database_url, "answer", [[(code, 5, None)], []]) == [("ok", 1)]
    results = _race(pg_database_url, "answer", [[(code, score, 1) for score in range(THREADS)]
                                                for _ in range(PROCESSES)])
    assert sorted(results).count(("ok", 2)) == 1
    assert [value for status, value in results if status == "error"] == ["already_answered"] * (PROCESSES * THREADS - 1)
    assert _scalar(pg_database_url, "SELECT version FROM feedback") == 2


def test_senders_at_once_claim_each_feedback_e_mail_once(pg_database_url):
    codes = _redeemed(pg_database_url, 12, feedback_mail_delay_hours=2)
    now = (REDEEMED + timedelta(hours=2, minutes=1)).isoformat()
    results = _race(pg_database_url, "claim_invites", [[(now,)] * THREADS for _ in range(PROCESSES)])
    claimed = [voucher_id for status, ids in results if status == "ok" for voucher_id in ids]
    assert all(status == "ok" for status, _ in results)
    assert len(claimed) == len(set(claimed)) == len(codes)  # every due e-mail, each by one sender
    assert _scalar(pg_database_url, "SELECT count(*) FROM feedback_invite") == len(codes)
