"""Redemption rules at the service level: one outcome code per rule, and an audit entry for every attempt."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from campaigns.accounts import business
from campaigns.accounts.users import create_user
from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption, undo
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch
from campaigns.models import AuditEntry, Redemption, Voucher, utcnow
from campaigns.web.error_responses import status_of
from tests.designs import change, design


@pytest.fixture
def desk(ctx):
    """An active campaign with vouchers, a location and a staff member."""
    made = campaigns.create_campaign(design({"name": "Free latte", "unit_cost": "0.85", "offer": "One free latte"}))
    campaigns.set_status(made, "active")
    vouchers = issue_batch(made, 5, "flyer")
    place = business.create_location("Main St")
    ana = create_user("ana@example.com", "Ana", "staff", "long enough pw")
    db.session.commit()
    return {"campaign": made, "codes": vouchers, "location": place, "staff": ana}


def _attempt(desk, **extra):
    return redemption.Attempt(**{"user_id": desk["staff"].id, "location": "Main St", "ip_address": "127.0.0.1", **extra})


def _audit():
    return [(entry.action, entry.outcome) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.in_(("redeem", "undo_redemption"))).order_by(AuditEntry.id))]


def test_redeem_marks_the_voucher_and_records_who_where_when(desk):
    made = redemption.redeem(codes.format_code(desk["codes"][0]).lower(), _attempt(desk))
    stored = db.session.get(Redemption, made.id)
    assert stored.voucher.redeemed_at == made.redeemed_at and stored.location_id == desk["location"].id
    assert stored.user_id == desk["staff"].id and made.location_name == "Main St" and made.offer == "One free latte"
    assert _audit() == [("redeem", "redeemed")]


def test_second_attempt_is_already_redeemed_with_when_where_and_who(desk):
    redemption.redeem(desk["codes"][0], _attempt(desk))
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][0], _attempt(desk))
    assert (error.value.code, status_of(error.value)) == ("already_redeemed", 409)
    assert error.value.details["location"] == "Main St" and error.value.details["by"] == "Ana"
    assert error.value.message.startswith("Already redeemed today") and "at Main St by Ana" in error.value.message
    assert _audit() == [("redeem", "redeemed"), ("redeem", "already_redeemed")]


@pytest.mark.parametrize("status, code, http", [("paused", "campaign_not_active", 422),
                                                 ("ended", "campaign_not_active", 422)])
def test_inactive_campaigns_do_not_redeem(desk, status, code, http):
    campaigns.set_status(desk["campaign"], status)
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][0], _attempt(desk))
    assert (error.value.code, status_of(error.value)) == (code, http)
    assert db.session.scalar(select(Voucher.redeemed_at).where(Voucher.code == desk["codes"][0])) is None


def test_expired_and_not_yet_valid(desk):
    today = utcnow().date()
    change(desk["campaign"], {"ends_on": (today - timedelta(days=3)).isoformat(),
                                                 "starts_on": (today - timedelta(days=10)).isoformat()})
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][0], _attempt(desk))
    assert (error.value.code, status_of(error.value)) == ("expired", 410) and "Expired on" in error.value.message
    change(desk["campaign"], {"starts_on": (today + timedelta(days=3)).isoformat(),
                                                 "ends_on": (today + timedelta(days=9)).isoformat()})
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][0], _attempt(desk))
    assert error.value.code == "campaign_not_active" and "Not valid until" in error.value.message


def test_typos_unknown_codes_and_void_vouchers(desk):
    code = desk["codes"][0]
    swapped = code[1] + code[0] + code[2:] if code[0] != code[1] else code[:-1] + ("0" if code[-1] != "0" else "1")
    outcomes = []
    for text in (swapped, codes.generate()):
        with pytest.raises(redemption.RedemptionError) as error:
            redemption.redeem(text, _attempt(desk))
        outcomes.append((error.value.code, status_of(error.value)))
    db.session.execute(Voucher.__table__.update().where(Voucher.code == code).values(void_at=utcnow()))
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(code, _attempt(desk))
    outcomes.append((error.value.code, status_of(error.value)))
    assert outcomes == [("invalid_code", 422), ("unknown_code", 404), ("void", 409)]
    assert [outcome for _, outcome in _audit()] == ["invalid_code", "unknown_code", "void"]


def test_scanned_at_becomes_the_redemption_time_within_seven_days(desk):
    now = utcnow()
    made = redemption.redeem(desk["codes"][0], _attempt(desk, scanned_at=now - timedelta(days=6)), now=now)
    assert made.redeemed_at == now - timedelta(days=6) and made.recorded_at == now
    ahead = redemption.redeem(desk["codes"][2], _attempt(desk, scanned_at=now + timedelta(minutes=2)), now=now)
    assert ahead.redeemed_at == now  # a device clock a little fast: never a redemption in the future
    for bad in (now - timedelta(days=8), now + timedelta(hours=1)):
        with pytest.raises(redemption.RedemptionError) as error:
            redemption.redeem(desk["codes"][1], _attempt(desk, scanned_at=bad), now=now)
        assert "scanned_at" in error.value.details["fields"]


def test_unknown_location_is_named(desk):
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][0], redemption.Attempt(user_id=desk["staff"].id, location="Moon base"))
    assert error.value.code == "unknown_location" and _audit() == [("redeem", "unknown_location")]
    assert db.session.get(Voucher, _voucher_id(desk["codes"][0])).redeemed_at is None


def test_a_closed_location_is_refused_and_any_case_finds_an_open_one(desk):
    business.update_location(desk["location"], name="Main St", address="", active=False)
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][0], _attempt(desk))
    assert error.value.code == "unknown_location"
    business.update_location(desk["location"], name="Main St", address="", active=True)
    made = redemption.redeem(desk["codes"][0], redemption.Attempt(user_id=desk["staff"].id, location=" main st "))
    assert made.location_name == "Main St"
    assert db.session.get(Redemption, made.id).location_id == desk["location"].id
    assert [outcome for _, outcome in _audit()] == ["unknown_location", "redeemed"]
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.outcome == "redeemed")).one()
    assert logged.location_id == desk["location"].id and logged.user_id == desk["staff"].id


def _voucher_id(code: str) -> int:
    return db.session.scalar(select(Voucher.id).where(Voucher.code == code))


def test_attaching_a_customer_at_the_limit_redeems_nothing(desk):
    contact = make_contact("rui@example.com")
    first = redemption.redeem(desk["codes"][0], _attempt(desk, customer=contact))
    assert first.customer_id is not None and db.session.get(Redemption, first.id).voucher.customer_slot == 1
    assert db.session.get(Redemption, first.id).customer_id == first.customer_id
    with pytest.raises(redemption.RedemptionError) as error:
        redemption.redeem(desk["codes"][1], _attempt(desk, customer=contact))
    assert (error.value.code, status_of(error.value)) == ("customer_limit_reached", 409)
    assert db.session.scalar(select(Voucher.redeemed_at).where(Voucher.code == desk["codes"][1])) is None
    assert _audit()[-1] == ("redeem", "customer_limit_reached")


def test_undo_by_the_same_staff_within_fifteen_minutes(desk):
    made = redemption.redeem(desk["codes"][0], _attempt(desk))
    ben = create_user("ben@example.com", "Ben", "staff", "long enough pw")
    with pytest.raises(undo.UndoError) as error:
        undo.undo(made.id, ben, "mistake")
    assert error.value.code == "undo_not_allowed"
    with pytest.raises(undo.UndoError) as error:
        undo.undo(made.id, desk["staff"], "mistake", now=made.recorded_at + timedelta(minutes=16))
    assert error.value.code == "undo_not_allowed"
    with pytest.raises(undo.UndoError) as error:
        undo.undo(made.id, desk["staff"], "  ")
    assert error.value.code == "invalid_input"
    undone = undo.undo(made.id, desk["staff"], "scanned the wrong card")
    assert undone.undone_at is not None and undone.voucher.redeemed_at is None
    db.session.expire_all()
    again = redemption.redeem(desk["codes"][0], _attempt(desk))
    assert again.id != made.id
    assert ("undo_redemption", "undone") in _audit()


def test_marketer_undoes_at_any_time(desk):
    made = redemption.redeem(desk["codes"][0], _attempt(desk))
    marco = create_user("marco@example.com", "Marco", "marketer", "long enough pw")
    undo.undo(made.id, marco, "customer changed their mind", now=made.recorded_at + timedelta(days=2))
    with pytest.raises(undo.UndoError) as error:
        undo.undo(made.id, marco, "twice")
    assert error.value.code == "already_undone"
    assert db.session.scalar(select(Redemption.undo_reason)) == "customer changed their mind"


def test_a_driver_error_of_the_one_statement_comes_out_as_sqlalchemys(desk, backend):
    """PostgreSQL's one statement runs on the driver's own cursor; its error must still be SQLAlchemy's, carrying the
    driver's (its SQLSTATE is how the request edge tells a deadlock to run again from a lost database's 503)."""
    if backend != "postgresql":
        pytest.skip("the one statement is PostgreSQL's")
    with pytest.raises(DBAPIError) as raised:
        redemption.redeem(desk["codes"][0], _attempt(desk, ip_address="1" * 65))  # longer than the audit's column
    assert raised.value.orig is not None and raised.value.orig.sqlstate == "22001"  # string data right truncation
