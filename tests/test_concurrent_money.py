"""Money and identity under concurrency, on SQLite and on PostgreSQL, each from two app processes at once (issue 30):
a read that decides a write (the refund cap, a merge, a purchase's one `created`) is held by the database until
its writer commits, so no two writers act on the same reading."""
import multiprocessing
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app import create_app
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.extensions import db
from campaigns.models import Customer, Purchase
from campaigns.sales.ledger import record_sale
from campaigns.sales.rows import PurchaseRow
from tests.conftest import app_config
from tests.workers import run_in_threads

PROCESSES, THREADS = 2, 4


@pytest.fixture(scope="module")
def pool():
    """Two app processes for the whole module (starting one costs seconds), the app already imported."""
    with multiprocessing.get_context("spawn").Pool(PROCESSES, initializer=_warm) as processes:
        yield processes


def _warm() -> None:
    import app  # noqa: F401 (the import is the warming)


def _at_once(pool, database_url: str, job: str, args_list: list) -> list:
    """Run `job` once per args, spread over the processes, THREADS threads each, all starting together."""
    start = time.time() + 1.5
    parts = [args_list[n::PROCESSES] for n in range(PROCESSES)]
    results = pool.starmap(run_in_threads, [(database_url, start, THREADS, job, part) for part in parts])
    return [result for part in results for result in part]


def _setup(database_url: str, build):
    """Build the starting data; return an app to read the outcome with, and what `build` returned."""
    app = create_app(app_config(database_url))
    with app.app_context():
        made = build()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return app, made


def _read(app, query):
    """Run `query()` in the app and let go of every connection (nothing left for the garbage collector)."""
    with app.app_context():
        try:
            return query()
        finally:
            db.session.remove()
            db.engine.dispose()


def _sale_of_ten() -> None:
    row = PurchaseRow(external_id="sale-1", amount_cents=1000, occurred_at=datetime(2026, 5, 1, 12, tzinfo=UTC))
    record_sale(row, source="api")


def test_refunds_sent_at_once_never_take_back_more_than_the_sale(pool, database_url):
    """Eight refunds of 7.00 of a 10.00 sale at once: one is stored, seven are refused (each would take back more
    than the 3.00 left). Then four exports saying "refunded 9.00 in all" at once: 2.00 more is refunded once, the
    other three find nothing left. The sale nets 1.00, never below zero."""
    app, _ = _setup(database_url, _sale_of_ten)
    answers = _at_once(pool, database_url, "sale", [(f"refund-{n}", -700, "sale-1") for n in range(8)])
    assert Counter(status for status, _ in answers) == {"ok": 1, "error": 7}, answers
    assert {code for status, code in answers if status == "error"} == {"invalid_input"}
    totals = _at_once(pool, database_url, "sale", [(f"total-{n}", -600, "sale-1", 900) for n in range(4)])
    assert Counter(status for status, _ in totals) == {"ok": 1, "error": 3}, totals  # 2.00 more, once
    net, refunds = _read(app, lambda: (
        db.session.scalar(select(func.sum(Purchase.amount_cents)).where(Purchase.voided_at.is_(None))),
        db.session.scalar(select(func.count()).where(Purchase.refund_of_id.is_not(None)))))
    assert (net, refunds) == (100, 2)  # 10.00 - 7.00 - 2.00: a refunded total of 9.00 at most


def test_sixteen_identical_retries_at_once_are_told_created_once(pool, database_url):
    app, _ = _setup(database_url, lambda: None)
    answers = _at_once(pool, database_url, "sale", [("till-42", 1250, None)] * 16)
    assert Counter(answers) == {("ok", "created"): 1, ("ok", "duplicate"): 15}, answers
    assert _read(app, lambda: db.session.scalar(select(func.count()).select_from(Purchase))) == 1


def _two_people() -> tuple[int, int]:
    return tuple(find_or_create(make_contact(f"{name}@example.com", name=name)).id for name in ("cara", "dan"))


def test_two_opposite_merges_at_once_leave_one_record(pool, database_url):
    """C into D and D into C at the same moment, several times over: exactly one merge wins, the other is told
    merge_conflict, and one record is left holding both contacts."""
    app, (cara, dan) = _setup(database_url, _two_people)
    answers = _at_once(pool, database_url, "merge", [(cara, dan), (dan, cara)] * 2)
    assert Counter(status for status, _ in answers) == {"ok": 1, "error": 3}, answers
    assert {code for status, code in answers if status == "error"} == {"merge_conflict"}
    left = _read(app, lambda: [(customer.email, customer.name) for customer in db.session.scalars(select(Customer))])
    assert len(left) == 1 and left[0][0] in ("cara@example.com", "dan@example.com"), left


def test_a_void_and_refunds_at_once_leave_no_live_refund_of_a_voided_sale(pool, database_url):
    """Voids of a sale and refunds of it at once (a manager voids the sale while the till refunds it): one void
    wins and is told so, the others are already_void; whatever refund got in first is voided with the sale, and
    none is stored after it (purchase_void). No live refund of a voided sale is left to count."""
    app, _ = _setup(database_url, _sale_of_ten)
    work = [("void", "sale-1")] * 3 + [("sale", f"refund-{n}", -200, "sale-1") for n in range(5)]
    answers = _at_once(pool, database_url, "mixed", work)
    asked = [args for n in range(PROCESSES) for args in work[n::PROCESSES]]  # the order _at_once answers in
    voids = [answer for (name, *_), answer in zip(asked, answers, strict=True) if name == "void"]
    refunds = [answer for (name, *_), answer in zip(asked, answers, strict=True) if name == "sale"]
    assert Counter(status for status, _ in voids) == {"ok": 1, "error": 2}, voids
    assert {code for status, code in voids if status == "error"} == {"already_void"}
    assert {code for status, code in refunds if status == "error"} <= {"purchase_void"}, refunds
    live = _read(app, lambda: db.session.scalar(select(func.count()).select_from(Purchase).where(
        Purchase.voided_at.is_(None))))
    assert live == 0  # the sale and every refund that got in before the void are voided together


def test_two_owners_demoting_each_other_at_once_leave_one_owner(pool, database_url):
    """The last-owner rule under concurrency: each of two owners makes the other a marketer at the same moment;
    one change is made, the other is refused (last_owner), and the business keeps an owner who can log in."""
    from campaigns.accounts.users import create_user
    from campaigns.models import User

    app, ids = _setup(database_url, lambda: [create_user(f"owner{n}@example.com", f"Owner {n}", "owner",
                                                         "a long password 123").id for n in range(2)])
    answers = _at_once(pool, database_url, "demote", [(ids[0],), (ids[1],)])
    assert sorted(status for status, _ in answers) == ["error", "ok"], answers
    assert {code for status, code in answers if status == "error"} == {"last_owner"}
    owners = _read(app, lambda: db.session.scalar(select(func.count()).select_from(User).where(
        User.role == "owner", User.active.is_(True))))
    assert owners == 1
