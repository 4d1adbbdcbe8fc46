"""Time arithmetic the report's SQL needs, written once for SQLite and PostgreSQL.

- `elapsed_micros(later, earlier)`: the exact time between two stored moments, in microseconds (integer), so a
  purchase exactly one day after its redemption is day 1, not day 1.0000000001.
- `local_date(moment, zone, first, last)`: the business's local calendar date of a stored UTC moment. The zone's
  UTC offsets between `first` and `last` are worked out in Python (a handful of periods between daylight-saving
  changes) and written into the statement as one CASE, so the database needs no time-zone data and both
  engines agree with Python's `zoneinfo` to the second.
- `week_start(day)` (the Monday of a date's week) and `days_apart(later_day, earlier_day)` on dates.
"""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Date, Integer, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

MICROS_PER_DAY = 86_400_000_000


class elapsed_micros(FunctionElement):
    """`later - earlier` in whole microseconds (both are stored UTC moments)."""

    type = BigInteger()
    inherit_cache = True
    name = "elapsed_micros"


@compiles(elapsed_micros)
def _elapsed_default(element, compiler, **kw):
    """PostgreSQL: the epoch of an interval is an exact numeric."""
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000000 AS BIGINT)"


@compiles(elapsed_micros, "sqlite")
def _elapsed_sqlite(element, compiler, **kw):
    """SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds through strftime, the fraction as digits."""
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)

    def micros(moment):
        return (f"(CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER) * 1000000"
                f" + CAST(substr({moment} || '.000000', 21, 6) AS INTEGER))")
    return f"({micros(later)} - {micros(earlier)})"


class shifted_date(FunctionElement):
    """The calendar date of `moment + seconds` (moment stored in UTC)."""

    type = Date()
    inherit_cache = True
    name = "shifted_date"


@compiles(shifted_date)
def _shifted_default(element, compiler, **kw):
    moment, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(({moment} AT TIME ZONE 'UTC') + make_interval(secs => {seconds}) AS DATE)"


@compiles(shifted_date, "sqlite")
def _shifted_sqlite(element, compiler, **kw):
    moment, seconds = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date(substr({moment}, 1, 19), ({seconds}) || ' seconds')"


class week_start(FunctionElement):
    """The Monday on or before a date."""

    type = Date()
    inherit_cache = True
    name = "week_start"


@compiles(week_start)
def _week_default(element, compiler, **kw):
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_start, "sqlite")
def _week_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


class days_apart(FunctionElement):
    """Whole days from one date to a later one."""

    type = Integer()
    inherit_cache = True
    name = "days_apart"


@compiles(days_apart)
def _apart_default(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({later} - {earlier})"


@compiles(days_apart, "sqlite")
def _apart_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(zone).utcoffset().total_seconds())


def offset_periods(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime | None, int]]:
    """Return the zone's UTC offsets between two moments as (until, seconds) periods; the last `until` is None."""
    periods, step = [], timedelta(hours=6)
    moment = first.astimezone(UTC) - timedelta(days=1)
    end = last.astimezone(UTC) + timedelta(days=1)
    current = _offset(zone, moment)
    while moment < end:
        following = moment + step
        if _offset(zone, following) != current:
            low, high = moment, following  # the change happens in (low, high]: find its second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == current else (low, middle)
            high = high.replace(microsecond=0)
            periods.append((high, current))
            current = _offset(zone, high)
        moment = following
    periods.append((None, current))
    return periods


def local_date(moment, zone: ZoneInfo, first: datetime, last: datetime):
    """Return a SQL expression for the local date of `moment`, exact for moments between `first` and `last`."""
    periods = offset_periods(zone, first, last)
    if len(periods) == 1:
        return shifted_date(moment, literal(periods[0][1], Integer))
    whens = [(moment < until, shifted_date(moment, literal(seconds, Integer))) for until, seconds in periods[:-1]]
    return case(*whens, else_=shifted_date(moment, literal(periods[-1][1], Integer)))


def as_date(value) -> date:
    """A date read back from either engine (SQLite may hand back text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
