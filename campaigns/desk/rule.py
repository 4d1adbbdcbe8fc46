"""The redemption rule, written once as a SQLAlchemy Core expression, and the statements that apply it.

Every statement here is built once with named parameters (b_code, b_redeemed_at, b_local_day, b_location, b_now,
b_user_id, b_token_id, b_ip_address, b_device_time, b_details, b_scan_id; `b_` keeps them apart from column
names), so a scan reuses its compiled form.
"""
import weakref
from collections import namedtuple
from datetime import date

from sqlalchemy import (
    JSON,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from campaigns.accounts.business import location_named
from campaigns.core.bulk_sql import driver_cursor
from campaigns.jobs import webhooks
from campaigns.models import AuditEntry, Campaign, Location, Redemption, UTCDateTime, Voucher

_VOUCHER = Voucher.__table__
_CAMPAIGN = Campaign.__table__
_LOCATION = Location.__table__
_REDEMPTION = Redemption.__table__
_AUDIT = AuditEntry.__table__


def redeemable(local_day: date):
    """The redemption rule, written once: a voucher (joined with its campaign) that is neither redeemed nor
    void, of an active campaign whose dates hold `local_day`, the business's day of the redemption."""
    campaign = _CAMPAIGN.c
    return and_(_VOUCHER.c.campaign_id == campaign.id, _VOUCHER.c.redeemed_at.is_(None), _VOUCHER.c.void_at.is_(None),
                campaign.status == "active", or_(campaign.starts_on.is_(None), campaign.starts_on <= local_day),
                or_(campaign.ends_on.is_(None), campaign.ends_on >= local_day))


def _claim(with_place=None):
    """The one write that decides: of any number of simultaneous attempts, one finds the voucher redeemable.

    Parameters b_code, b_redeemed_at and b_local_day; with `with_place` (a CTE), only where that place exists.
    """
    claim = (update(_VOUCHER).where(_VOUCHER.c.code == bindparam("b_code"),
                                    redeemable(bindparam("b_local_day", type_=Date)))
             .values(redeemed_at=bindparam("b_redeemed_at", type_=UTCDateTime)))
    return claim if with_place is None else claim.where(exists(select(with_place.c.id)))


def _place():
    """The open location named by parameter b_location, in any case."""
    return select(_LOCATION.c.id, _LOCATION.c.name).where(location_named(bindparam("b_location", type_=String)),
                                                          _LOCATION.c.active)


# Whether a webhook wants voucher.redeemed, read by a statement the redemption runs anyway (no look-up of its own).
HOOKED = webhooks.anyone_listening("voucher.redeemed").label("hooked")
# Elsewhere than PostgreSQL the steps go one by one: find the open location, then the rule's UPDATE.
CLAIM = _claim().returning(_VOUCHER.c.id, _VOUCHER.c.campaign_id, _VOUCHER.c.customer_id)
PLACE = _place()


def _one_statement(with_location: bool):
    """PostgreSQL: the location look-up, the rule's UPDATE, the redemption and its audit entry in one statement.

    Of simultaneous attempts one finds redeemed_at empty; the others wait on the row lock and then do not.
    """
    place = _place().cte("place") if with_location else None
    place_id = select(place.c.id).scalar_subquery() if place is not None else null()
    place_name = select(place.c.name).scalar_subquery() if place is not None else null()
    won = _claim(place).returning(_VOUCHER.c.id, _VOUCHER.c.campaign_id, _VOUCHER.c.customer_id,
                                  _CAMPAIGN.c.name, _CAMPAIGN.c.offer).cte("won")
    now = bindparam("b_now", type_=UTCDateTime)
    made = insert(_REDEMPTION).from_select(
        ["voucher_id", "campaign_id", "customer_id", "redeemed_at", "recorded_at", "location_id", "user_id",
         "token_id", "scan_id"],
        select(won.c.id, won.c.campaign_id, won.c.customer_id, bindparam("b_redeemed_at", type_=UTCDateTime), now,
               place_id, bindparam("b_user_id", type_=Integer), bindparam("b_token_id", type_=Integer),
               bindparam("b_scan_id", type_=String)),
    ).returning(_REDEMPTION.c.id, _REDEMPTION.c.voucher_id).cte("made")
    details = cast(cast(bindparam("b_details", type_=String), JSONB).op("||", return_type=JSONB)(
        func.jsonb_build_object("redemption_id", made.c.id)), JSON)
    logged = insert(_AUDIT).from_select(
        ["occurred_at", "action", "outcome", "user_id", "token_id", "location_id", "ip_address", "device_time",
         "subject_type", "subject_id", "details"],
        select(now, literal("redeem"), literal("redeemed"), bindparam("b_user_id", type_=Integer),
               bindparam("b_token_id", type_=Integer), place_id, bindparam("b_ip_address", type_=String),
               bindparam("b_device_time", type_=UTCDateTime), literal("voucher"), bindparam("b_code"), details)
        .select_from(made),
    ).cte("logged")
    return (select(made.c.id, won.c.id.label("voucher_id"), won.c.campaign_id, won.c.customer_id, won.c.name,
                   won.c.offer, place_name.label("place"), HOOKED)
            .select_from(made.join(won, won.c.id == made.c.voucher_id)).add_cte(logged))


ONE_STATEMENT = {with_location: _one_statement(with_location) for with_location in (False, True)}


# ONE_STATEMENT compiled once per dialect (one for each engine) and run on the driver's own cursor: SQLAlchemy's
# execution path (its statement cache key, an execution context, the binds' processing, a result object) cost more
# Python time at every scan than the statement's own round trip. Its values need no processing: the times are aware
# (UTC, or a device's own offset), the day a date, the details JSON text, and the row holds ints, text and a bool.
_DRIVER_FORMS = weakref.WeakKeyDictionary()
OneStatementRow = namedtuple("OneStatementRow", [column.key for column in ONE_STATEMENT[True].selected_columns])


def _driver_forms(dialect) -> dict:
    """The SQL text and constant parameters of both ONE_STATEMENT forms for `dialect`, built once."""
    forms = _DRIVER_FORMS.get(dialect)
    if forms is None:  # threads may build it at once: each stores a whole one
        forms = {place: _driver_form(statement.compile(dialect=dialect)) for place, statement in ONE_STATEMENT.items()}
        _DRIVER_FORMS[dialect] = forms
    return forms


def _driver_form(compiled) -> tuple[str, dict]:
    constants = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not name.startswith("b_")}
    return compiled.string, constants


def redeem_in_one_statement(connection, with_location: bool, params: dict):
    """Run ONE_STATEMENT with the b_ `params` on `connection` (its driver's cursor); return its row, or None.

    A driver error comes out as SQLAlchemy's, as from any other query: the request edge runs a deadlock again and
    answers a lost database with 503.
    """
    sql, constants = _driver_forms(connection.dialect)[with_location]
    with driver_cursor(connection, sql) as cursor:
        cursor.execute(sql, {**constants, **params})
        row = cursor.fetchone()
    return None if row is None else OneStatementRow._make(row)
