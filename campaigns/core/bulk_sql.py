"""Set-based writing that both databases understand: one INSERT for many rows that skips what is already there."""
import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import attrgetter, itemgetter, methodcaller

from sqlalchemy import Boolean, Integer, Table, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from campaigns.extensions import db

CHUNK = 500  # values in one IN (…) list: well inside SQLite's and PostgreSQL's parameter limits
ANALYZE_AFTER = 5000  # rows written at once after which PostgreSQL's statistics of the table are refreshed


def chunked(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    """Yield `values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def among(column, values: Sequence) -> Iterable:
    """Yield WHERE clauses that together pick the rows whose `column` is one of `values`: one statement of one
    parameter, planned and converted once, on PostgreSQL `= ANY(array)` and on SQLite `IN (json_each(list))`
    (texts without NUL and integers; other values in IN lists of CHUNK)."""
    if not values:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
        return
    if dialect == "sqlite" and all(type(value) is int or type(value) is str and "\x00" not in value
                                   for value in values):
        # An IN list was compiled and converted by SQLAlchemy per CHUNK values: for 10,000 keys that cost more
        # than the look-ups. json_each's values are the texts and integers as stored, compared as the list's.
        listed = bindparam(None, json.dumps(list(values), ensure_ascii=False))
        yield column.in_(select(literal_column("value")).select_from(func.json_each(listed)))
        return
    for part in chunked(values):
        yield column.in_(part)


def insert_ignoring_conflicts(table: Table, rows: list[dict], returning: tuple = (), checked: bool = False) -> list[tuple]:
    """Insert `rows` in one statement, skipping any that would break a unique key (another writer's, or an
    earlier run's); return the `returning` columns of the rows inserted (the first is the rows' key). With
    `checked` the caller has just read that none of the keys was there: on SQLite the rows are then read back
    without reading first, and one a concurrent writer slipped in is returned too (compare its content)."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return _unnest(table, rows, returning)
    if dialect == "sqlite":
        return _sqlite_many(table, rows, returning, checked)
    statement = sqlite.insert(table).on_conflict_do_nothing()
    if not returning:
        db.session.execute(statement, rows)
        return []
    return [tuple(row) for row in db.session.execute(statement.returning(*returning), rows)]


def _sqlite_text(value):
    """A datetime as SQLAlchemy stores it in SQLite (naive UTC, microseconds), anything else as it is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        if value.utcoffset():
            value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
    return value


_TZINFO = attrgetter("tzinfo")
_IN_UTC, _ISO_TEXT, _NO_OFFSET = methodcaller("astimezone", UTC), methodcaller("isoformat", " ", "microseconds"), \
    itemgetter(slice(None, -6))


def _sqlite_texts(moments: list) -> list:
    """The column's values as _sqlite_text writes each, in C loops when all are aware datetimes (a Python call per
    cell cost more than the text itself); a time the column holds many times (a batch's recorded_at) is written
    once. Repeats are told by identity: hashing an aware time costs a third of writing it."""
    try:
        if None in moments or None in map(_TZINFO, moments):
            return list(map(_sqlite_text, moments))  # a naive datetime is refused there
    except AttributeError:  # not datetimes
        return list(map(_sqlite_text, moments))
    distinct = dict(zip(map(id, moments), moments))
    if 2 * len(distinct) > len(moments):
        return list(map(_NO_OFFSET, map(_ISO_TEXT, map(_IN_UTC, moments))))
    texts = dict(zip(distinct, map(_NO_OFFSET, map(_ISO_TEXT, map(_IN_UTC, distinct.values())))))
    return list(map(texts.__getitem__, map(id, moments)))


def _sqlite_many(table: Table, rows: list[dict], returning: tuple, checked: bool) -> list[tuple]:
    """SQLite: one DBAPI executemany (SQLAlchemy's per-value processing would cost more than the insert).
    SQLite cannot return rows from an executemany, so the rows a key names are read before and after: those
    there only after are ours (writers to one SQLite file take turns, so none can slip in between)."""
    sent = _worth_sending(table, rows)
    names = list(sent)
    key = returning[0] if returning else None
    before = _keys(table, key, [row[key.name] for row in rows]) if key is not None and not checked else set()
    statement = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                 "ON CONFLICT DO NOTHING")
    moments = {name for name in names if _array_type(table.c[name]) == "timestamptz[]"}
    columns = [_sqlite_texts(sent[name]) if name in moments else sent[name] for name in names]
    values = list(zip(*columns))  # tuples of plain values: the collector stops tracking them
    with driver_cursor() as cursor:
        last = cursor.execute(f"SELECT max(rowid) FROM {table.name}").fetchone()[0] if checked else None
        cursor.executemany(statement, values)
        if key is None:
            return []
        # Read back on the same cursor, without SQLAlchemy (compiling an IN list per CHUNK keys cost more than the
        # insert itself); returned as stored: the key columns are plain text and integers. Checked rows are new
        # rows, past the table's last rowid before the insert: one range read, then any key not in it by key.
        found, columns = [], ", ".join(column.name for column in returning)
        if checked:
            found = cursor.execute(f"SELECT {columns} FROM {table.name} WHERE rowid > ?", (last or 0,)).fetchall()
            before = set(map(itemgetter(0), found))
        wanted = [value for value in map(itemgetter(key.name), rows) if value not in before]
        for part in chunked(wanted):
            cursor.execute(f"SELECT {columns} FROM {table.name} WHERE {key.name} IN ({', '.join('?' * len(part))})",
                           part)
            found.extend(cursor.fetchall())
        return found


def _keys(table: Table, key, values: list) -> set:
    present = set()
    for clause in among(key, sorted(set(values))):
        present.update(db.session.scalars(select(key).where(clause)))
    return present


def _array_type(column) -> str:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, Boolean):
        return "boolean[]"
    if isinstance(kind, Integer):
        return "integer[]"
    if kind.__class__.__name__ == "DateTime":
        return "timestamptz[]"
    return "text[]"


def _unnest(table: Table, rows: list[dict], returning: tuple) -> list[tuple]:
    """PostgreSQL: one `INSERT … SELECT FROM unnest(arrays)`, a column per array, whatever the number of rows
    (an executemany or a VALUES list pays per row; the arrays are sent once). The arrays go in binary (%b) on
    the session's own connection: psycopg writes an array as text in Python, element by element, and the server
    parses it back, which cost several times the insert."""
    sent = _worth_sending(table, rows)
    names = list(sent)
    arrays = ", ".join(f"CAST(%b AS {_array_type(table.c[name])})" for name in names)
    statement = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
                 "ON CONFLICT DO NOTHING")
    if returning:
        statement += " RETURNING " + ", ".join(column.name for column in returning)
    with driver_cursor() as cursor:
        cursor.execute(statement, list(sent.values()))
        found = [tuple(row) for row in cursor.fetchall()] if returning else []
        if len(rows) >= ANALYZE_AFTER:
            # A table that has just grown by thousands of rows (a first import into a new installation) still has
            # the planner's picture of it empty, and each look-up by key becomes a scan of the whole table.
            cursor.execute(f"ANALYZE {table.name}")
    return found


@contextmanager
def driver_cursor(connection=None, statement: str | None = None):
    """A cursor of the driver connection under `connection` (the session's by default), for statements that skip
    SQLAlchemy for speed; a driver error comes out as SQLAlchemy's (naming `statement`), like every other query's,
    so a deadlock is run again and a lost or locked database is answered 503, not 500."""
    connection = connection if connection is not None else db.session.connection()
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.driver_connection.cursor()
    try:
        yield cursor
    except dbapi.Error as error:
        raise DBAPIError.instance(statement, None, error, dbapi.Error, dialect=connection.dialect) from error
    finally:
        cursor.close()


def _worth_sending(table: Table, rows: list[dict]) -> dict[str, list]:
    """The columns to write, each as its list of values, in the rows' order: a column that is NULL in every row
    (and has no server default) is left out."""
    names = list(rows[0])
    # Each row's values at once, turned into columns by zip: C loops, not one pass over the rows per column.
    columns = zip(*map(itemgetter(*names), rows)) if len(names) > 1 else [tuple(map(itemgetter(names[0]), rows))]
    sent = {}
    for name, column in zip(names, columns):
        if table.c[name].server_default is not None or column.count(None) < len(column):
            sent[name] = list(column)
    return sent
