"""Set-based writing and reading (campaigns.core.bulk_sql) on both databases: the values written are the values
read, whatever the offset a time was given with, and a look-up of many keys finds exactly the stored ones."""
import gc
import threading
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from campaigns.core import collector
from campaigns.core.bulk_sql import CHUNK, among, insert_ignoring_conflicts
from campaigns.extensions import db
from campaigns.models import Purchase

TABLE = Purchase.__table__
RETURNING = (TABLE.c.external_id, TABLE.c.id, TABLE.c.content_hash)
MOMENTS = [
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 3, 30, 0, 1, tzinfo=ZoneInfo("Europe/Berlin")),  # just after the spring-forward gap
    datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # the hour that comes twice (first)
    datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),  # and its second time
    datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=14))),
]


def _row(n: int, moment: datetime, amount: int = 1250, **overrides) -> dict:
    return {"external_id": f"bulk-{n}", "amount_cents": amount, "occurred_at": moment, "customer_id": None,
            "content_hash": f"{n:064x}", "recorded_at": MOMENTS[0], "source": "import", "customer_ref": None,
            "sale_ref": f"till:{n}" if n % 2 else None} | overrides


def test_what_is_written_in_one_statement_reads_back_as_the_same_moments_amounts_and_texts(ctx, backend):
    rows = [_row(n, moment, amount=n * 1_000_003 + 7) for n, moment in enumerate(MOMENTS)]
    inserted = insert_ignoring_conflicts(TABLE, rows, returning=RETURNING, checked=True)
    assert sorted(external_id for external_id, _, _ in inserted) == sorted(row["external_id"] for row in rows)
    assert {external_id: digest for external_id, _, digest in inserted} == \
        {row["external_id"]: row["content_hash"] for row in rows}
    stored = {p.external_id: p for p in db.session.scalars(select(Purchase))}
    for row in rows:
        purchase = stored[row["external_id"]]
        # the same instant, whatever offset it came with (compared as instants: Python never calls an ambiguous
        # local time equal to another zone's)
        assert purchase.occurred_at.timestamp() == row["occurred_at"].timestamp()
        assert purchase.occurred_at.utcoffset() == timedelta(0)
        assert (purchase.amount_cents, purchase.sale_ref, purchase.customer_ref) == \
            (row["amount_cents"], row["sale_ref"], None)
    assert stored["bulk-3"].occurred_at - stored["bulk-2"].occurred_at == timedelta(hours=1)
    if backend == "sqlite":  # the text SQLAlchemy itself writes: naive UTC with six places
        texts = dict(db.session.execute(text("SELECT external_id, occurred_at FROM purchase")).all())
        assert texts == {row["external_id"]: row["occurred_at"].astimezone(UTC).replace(tzinfo=None)
                         .isoformat(" ", "microseconds") for row in rows}


def test_a_second_statement_returns_only_its_new_rows(ctx):
    insert_ignoring_conflicts(TABLE, [_row(n, MOMENTS[0]) for n in range(3)], returning=RETURNING)
    again = insert_ignoring_conflicts(TABLE, [_row(n, MOMENTS[1]) for n in range(1, 5)], returning=RETURNING)
    assert sorted(external_id for external_id, _, _ in again) == ["bulk-3", "bulk-4"]
    assert db.session.scalar(select(Purchase.occurred_at).where(Purchase.external_id == "bulk-1")) == MOMENTS[0]


def test_a_checked_statement_also_returns_a_key_stored_meanwhile_with_its_stored_content(ctx, backend):
    insert_ignoring_conflicts(TABLE, [_row(1, MOMENTS[0], content_hash="b" * 64)])  # "another writer's" row
    returned = insert_ignoring_conflicts(TABLE, [_row(n, MOMENTS[1]) for n in range(3)], returning=RETURNING,
                                         checked=True)
    digests = {external_id: digest for external_id, _, digest in returned}
    if backend == "sqlite":  # read back by key: the caller compares its content (ledger: a conflict)
        assert digests == {"bulk-0": f"{0:064x}", "bulk-1": "b" * 64, "bulk-2": f"{2:064x}"}
    else:  # RETURNING gives only the rows inserted; the caller reads the others
        assert digests == {"bulk-0": f"{0:064x}", "bulk-2": f"{2:064x}"}


def test_a_naive_time_is_refused_on_sqlite(ctx, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL reads a naive time in the session's zone")
    with pytest.raises(ValueError, match="naive datetime"):
        insert_ignoring_conflicts(TABLE, [_row(1, datetime(2026, 1, 1, 12, 0))], returning=RETURNING)


def test_a_column_of_times_is_written_as_each_time_alone_is():
    """SQLite's column-at-once conversion gives each time's own text, with or without missing ones."""
    from campaigns.core.bulk_sql import _sqlite_text, _sqlite_texts

    for column in (MOMENTS, MOMENTS + [None], ["2026-01-01 12:00:00", None]):
        assert _sqlite_texts(column) == [_sqlite_text(moment) for moment in column]
    with pytest.raises(ValueError, match="naive datetime"):
        _sqlite_texts(MOMENTS + [datetime(2026, 1, 1, 12, 0)])


def test_among_finds_exactly_the_stored_keys_of_many(ctx):
    rows = [_row(n, MOMENTS[n % len(MOMENTS)]) for n in range(0, 2 * CHUNK + 10, 2)]
    insert_ignoring_conflicts(TABLE, rows)
    wanted = [f"bulk-{n}" for n in range(2 * CHUNK + 20)]
    found = set()
    for clause in among(TABLE.c.external_id, wanted):
        found.update(db.session.scalars(select(TABLE.c.external_id).where(clause)))
    assert found == {row["external_id"] for row in rows}
    assert list(among(TABLE.c.external_id, [])) == []


def test_the_collector_is_held_off_inside_and_back_after_the_last_holder_leaves():
    enabled = gc.isenabled()
    try:
        gc.enable()
        with collector.held_off():
            assert not gc.isenabled()
            with collector.held_off():
                assert not gc.isenabled()
            assert not gc.isenabled()  # an inner block leaving does not bring it back early
        assert gc.isenabled()
        gc.disable()
        with collector.held_off():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        (gc.enable if enabled else gc.disable)()


def test_the_collector_comes_back_only_when_every_thread_has_left():
    enabled = gc.isenabled()
    inside, leave, seen = threading.Event(), threading.Event(), []

    def other():
        with collector.held_off():
            inside.set()
            leave.wait(5)

    try:
        gc.enable()
        thread = threading.Thread(target=other)
        thread.start()
        inside.wait(5)
        with collector.held_off():
            pass
        seen.append(gc.isenabled())  # this thread left, the other is still inside
        leave.set()
        thread.join(5)
        seen.append(gc.isenabled())
        assert seen == [False, True]
    finally:
        (gc.enable if enabled else gc.disable)()


def test_a_driver_error_comes_out_as_sqlalchemys_so_the_request_edge_can_tell_a_conflict_from_a_bug(ctx, backend):
    """These statements run on the driver's own cursor; its error must still be SQLAlchemy's, carrying the driver's
    (a deadlock's SQLSTATE 40P01 is how the request edge knows to run a request again instead of answering 500)."""
    with pytest.raises(IntegrityError) as raised:
        insert_ignoring_conflicts(TABLE, [_row(1, MOMENTS[0], amount=None)], returning=RETURNING)
    assert raised.value.orig is not None and "amount_cents" in str(raised.value.orig)
    if backend == "postgresql":
        assert raised.value.orig.sqlstate == "23502"  # not null
