"""The arithmetic under the report: Newcombe's interval against the worked examples of his 1998 paper, the sample
size that would make a lift significant, and local dates and elapsed time computed in SQL on both databases
across a daylight-saving change, agreeing with Python's zoneinfo to the second."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select

from campaigns.extensions import db
from campaigns.models import UTCDateTime
from campaigns.reports.localtime import as_date, elapsed_micros, local_date, offset_periods, week_start
from campaigns.reports.stats import members_needed, newcombe, wilson

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("a, n, b, m, low, high", [
    (56, 70, 48, 80, 0.0524, 0.3339),  # Newcombe (1998), Table II, example (a), method 10
    (9, 10, 3, 10, 0.1705, 0.8090),    # example (b)
    (6, 7, 2, 7, 0.0582, 0.8062),      # example (c)
    (5, 56, 0, 29, -0.0381, 0.1926),   # example (d)
    (10, 10, 0, 20, 0.6791, 1.0),      # example (e)
    (10, 10, 0, 10, 0.6075, 1.0),      # example (f)
    (0, 10, 0, 20, -0.1611, 0.2775),   # example (g)
    (0, 10, 0, 10, -0.2775, 0.2775),   # example (h)
])
def test_newcombe_matches_the_published_intervals(a, n, b, m, low, high):
    got_low, got_high = newcombe(a, n, b, m)
    assert got_low == pytest.approx(low, abs=1e-4) and got_high == pytest.approx(high, abs=1e-4)


def test_wilson_interval_of_a_proportion():
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)  # Newcombe (1998a), example
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)


def test_members_needed_makes_the_observed_lift_significant():
    # 20% against 15% with 100 and 100: not significant; with the members said to be needed, it would be.
    assert newcombe(20, 100, 15, 100)[0] < 0
    more = members_needed(0.20, 100, 0.15, 100)
    size = (200 + more) // 2
    assert newcombe(round(0.20 * size), size, round(0.15 * size), size)[0] > -0.002  # at the edge, by the normal
    assert members_needed(0.2, 100, 0.2, 100) is None


def test_offset_periods_find_the_daylight_saving_changes_to_the_second():
    periods = offset_periods(NEW_YORK, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    assert periods == [(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), -5 * 3600),
                       (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), -4 * 3600), (None, -5 * 3600)]
    assert offset_periods(ZoneInfo("UTC"), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)) \
        == [(None, 0)]


MOMENTS = [datetime(2026, 3, 8, 4, 59, 59, 999999, tzinfo=UTC), datetime(2026, 3, 8, 5, 0, tzinfo=UTC),
           datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC), datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
           datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC), datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
           datetime(2026, 11, 1, 3, 59, 59, tzinfo=UTC), datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
           datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC), datetime(2026, 11, 2, 5, 0, tzinfo=UTC),
           datetime(2026, 12, 31, 23, 0, tzinfo=UTC)]


def test_local_dates_in_sql_agree_with_zoneinfo_across_daylight_saving(ctx):
    first, last = MOMENTS[0], MOMENTS[-1]
    for moment in MOMENTS:
        stored = literal(moment, UTCDateTime())
        day, monday = db.session.execute(select(local_date(stored, NEW_YORK, first, last),
                                                week_start(local_date(stored, NEW_YORK, first, last)))).one()
        expected = moment.astimezone(NEW_YORK).date()
        assert as_date(day) == expected, moment
        assert as_date(monday) == expected - timedelta(days=expected.weekday())


@pytest.mark.parametrize("later, earlier, micros", [
    (datetime(2026, 3, 9, 5, 0, tzinfo=UTC), datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 86_400_000_000),
    (datetime(2026, 3, 9, 5, 0, 0, 1, tzinfo=UTC), datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 86_400_000_001),
    (datetime(2026, 3, 8, 5, 0, tzinfo=UTC), datetime(2026, 3, 8, 4, 59, 59, 999999, tzinfo=UTC), 1),
    (datetime(2027, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC), 364 * 86_400_000_000 + 86_399_500_000),
])
def test_elapsed_time_is_exact_to_the_microsecond(ctx, later, earlier, micros):
    assert db.session.scalar(select(elapsed_micros(literal(later, UTCDateTime()), literal(earlier, UTCDateTime())))) \
        == micros


def test_as_date_reads_either_engine():
    assert as_date("2026-03-08") == date(2026, 3, 8) == as_date(date(2026, 3, 8))
