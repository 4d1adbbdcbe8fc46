"""The job queue itself, with a real consumer process (`flask run-queue`) on a SQLite queue file and on Redis,
and a real SMTP server on loopback: a claimed voucher's e-mail is queued by the request and sent once by the
consumer; a refusing server's answer is kept, tried again after the delays, then given up; a delivery whose task
runs several times is sent once."""
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app import create_app
from campaigns.extensions import db
from campaigns.giving import designs
from campaigns.jobs.queue import task_named
from campaigns.mail.deliveries import queue_letter
from campaigns.mail.sending import Letter
from campaigns.models import Delivery, Voucher
from tests.conftest import app_config, csrf_from, free_port
from tests.designs import design
from tests.test_claim_page import Inbox

ROOT = Path(__file__).resolve().parents[1]
DELAYS = "1,1"  # seconds: three tries in all, then given up


class RefusingInbox(Inbox):
    """Keeps what it is given, but refuses every address at refused.example as a real server would."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_inbox():
    port = free_port()
    inbox = RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def served(request, sqlite_template, tmp_path_factory, smtp_inbox):
    """An app and a consumer process sharing one database and one queue (a SQLite file, or Redis)."""
    folder = tmp_path_factory.mktemp("queue")
    shutil.copy(sqlite_template, folder / "app.db")
    database = f"sqlite:///{folder / 'app.db'}"
    queue = (f"sqlite:///{folder / 'queue.db'}" if request.param == "sqlite"
             else request.getfixturevalue("redis_url") + "/1")
    port, inbox = smtp_inbox
    inbox.messages.clear()  # the other queue's messages
    settings = {"QUEUE_URL": queue, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_RETRY_DELAYS": DELAYS,
                "MAIL_TIMEOUT": "5"}
    app = create_app(app_config(database, **settings))
    if request.param == "redis":
        app.extensions["huey"].storage.flush_all()
    consumer = _start_consumer(folder, database, settings)
    yield app, inbox
    consumer.send_signal(signal.SIGINT)  # what Ctrl+C under honcho does
    try:
        consumer.wait(timeout=15)
    except subprocess.TimeoutExpired:
        consumer.kill()
        raise
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _start_consumer(folder: Path, database: str, settings: dict, name: str = "consumer") -> subprocess.Popen:
    env = {**os.environ, "BASE_URL": "http://testserver", **settings, "DATABASE_URL": database,
           "RECIPROCATE_ENV": "test", "SECRET_KEY": "test-secret", "QUEUE_POLL_SECONDS": "0.1"}
    log = folder / f"{name}.log"
    with log.open("w") as out:  # the child keeps its own copy of the file
        consumer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run-queue"], cwd=ROOT, env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while "Job queue consumer on" not in log.read_text():
        assert consumer.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return consumer


def wait_for(app, delivery_id: int, *statuses: str, seconds: float = 20) -> Delivery:
    """Wait until the delivery reaches one of `statuses`; return it."""
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            delivery = db.session.get(Delivery, delivery_id)
            db.session.expunge(delivery)
        if delivery.status in statuses or time.monotonic() > deadline:
            assert delivery.status in statuses, (delivery.status, delivery.last_error)
            return delivery
        time.sleep(0.05)


def _queue(app, to: str) -> int:
    with app.app_context():
        delivery = queue_letter(Letter(to, "Hello", "Hello from the queue."), "test")
        db.session.commit()  # enqueued now
        return delivery.id


def test_a_claimed_voucher_is_queued_by_the_request_and_sent_once_by_the_consumer(served):
    app, inbox = served
    with app.app_context():
        campaign = designs.create_campaign(design({"name": "Latte", "unit_cost": "1", "offer": "One free latte",
                                                   "claim_page": True}))
        designs.set_status(campaign, "active")
        db.session.commit()
        url = f"/claim/{campaign.claim_slug}"
    client = app.test_client()
    token = csrf_from(client.get(url).get_data(as_text=True))
    answer = client.post(url, data={"email": "ana@example.com", "phone": "", "name": "", "csrf_token": token})
    assert answer.status_code == 302
    with app.app_context():
        delivery_id, voucher_code = db.session.execute(
            select(Delivery.id, Voucher.code).join(Voucher, Voucher.id == Delivery.voucher_id)
            .where(Delivery.recipient == "ana@example.com")).one()
    sent = wait_for(app, delivery_id, "sent")
    assert sent.kind == "voucher" and sent.attempts == 1 and sent.sent_at is not None and sent.last_error is None
    [body] = inbox.to("ana@example.com")
    assert f"http://testserver/v/{voucher_code}" in body


def test_a_refusing_server_is_kept_tried_again_after_the_delays_and_given_up(served):
    app, inbox = served
    delivery_id = _queue(app, "nobody@refused.example")
    failed = wait_for(app, delivery_id, "failed", "given_up")
    assert "550 5.1.1" in failed.last_error and "User unknown" in failed.last_error
    given_up = wait_for(app, delivery_id, "given_up")
    assert given_up.attempts == 3 and given_up.next_try_at is None and "550 5.1.1" in given_up.last_error
    assert inbox.to("nobody@refused.example") == []


def test_a_delivery_whose_task_runs_four_times_is_sent_once(served):
    app, inbox = served
    with app.app_context():
        delivery = queue_letter(Letter("twice@example.com", "Once", "Only once."), "test")
        send = task_named("send_delivery")
        for _ in range(3):  # as a sweep, a retry and a restarted consumer might
            send(delivery.id)
        db.session.commit()  # and the fourth, the delivery's own, after the commit
        delivery_id = delivery.id
    assert wait_for(app, delivery_id, "sent").attempts == 1
    time.sleep(0.5)  # the other three runs have had their turn
    assert len(inbox.to("twice@example.com")) == 1


def test_make_run_s_procfile_serves_the_app_with_its_consumer_and_ctrl_c_stops_both(sqlite_template, tmp_path):
    """`make run` is honcho on the Procfile: the web server answers, the consumer runs, and one Ctrl+C (SIGINT to
    the terminal's process group) stops both."""
    shutil.copy(sqlite_template, tmp_path / "app.db")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "HOST": "127.0.0.1",
           "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}", "RECIPROCATE_ENV": "development"}
    log = tmp_path / "honcho.log"
    with log.open("w") as out:
        honcho = subprocess.Popen([str(Path(sys.executable).parent / "honcho"), "start", "-f", "Procfile", "-p",
                                   str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not ("Job queue consumer on" in log.read_text() and f"Listening at: http://127.0.0.1:{port}"
                   in log.read_text()):
            assert honcho.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        health = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
        assert health.status == 200
        os.killpg(honcho.pid, signal.SIGINT)
        honcho.wait(timeout=15)
        said = log.read_text()
        assert "web.1 stopped" in said and "queue.1 stopped" in said
        assert "development server" not in said  # gunicorn, as in production: no warning
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
