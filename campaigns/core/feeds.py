"""Rows handed to other tools in id order (the sync API): only those that no transaction still open can slot in
before.

An id is taken when a row is inserted and seen when its transaction commits, so on PostgreSQL a row may appear
after rows with higher ids. A tool that stored `next_after` past such a gap would never see the row. So a feed
stops at the first gap in the ids while the row after it is younger than GAP_WAIT: an id left by a rolled-back
transaction stops it for those seconds, an open transaction's is filled meanwhile.
"""
from datetime import datetime, timedelta

GAP_WAIT = timedelta(seconds=10)
LIMIT_MAX = 1000


def settled(rows: list, after: int, now: datetime, wait: timedelta = GAP_WAIT) -> list:
    """The leading rows (each with `id` and `recorded_at`, in id order after `after`) that may be handed out now."""
    kept, previous = [], after
    for row in rows:
        if row.id != previous + 1 and row.recorded_at > now - wait:
            break
        kept.append(row)
        previous = row.id
    return kept


def next_after(rows: list, after: int) -> int:
    """Where the next call of a feed starts: the last row handed out, or where this call started."""
    return rows[-1].id if rows else after
