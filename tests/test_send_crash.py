"""A campaign send survives its consumer being killed (issue 29, "Must show"): a real `flask run-queue` process
sends a 500-member send to a real SMTP server on loopback, is killed with SIGKILL in the middle, and a new one
is started; every treatment member then has exactly one e-mail (its QR their own voucher), no control member
any. On a SQLite queue file and on Redis.

The one message a kill can leave in doubt is one the server was taking at that instant (handed over, not yet
marked sent): it is never sent again, so its member has at most one; the test counts such rows (at most one per
worker thread) and holds every other member to exactly one."""
import io
import os
import random
import shutil
import signal
import time

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from app import create_app
from campaigns.contacts.contact import make_contact
from campaigns.extensions import db
from campaigns.giving import audiences, designs
from campaigns.mail import campaign_sends
from campaigns.models import AudienceAssignment, Campaign, Customer, Delivery, Voucher
from tests.conftest import app_config
from tests.designs import design
from tests.test_job_queue import _start_consumer, smtp_inbox  # noqa: F401  (a fixture)

TREATMENT = 500  # members all drawn to treatment
MIXED = 60  # more, drawn mostly to control
KILL_AFTER = 120  # sent before the kill


@pytest.fixture(params=["sqlite", "redis"])
def sending(request, sqlite_template, tmp_path, smtp_inbox):  # noqa: F811
    """An app whose database and queue a consumer process shares, with an active campaign's audience."""
    shutil.copy(sqlite_template, tmp_path / "app.db")
    database = f"sqlite:///{tmp_path / 'app.db'}"
    queue = (f"sqlite:///{tmp_path / 'queue.db'}" if request.param == "sqlite"
             else request.getfixturevalue("redis_url") + "/2")
    port, inbox = smtp_inbox
    inbox.messages.clear()
    settings = {"QUEUE_URL": queue, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_TIMEOUT": "5",
                "BASE_URL": "https://cafe.example"}
    app = create_app(app_config(database, **settings))
    if request.param == "redis":
        app.extensions["huey"].storage.flush_all()
    with app.app_context():
        campaign = designs.create_campaign(design({"name": "Latte", "unit_cost": "1", "offer": "One free latte"}))
        designs.set_status(campaign, "active")
        audiences.assign(campaign, [make_contact(f"t{i}@example.com") for i in range(TREATMENT)], 0)
        audiences.assign(campaign, [make_contact(f"m{i}@example.com") for i in range(MIXED)], 90,
                         rng=random.Random(3))
        db.session.commit()
        campaign_id = campaign.id
    consumers = []

    def start_consumer():
        consumers.append(_start_consumer(tmp_path, database, settings, f"consumer{len(consumers) + 1}"))
        return consumers[-1]

    yield app, inbox, campaign_id, start_consumer
    for consumer in consumers:
        if consumer.poll() is None:
            consumer.send_signal(signal.SIGINT)
            consumer.wait(timeout=15)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _statuses(app, send_id: int) -> dict[str, int]:
    with app.app_context():
        counts = dict(db.session.execute(select(Delivery.status, func.count()).where(Delivery.send_id == send_id)
                                         .group_by(Delivery.status)).all())
        counts["in_doubt"] = db.session.scalar(select(func.count()).where(
            Delivery.send_id == send_id, Delivery.status == "sending", Delivery.handed_at.is_not(None)))
        db.session.rollback()
    return counts


def _wait(app, send_id: int, until, seconds: float = 90) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    while True:
        counts = _statuses(app, send_id)
        if until(counts):
            return counts
        assert time.monotonic() < deadline, counts
        time.sleep(0.02)


def _consumer_trouble(folder) -> str:
    """What the consumers logged beyond their routine (for a failure's message)."""
    lines = [line for log in sorted(folder.glob("consumer*.log")) for line in log.read_text().splitlines()
             if any(word in line for word in ("Error", "error", "Traceback", "doubt", "could not", "Exception"))]
    return "\n".join(lines[-40:])


def test_a_consumer_killed_mid_send_and_started_again_sends_each_member_exactly_one(sending, tmp_path):
    app, inbox, campaign_id, start_consumer = sending
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, campaign_id), "Café")
        db.session.commit()  # the send's task is on the queue now
        send_id, queued = send.id, send.total
    assert queued >= TREATMENT
    first = start_consumer()
    _wait(app, send_id, lambda counts: counts.get("sent", 0) >= KILL_AFTER)
    first.send_signal(signal.SIGKILL)  # mid-send: no chance to tidy up
    first.wait(timeout=10)
    at_kill = _statuses(app, send_id)
    assert at_kill.get("queued", 0) > 0, at_kill  # it was killed in the middle, not after the end
    start_consumer()  # it takes back what the dead one held but never handed over, and sends the rest
    # The dead consumer's rows in doubt are final; one the new consumer is sending right now is in doubt only for
    # a moment (handed over, not yet recorded), so wait until all but the dead one's are sent.
    left = at_kill["in_doubt"]
    done = _wait(app, send_id, lambda counts: counts.get("sent", 0) + left == queued and counts["in_doubt"] == left)
    # At most one in doubt per worker thread of the killed consumer (each runs one message at a time).
    assert done["in_doubt"] <= 2 and done.get("given_up", 0) == 0 and done.get("failed", 0) == 0, \
        (done, _consumer_trouble(tmp_path))

    with app.app_context():
        treatment = dict(db.session.execute(
            select(Customer.email, Voucher.code).join(AudienceAssignment, AudienceAssignment.customer_id == Customer.id)
            .join(Voucher, Voucher.id == AudienceAssignment.voucher_id)
            .where(AudienceAssignment.campaign_id == campaign_id, AudienceAssignment.group_name == "treatment")).all())
        control = set(db.session.scalars(
            select(Customer.email).join(AudienceAssignment, AudienceAssignment.customer_id == Customer.id)
            .where(AudienceAssignment.campaign_id == campaign_id, AudienceAssignment.group_name == "control")))
        in_doubt = set(db.session.scalars(select(Delivery.recipient).where(
            Delivery.send_id == send_id, Delivery.status == "sending", Delivery.handed_at.is_not(None))))
    received: dict[str, list] = {}
    for message in inbox.messages:
        received.setdefault(message["X-Envelope-To"], []).append(message)
    assert not control & set(received) and len(control) > 0
    assert set(received) <= set(treatment)
    for address in treatment:
        if address in in_doubt:
            assert len(received.get(address, [])) <= 1  # never twice
        else:
            assert len(received.get(address, [])) == 1, address
    for address in random.Random(5).sample(sorted(set(treatment) - in_doubt), 20):  # QR: their own voucher
        [image] = [part for part in received[address][0].walk() if part.get_content_type() == "image/png"]
        picture = Image.open(io.BytesIO(image.get_payload(decode=True))).convert("L")
        assert [found.text for found in zxingcpp.read_barcodes(picture)] == [f"https://cafe.example/v/{treatment[address]}"]
