"""Taking turns where a read decides a write that guards money or identity (a refund cap, a merge, a purchase's
one `created`): the database serialises the writers, so no two can both act on what they read.

- SQLite: `hold_write_lock()` starts the transaction with BEGIN IMMEDIATE, so this connection is the only writer
  from its first read to its commit (another waits its turn, up to the driver's timeout). Python's sqlite3 runs
  plain reads outside any transaction, so nothing read before is stale.
- PostgreSQL: writers run side by side; `lock_rows` takes the named rows FOR UPDATE, in id order (no deadlock
  between two writers), and what is read after it is what the previous holder committed.
"""
from sqlalchemy import select

from campaigns.extensions import db


def hold_write_lock() -> None:
    """On SQLite, make this transaction the database's one writer until it ends (BEGIN IMMEDIATE); elsewhere a
    no-op (PostgreSQL locks rows: lock_rows)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if not driver.in_transaction:  # a transaction already open has written, so holds the write lock already
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_rows(model, ids) -> list:
    """Lock the rows of `model` with these ids until the transaction ends (FOR UPDATE in id order; SQLite: the
    write lock) and return them as they now are, committed by whoever held them before."""
    hold_write_lock()
    return list(db.session.scalars(select(model).where(model.id.in_(sorted(set(ids)))).order_by(model.id)
                                   .with_for_update().execution_options(populate_existing=True)))
