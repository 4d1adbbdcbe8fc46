"""Set-based writing that both databases understand: one INSERT for many rows that skips what is already there."""
from collections.abc import Iterable, Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db

CHUNK = 500  # values in one IN (…) list: well inside SQLite's and PostgreSQL's parameter limits


def chunked(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    """Yield `values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def insert_ignoring_conflicts(table: Table, rows: list[dict], returning: tuple = ()) -> list[tuple]:
    """Insert `rows` in one statement, skipping any that would break a unique key (another writer's, or an
    earlier run's); return the `returning` columns of the rows actually inserted."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing()
    if not returning:
        db.session.execute(statement, rows)
        return []
    return [tuple(row) for row in db.session.execute(statement.returning(*returning), rows)]
