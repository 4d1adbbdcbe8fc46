"""Attribution stored (models/stored_attribution.py): the refresh that recomputes the customers a write marked stale,
and what a report reads: the stored rows of every customer not marked, with the marked ones computed afresh.

The triggers that mark customers run in the writing transaction, so a reader sees a mark exactly when it sees the
write. A refresh is maintenance, never a correctness step: it runs in a transaction of its own (the report's read
asks for one first, the job queue's periodic task each minute, `flask refresh-attribution` on demand), only one at
a time (a second one stands aside), and deletes the marks it read before computing, so a mark written meanwhile
stays for the next one.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, delete, exists, func, insert, select, text, union_all
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from campaigns.accounts.business import DEFAULT_SETTINGS
from campaigns.extensions import db
from campaigns.jobs.queue import define
from campaigns.models import (
    AttributedPurchase,
    AttributedRedemption,
    AttributionStale,
    BusinessSettings,
    Redemption,
    utcnow,
)
from campaigns.reports.attribution import ATTRIBUTED_COLUMNS, attributed, per_redemption
from campaigns.reports.localtime import local_date

log = logging.getLogger(__name__)
_PURCHASE, _REDEMPTION = AttributedPurchase.__table__, AttributedRedemption.__table__
_STALE = AttributionStale.__table__
SUMMARY_COLUMNS = ("redemption_id", "campaign_id", "customer_id", "redeemed_at", "first_sale", "net", "purchases",
                   "refunds", "positive")
_LOCK_KEY = 33_0001  # PostgreSQL advisory lock: one refresh at a time
_FEW = 500  # up to this many marked customers are named in the statement; more are read from the marks there


@dataclass(frozen=True)
class Found:
    """What a report reads: attributed purchases (ATTRIBUTED_COLUMNS) and per-redemption sums (SUMMARY_COLUMNS);
    with `zone`, the purchases also carry `occurred_on`, their local date in that zone (the stored ones)."""

    purchases: object
    redemptions: object
    zone: str | None = None


def local_day(found: Found, zone: ZoneInfo, first: datetime, last: datetime):
    """SQL for the local date of each attributed purchase: the stored one when it is in `zone`, else computed
    (exact for moments between `first` and `last`)."""
    if found.zone == zone.key:
        return found.purchases.c.occurred_on
    return local_date(found.purchases.c.occurred_at, zone, first, last)


def as_found(found, campaign_ids=None) -> Found:
    """`found` as a Found: a stored one as it is, a subquery of attributed purchases with its sums, or (None)
    attribution computed now for `campaign_ids`."""
    if isinstance(found, Found):
        return found
    found = found if found is not None else attributed(campaign_ids=campaign_ids)
    return Found(found, per_redemption(found))


def _picked(source, keys) -> list:
    """The columns named by `keys` of a table or subquery, in that order."""
    return [source.c[key] for key in keys]


def _zone_now(connection) -> str:
    """The business's time zone as the database holds it now (not a process's cached copy)."""
    return connection.scalar(select(BusinessSettings.time_zone)) or DEFAULT_SETTINGS["time_zone"]


def current() -> Found:
    """The attribution as of now: stored rows, except the marked customers', whose rows are computed afresh."""
    # The zone first: a zone changed after this read has marked everyone by the time the marks are read.
    zone = _zone_now(db.session)
    marked = db.session.scalars(select(_STALE.c.customer_id).distinct().limit(_FEW + 1)).all()
    if not marked:
        return Found(_PURCHASE, _REDEMPTION, zone)
    few = len(marked) <= _FEW
    chosen = marked if few else select(_STALE.c.customer_id)

    def unmarked(customer_id):
        return ~customer_id.in_(chosen) if few else ~exists().where(_STALE.c.customer_id == customer_id)

    fresh = attributed(customer_ids=chosen)
    purchases = union_all(select(*_picked(_PURCHASE, ATTRIBUTED_COLUMNS)).where(unmarked(_PURCHASE.c.customer_id)),
                          select(*_picked(fresh, ATTRIBUTED_COLUMNS))).subquery("found")
    sums = per_redemption(fresh)
    redemptions = union_all(select(*_picked(_REDEMPTION, SUMMARY_COLUMNS)).where(unmarked(_REDEMPTION.c.customer_id)),
                            select(*_picked(sums, SUMMARY_COLUMNS))).subquery("found_redemptions")
    return Found(purchases, redemptions)


