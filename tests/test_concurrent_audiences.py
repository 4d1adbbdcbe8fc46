"""One list assigned from many threads in two processes at once, on PostgreSQL: each member is drawn once and
keeps that draw, each treatment member holds exactly one voucher, and every caller is told the stored groups.
The later writers find members and slots taken while writing set-based, and fall back to one member at a time."""
import random

from sqlalchemy import create_engine, text

from app import create_app
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import resolve_customers
from campaigns.extensions import db
from tests.conftest import app_config
from tests.test_concurrent_issuing import PROCESSES, THREADS, _make_campaign, _race

PEOPLE = [f"member{i}@example.com" for i in range(60)]


def _rows(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    engine.dispose()
    return rows


def _known(url: str) -> None:
    """Make the people customers beforehand, so that the writers race over the draw, not over creating them."""
    app = create_app(app_config(url))
    with app.app_context():
        resolve_customers([make_contact(email) for email in PEOPLE])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_list_assigned_everywhere_at_once_draws_each_member_once(pg_database_url):
    campaign_id, _ = _make_campaign(pg_database_url)
    _known(pg_database_url)
    shuffled = random.Random(29)
    lists = [[(campaign_id, shuffled.sample(PEOPLE, 40), 50) for _ in range(THREADS)] for _ in range(PROCESSES)]
    results = _race(pg_database_url, "audience", lists)
    assert all(status == "ok" for status, _ in results), [value for status, value in results if status != "ok"]
    stored = {email: (group, code) for email, group, code in _rows(pg_database_url, """
        SELECT c.email, a.group_name, v.code FROM audience_assignment a JOIN customer c ON c.id = a.customer_id
        LEFT JOIN voucher v ON v.id = a.voucher_id WHERE a.campaign_id = :c""", c=campaign_id)}
    named = {email for per_process in lists for _, emails, _ in per_process for email in emails}
    assert set(stored) == named  # one row per member (the unique constraint), none lost
    assert all((code is None) == (group == "control") for group, code in stored.values())
    for _, members in results:  # whoever drew first, every caller reports the stored draw
        assert all(stored[email] == (group, code) for email, group, code in members)
    vouchers, issued = _rows(pg_database_url, """SELECT (SELECT count(*) FROM voucher WHERE campaign_id = :c),
        (SELECT vouchers_issued FROM campaign WHERE id = :c)""", c=campaign_id)[0]
    assert vouchers == issued == sum(group == "treatment" for group, _ in stored.values())
