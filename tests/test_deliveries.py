"""Deliveries at the service level, on SQLite and PostgreSQL: one conditional UPDATE claims a row, so it is sent
once however often its task runs; failures wait the growing delays, then are given up; the sweep finds what was
lost; work of a rolled-back transaction is never enqueued."""
from datetime import timedelta

from sqlalchemy import func, select

from campaigns.extensions import db
from campaigns.jobs.after_commit import waiting
from campaigns.mail import deliveries
from campaigns.mail.sending import Letter
from campaigns.models import Delivery, utcnow
from tests.test_claim_page import app, smtp  # noqa: F401  (fixtures: the app mails a real SMTP server on loopback)


def _queued(**links) -> Delivery:
    return deliveries.queue_letter(Letter("ana@example.com", "Hello", "Hi."), "test", **links)


def test_a_delivery_is_claimed_once_however_often_its_task_runs(ctx):
    delivery = _queued()
    db.session.info.clear()  # not enqueued: this test is the task
    now = utcnow()
    taken = deliveries.claim(delivery.id, now)
    assert taken is not None and taken.fence == 1
    assert (taken.delivery.status, taken.delivery.attempts, taken.delivery.claimed_at) == ("sending", 1, now)
    assert deliveries.claim(delivery.id, now) is None
    deliveries.record_sent(taken, now)
    assert deliveries.claim(delivery.id, now + timedelta(days=1)) is None
    assert db.session.get(Delivery, delivery.id, populate_existing=True).status == "sent"


def test_failures_wait_growing_delays_then_are_given_up(ctx):
    delivery = _queued()
    now = utcnow()
    waits = []
    for _ in range(5):
        taken = deliveries.claim(delivery.id, now)
        assert taken is not None
        waits.append(deliveries.record_failure(taken, "451 4.3.0 Try again later", now=now))
        row = db.session.get(Delivery, delivery.id, populate_existing=True)
        assert row.last_error == "451 4.3.0 Try again later"
        if waits[-1] is not None:
            assert row.status == "failed" and row.next_try_at == now + timedelta(seconds=waits[-1])
            assert deliveries.claim(delivery.id, now + timedelta(seconds=waits[-1] - 10)) is None  # not yet due
            now += timedelta(seconds=waits[-1])
    assert waits == [60, 300, 1800, 7200, None]
    row = db.session.get(Delivery, delivery.id, populate_existing=True)
    assert (row.status, row.attempts, row.next_try_at) == ("given_up", 5, None)
    assert deliveries.claim(delivery.id, now + timedelta(days=1)) is None


def test_the_sweep_queues_again_what_a_dead_sender_never_handed_over_and_gives_up_what_it_did(ctx):
    stuck, handed, failed, lost, fresh = _queued(), _queued(), _queued(), _queued(), _queued()
    now = utcnow()
    deliveries.claim(stuck.id, now - timedelta(minutes=11))  # died before the server had the message's last line
    assert deliveries.hand_over(deliveries.claim(handed.id, now - timedelta(minutes=11)), now - timedelta(minutes=11))
    deliveries.record_failure(deliveries.claim(failed.id, now - timedelta(minutes=2)), "421 busy",
                              now=now - timedelta(minutes=2))
    lost.created_at = now - timedelta(minutes=11)
    db.session.flush()
    db.session.info.clear()
    assert deliveries.sweep(now) == [stuck.id, failed.id, lost.id]
    assert waiting()  # enqueued when the sweep's transaction commits
    assert db.session.get(Delivery, stuck.id, populate_existing=True).status == "queued"
    row = db.session.get(Delivery, handed.id, populate_existing=True)
    assert (row.status, row.last_error) == ("given_up", deliveries.IN_DOUBT)  # it may have gone out: never again
    assert db.session.get(Delivery, fresh.id).status == "queued"
    assert deliveries.sweep(now, lost_after=timedelta(0)) == [stuck.id, failed.id, lost.id, fresh.id]  # at start-up


def test_a_claim_taken_back_cannot_hand_over_so_one_sender_sends(ctx):
    delivery = _queued()
    db.session.info.clear()
    now = utcnow()
    slow = deliveries.claim(delivery.id, now)
    deliveries.sweep(now + timedelta(seconds=1), stuck_after=timedelta(0))  # a consumer starting up takes it back
    fresh = deliveries.claim(delivery.id, now + timedelta(seconds=2))
    assert fresh is not None and fresh.fence == slow.fence + 1
    assert not deliveries.hand_over(slow)  # the slow sender drops its message before the last line
    assert deliveries.hand_over(fresh)
    deliveries.record_sent(slow)  # and could not mark it sent either
    assert db.session.get(Delivery, delivery.id, populate_existing=True).status == "sending"
    deliveries.record_sent(fresh)
    assert db.session.get(Delivery, delivery.id, populate_existing=True).status == "sent"


def test_a_rolled_back_transaction_enqueues_nothing(app, smtp):  # noqa: F811
    with app.app_context():
        _queued()
        assert waiting()
        db.session.rollback()
        assert not waiting()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert smtp.inbox.messages == []


def test_a_committed_delivery_is_sent_with_the_business_as_sender(app, smtp):  # noqa: F811
    with app.app_context():
        delivery_id = _queued(customer_id=None).id
        db.session.commit()  # enqueued now; Huey's immediate mode runs it here
        delivery = db.session.get(Delivery, delivery_id)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, None)
    [message] = smtp.inbox.messages
    assert message["To"] == "ana@example.com" and "My business" in message["From"]


def test_a_writer_that_refuses_gives_the_delivery_up_at_once(app, smtp):  # noqa: F811
    from campaigns.mail import sending

    def refuse(delivery, sender):
        raise LookupError("customer 7 may not be sent campaign e-mail")

    kept = sending.WRITERS.get("campaign")
    sending.WRITERS["campaign"] = refuse
    try:
        with app.app_context():
            delivery_id = deliveries.queue_letter(Letter("ana@example.com", "Offer", ""), "campaign").id
            db.session.commit()
            delivery = db.session.get(Delivery, delivery_id)
            assert (delivery.status, delivery.attempts) == ("given_up", 1)
            assert delivery.last_error == "customer 7 may not be sent campaign e-mail"
    finally:
        sending.WRITERS.pop("campaign")
        if kept is not None:
            sending.WRITERS["campaign"] = kept
    assert smtp.inbox.messages == []