def refresh() -> int | None:
    """Recompute the stored attribution of every marked customer, in a transaction of its own; return how many
    customers, or None when another refresh is running (or, on SQLite, another writer holds the database)."""
    try:
        with db.engine.begin() as connection:
            return _refresh(connection)
    except OperationalError as error:
        if "locked" in str(error.orig):  # SQLite: a writer holds the file; the next read or minute will do it
            return None
        raise


def _refresh(connection) -> int | None:
    postgresql = connection.dialect.name == "postgresql"
    if postgresql and not connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}):
        return None
    if postgresql:
        return recompute(connection)
    waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql("PRAGMA busy_timeout = 200")  # stand aside rather than wait long for a writer
    try:
        return recompute(connection)
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")


def recompute(connection) -> int:
    """Recompute the stored rows of every customer marked (as this connection sees them), in its transaction;
    return how many customers."""
    postgresql = connection.dialect.name == "postgresql"
    marked = set(connection.scalars(delete(_STALE).returning(_STALE.c.customer_id)))
    if not marked:
        return 0
    chosen = Table("attribution_chosen", MetaData(), Column("customer_id", Integer, primary_key=True),
                   prefixes=["TEMPORARY"])
    chosen.create(connection)
    connection.execute(insert(chosen), [{"customer_id": customer} for customer in marked])
    if postgresql:
        connection.execute(text("ANALYZE attribution_chosen"))
    customers = select(chosen.c.customer_id)
    connection.execute(delete(_PURCHASE).where(_PURCHASE.c.customer_id.in_(customers)))
    connection.execute(delete(_REDEMPTION).where(_REDEMPTION.c.customer_id.in_(customers)))
    fresh = attributed(customer_ids=customers)
    # Each purchase's local date in the zone as it is now in the database (not a process's cached copy); exact
    # from the marked customers' first redemption (every attributed sale comes after it) to tomorrow.
    zone = ZoneInfo(_zone_now(connection))
    redemption = Redemption.__table__
    first = connection.scalar(select(func.min(redemption.c.redeemed_at))
                              .where(redemption.c.customer_id.in_(customers))) or utcnow()
    day = local_date(fresh.c.occurred_at, zone, first, utcnow() + timedelta(days=1)).label("occurred_on")
    connection.execute(insert(_PURCHASE).from_select([*ATTRIBUTED_COLUMNS, "occurred_on"],
                                                     select(*_picked(fresh, ATTRIBUTED_COLUMNS), day)))
    sums = per_redemption(_PURCHASE, _PURCHASE.c.customer_id.in_(customers))
    connection.execute(insert(_REDEMPTION).from_select(list(SUMMARY_COLUMNS), select(*_picked(sums, SUMMARY_COLUMNS))))
    chosen.drop(connection)
    return len(marked)


def mark_everyone(connection) -> None:
    """Mark every customer who ever redeemed, and every customer with stored rows, for the next refresh."""
    redemption = Redemption.__table__
    for customers in (select(redemption.c.customer_id).where(redemption.c.customer_id.is_not(None)).distinct(),
                      select(_PURCHASE.c.customer_id).distinct()):
        connection.execute(insert(_STALE).from_select(["customer_id"], customers))


def rebuild() -> int | None:
    """Recompute the whole stored attribution from scratch (after a restore, or to check it); return how many
    customers, or None when another refresh was running."""
    with db.engine.begin() as connection:
        mark_everyone(connection)
    return refresh()


def fresh() -> Found:
    """Refresh what writers marked, unless this request has writes of its own that a refresh would wait for (on
    SQLite, a request that wrote holds the file), and return the attribution as of now."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql" or not connection.connection.dbapi_connection.in_transaction:
        try:
            refresh()
        except SQLAlchemyError:  # maintenance only: the marked customers are computed afresh below
            log.warning("the stored attribution could not be refreshed before a report", exc_info=True)
    return current()


def _refresh_task() -> str:
    done = refresh()
    return "another refresh was running" if done is None else f"{done} customer(s) refreshed"


def init_app(app) -> None:
    """Refresh the store each minute on the job queue, so a report rarely finds much to compute afresh."""
    define(app, "refresh_attribution", _refresh_task, every_minute=True)
