"""GET /api/v1/purchases and /api/v1/redemptions after an id (API.md, sync): every row once, in id order, with
next_after; undone and voided rows too; a gap left by a transaction still open holds back what follows it, so a
tool never stores a next_after past a row it has not seen."""
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from campaigns.accounts import business
from campaigns.core import feeds
from campaigns.desk.redemption_feed import RedemptionRow
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Redemption, utcnow

SALES = [{"external_id": f"s-{n}", "amount": f"{n}.50", "occurred_at": "2026-12-01T10:00:00+01:00",
          "customer": {"email": f"c{n}@example.com"}} for n in range(1, 8)]


@pytest.fixture
def till(app, make_campaign, make_token):
    """Seven purchases, three redemptions (one undone), a marketer's token and a staff token."""
    campaign_id = make_campaign(status="active", offer="One free latte")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 3, "flyer")
        business.create_location("Main St")
        db.session.commit()
    client = app.test_client()
    staff = {"Authorization": f"Bearer {make_token('staff', 'Till')}"}
    marketer = {"Authorization": f"Bearer {make_token('marketer', 'Newsletter')}"}
    assert client.post("/api/v1/purchases", json={"purchases": SALES}, headers=staff).status_code == 200
    ids = [client.post("/api/v1/redemptions", json={"code": code, "location": "Main St"}, headers=staff)
           .get_json()["redemption_id"] for code in made]
    undone = client.post("/api/v1/purchases", json={**SALES[0], "external_id": "r-1", "amount": "-1.50",
                                                     "refund_of": "s-1"}, headers=staff)
    assert undone.status_code == 201
    with app.app_context():
        db.session.get(Redemption, ids[1]).undone_at = utcnow()
        db.session.get(Redemption, ids[1]).undo_reason = "Scanned by mistake"
        db.session.commit()
    return {"get": lambda path: client.get(path, headers=marketer), "staff": lambda path: client.get(path, headers=staff),
            "codes": made}


def test_a_tool_reads_every_purchase_once_in_pages(till):
    seen, after, calls = [], 0, 0
    while True:
        page = till["get"](f"/api/v1/purchases?after={after}&limit=3").get_json()
        calls += 1
        seen += page["purchases"]
        if not page["purchases"]:
            assert page["next_after"] == after  # nothing new: start from the same place next time
            break
        assert page["next_after"] == page["purchases"][-1]["id"]
        after = page["next_after"]
    assert calls == 4
    assert [row["external_id"] for row in seen] == [f"s-{n}" for n in range(1, 8)] + ["r-1"]
    assert [row["id"] for row in seen] == sorted(row["id"] for row in seen)
    assert seen[0]["amount"] == "1.50" and seen[0]["customer"]["email"] == "c1@example.com"
    assert seen[-1]["refund_of"] == "s-1" and seen[-1]["amount"] == "-1.50"


def test_a_tool_reads_the_redemptions_undone_ones_too(till):
    page = till["get"]("/api/v1/redemptions").get_json()
    rows = page["redemptions"]
    assert [row["code"] for row in rows] == till["codes"] and page["next_after"] == rows[-1]["id"]
    assert [row["undone_at"] is not None for row in rows] == [False, True, False]
    assert rows[1]["undo_reason"] == "Scanned by mistake" and rows[0]["location"] == "Main St"
    assert rows[0]["campaign"]["name"] == "Free latte"
    later = till["get"](f"/api/v1/redemptions?after={rows[0]['id']}&limit=1").get_json()
    assert [row["id"] for row in later["redemptions"]] == [rows[1]["id"]]


@pytest.mark.parametrize("query,field", [("after=-1", "after"), ("after=x", "after"), ("limit=0", "limit"),
                                         ("limit=1001", "limit"), ("after=1.5&limit=ten", "limit")])
def test_a_wrong_window_is_named(till, query, field):
    answer = till["get"](f"/api/v1/purchases?{query}")
    assert answer.status_code == 422 and field in answer.get_json()["error"]["details"]["fields"]


def test_staff_may_not_sync(till):
    assert till["staff"]("/api/v1/purchases").status_code == 403
    assert till["staff"]("/api/v1/redemptions").status_code == 403


def _row(id_: int, seconds_ago: int) -> RedemptionRow:
    return RedemptionRow(id_, "C", 1, "x", None, None, utcnow(), utcnow() - timedelta(seconds=seconds_ago), None, None)


def test_a_fresh_gap_holds_back_the_rows_after_it_and_an_old_one_does_not():
    now = utcnow()
    rows = [_row(5, 60), _row(6, 60), _row(8, 2), _row(9, 1)]  # 7: a transaction still open, or rolled back
    assert [row.id for row in feeds.settled(rows, 4, now)] == [5, 6]
    assert [row.id for row in feeds.settled(rows, 4, now + timedelta(seconds=30))] == [5, 6, 8, 9]
    assert feeds.settled([_row(3, 1)], 1, now) == []  # the gap can be right after where the tool is
    assert feeds.next_after([], 4) == 4


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_purchase_committed_late_behind_a_gap_is_not_skipped(app, till, database_url):
    """On PostgreSQL: a sale takes its id, a later one commits first; the feed stops before both until the first
    commits, then hands out each once."""
    engine = create_engine(database_url)
    insert = text("INSERT INTO purchase (external_id, amount_cents, occurred_at, content_hash, recorded_at) "
                  "VALUES (:e, 100, now(), 'x', now()) RETURNING id")
    start = till["get"]("/api/v1/purchases?limit=1000").get_json()["next_after"]
    try:
        with engine.connect() as slow, engine.connect() as fast:
            slow.begin()
            held = slow.execute(insert, {"e": "slow"}).scalar_one()
            with fast.begin():
                quick = fast.execute(insert, {"e": "fast"}).scalar_one()
            assert held < quick
            waiting = till["get"](f"/api/v1/purchases?after={start}").get_json()
            assert waiting == {"purchases": [], "next_after": start}
            slow.commit()
        both = till["get"](f"/api/v1/purchases?after={start}").get_json()
        assert [row["external_id"] for row in both["purchases"]] == ["slow", "fast"]
    finally:
        engine.dispose()
