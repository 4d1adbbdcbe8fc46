"""Sending a campaign to its audience (issue 29, API.md sends), on SQLite and PostgreSQL, through a real SMTP
server on loopback. The queue is a SQLite file with no consumer, so a test runs the send's task itself, when it
wants, as the consumer would: every treatment member gets one e-mail whose QR decodes to their own voucher, no
control member gets one, an unsubscribed customer never does, and a cancel stops what has not gone."""
import io
import random
import socketserver
import threading
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from campaigns.contacts.contact import make_contact
from campaigns.customers.merging import merge_customers
from campaigns.extensions import db
from campaigns.giving import audiences
from campaigns.jobs.queue import task_named
from campaigns.mail import campaign_sends, deliveries
from campaigns.mail.campaign_sends import SendError
from campaigns.mail.delivery_tasks import send_one
from campaigns.mail.mail_server import server
from campaigns.mail.sending import Outbox, Superseded, build
from campaigns.models import AudienceAssignment, Campaign, Customer, Delivery, Voucher, utcnow
from tests.conftest import app_config, csrf_from, log_in
from tests.test_claim_page import SMTPServer

MEMBERS = 40


@pytest.fixture
def smtp():
    running = SMTPServer()
    yield running
    running.stop()


@pytest.fixture
def app(database_url, smtp, tmp_path):
    """The app mailing the loopback server, its queue a file no consumer reads (tests run the tasks)."""
    app = create_app(app_config(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=5,
                                QUEUE_URL=f"sqlite:///{tmp_path / 'queue.db'}", BASE_URL="https://cafe.example"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def audience(app, make_campaign):
    """An active campaign whose audience of MEMBERS people is drawn half to control; its id."""
    campaign_id = make_campaign(status="active", offer="One free latte", ends_on="2099-06-30")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        people = [make_contact(f"member{i}@example.com", None, f"Member {i}") for i in range(MEMBERS)]
        audiences.assign(campaign, people, 50, rng=random.Random(7))
        db.session.commit()
    return campaign_id


def _groups(app, campaign_id) -> dict[str, dict[str, str]]:
    """group -> {e-mail: voucher code or None}."""
    with app.app_context():
        rows = db.session.execute(
            select(AudienceAssignment.group_name, Customer.email, Voucher.code)
            .join(Customer, Customer.id == AudienceAssignment.customer_id)
            .outerjoin(Voucher, Voucher.id == AudienceAssignment.voucher_id)
            .where(AudienceAssignment.campaign_id == campaign_id)).all()
    groups = {"treatment": {}, "control": {}}
    for group, address, code in rows:
        groups[group][address] = code
    return groups


def _run(app, send_id: int) -> str:
    with app.app_context():
        return task_named(deliveries.SEND_RUN_TASK).call_local(send_id)


def _qr(message) -> str:
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    picture = Image.open(io.BytesIO(image.get_payload(decode=True))).convert("L")
    [found] = zxingcpp.read_barcodes(picture)
    return found.text


def _received(smtp) -> dict[str, list]:
    got: dict[str, list] = {}
    for message in smtp.inbox.messages:
        got.setdefault(message["X-Envelope-To"], []).append(message)
    return got


def test_each_treatment_member_gets_one_e_mail_whose_qr_is_their_own_voucher_and_no_control_member_any(
        app, audience, smtp, make_token):
    token = {"Authorization": f"Bearer {make_token('marketer')}"}
    client = app.test_client()
    groups = _groups(app, audience)
    assert len(groups["treatment"]) >= 10 and len(groups["control"]) >= 10
    started = client.post(f"/api/v1/campaigns/{audience}/sends", headers=token)
    assert started.status_code == 202, started.get_json()
    send_id, queued = started.get_json()["send_id"], started.get_json()["queued"]
    assert queued == len(groups["treatment"])
    progress = client.get(f"/api/v1/sends/{send_id}", headers=token).get_json()
    assert (progress["status"], progress["total"], progress["sent"], progress["failed"]) == ("queued", queued, 0, 0)
    assert smtp.inbox.messages == []  # nothing is sent in the request

    assert _run(app, send_id) == f"{queued} sent"
    got = _received(smtp)
    assert set(got) == set(groups["treatment"])  # no control member
    for address, code in groups["treatment"].items():
        [message] = got[address]
        assert _qr(message) == f"https://cafe.example/v/{code}"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    progress = client.get(f"/api/v1/sends/{send_id}", headers=token).get_json()
    assert (progress["status"], progress["sent"], progress["failed"]) == ("done", queued, 0)
    again = client.post(f"/api/v1/campaigns/{audience}/sends", headers=token)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "nothing_to_send"
    assert _run(app, send_id) == "nothing to send"  # the task run again (a retry, a sweep) sends nothing
    assert len(smtp.inbox.messages) == queued


def test_the_unsubscribe_link_works_and_its_customer_is_never_sent_again(app, audience, smtp, make_campaign):
    client = app.test_client()
    with app.app_context():
        campaign = db.session.get(Campaign, audience)
        send = campaign_sends.start_send(campaign, "Café")
        db.session.commit()
        send_id = send.id
    _run(app, send_id)
    first = smtp.inbox.messages[0]
    address = first["X-Envelope-To"]
    link = first["List-Unsubscribe"].strip("<>").removeprefix("https://cafe.example")
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # RFC 8058, no session
    other_id = make_campaign(status="active", offer="A free scone")
    with app.app_context():
        other = db.session.get(Campaign, other_id)
        everyone = list(db.session.scalars(select(Customer).order_by(Customer.id)))
        sent = audiences.send(other, everyone, 0)  # all to treatment: only the unsubscribed is left out
        assert [c.email for c in sent.excluded] == [address]
        second = campaign_sends.start_send(other, "Café")
        db.session.commit()
        second_id = second.id
    smtp.inbox.messages.clear()
    _run(app, second_id)
    got = _received(smtp)
    assert address not in got and len(got) == MEMBERS - 1


def test_a_member_who_unsubscribes_while_queued_is_not_sent_and_the_row_says_why(app, audience, smtp):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        send_id = send.id
        first = db.session.scalars(select(Delivery).where(Delivery.send_id == send_id).order_by(Delivery.id)).first()
        db.session.get(Customer, first.customer_id).unsubscribed_at = first.created_at
        db.session.commit()
        address = first.recipient
    _run(app, send_id)
    with app.app_context():
        row = db.session.get(Delivery, first.id)
        assert row.status == "given_up" and "may not be sent" in row.last_error
        progress = campaign_sends.progress(campaign_sends.get_send(send_id))
    assert address not in _received(smtp)
    assert (progress.status, progress.failed, progress.sent) == ("done", 1, progress.total - 1)


def test_cancel_stops_what_has_not_gone_and_a_later_send_takes_them_again(app, audience, smtp, make_token):
    token = {"Authorization": f"Bearer {make_token('marketer')}"}
    client = app.test_client()
    send_id = client.post(f"/api/v1/campaigns/{audience}/sends", headers=token).get_json()["send_id"]
    with app.app_context(), Outbox(server(app.config, "Café")) as outbox:  # three go out before the cancel
        ids = db.session.scalars(select(Delivery.id).where(Delivery.send_id == send_id).order_by(Delivery.id))
        for delivery_id in list(ids)[:3]:
            assert send_one(delivery_id, outbox) == "sent"
    cancelled = client.post(f"/api/v1/sends/{send_id}/cancel", headers=token)
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert (body["status"], body["sent"], body["cancelled"]) == ("cancelled", 3, body["total"] - 3)
    assert _run(app, send_id) == "nothing to send" and len(smtp.inbox.messages) == 3
    twice = client.post(f"/api/v1/sends/{send_id}/cancel", headers=token)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "too_late"
    again = client.post(f"/api/v1/campaigns/{audience}/sends", headers=token).get_json()
    assert again["queued"] == body["total"] - 3  # those cancelled, not the three who have theirs
    _run(app, again["send_id"])
    got = _received(smtp)
    assert all(len(messages) == 1 for messages in got.values()) and len(got) == body["total"]


def test_cancel_after_cancel_until_is_too_late(app, audience):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        with pytest.raises(SendError) as late:
            campaign_sends.cancel(send.id, now=send.cancel_until + timedelta(seconds=1))
        assert late.value.code == "too_late"
        assert campaign_sends.progress(send).waiting == send.total  # nothing was stopped


def test_a_sender_superseded_at_the_hand_over_delivers_nothing_and_the_connection_serves_the_next(app, audience,
                                                                                                 smtp):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        first, second = db.session.scalars(select(Delivery.id).where(Delivery.send_id == send.id)
                                           .order_by(Delivery.id).limit(2)).all()
        taken = deliveries.claim(first)
        db.session.commit()

        def cancelled_meanwhile() -> bool:
            campaign_sends.cancel(send.id)  # the marketer cancels while the message is on the wire
            db.session.commit()
            held = deliveries.hand_over(taken)
            db.session.commit()
            return held

        with Outbox(server(app.config, "Café")) as outbox:
            with pytest.raises(Superseded):
                outbox.deliver(build(taken.delivery, outbox.server.sender), cancelled_meanwhile)
            assert smtp.inbox.messages == []  # the server never had the last line
            other = db.session.get(Delivery, second)
            outbox.deliver(build(other, outbox.server.sender), lambda: True)
        assert db.session.get(Delivery, first).status == "cancelled"
    assert len(smtp.inbox.messages) == 1


def test_the_database_holds_one_live_campaign_e_mail_per_member(app, audience):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        row = db.session.scalars(select(Delivery).where(Delivery.send_id == send.id)).first()
        db.session.add(Delivery(kind="campaign", recipient=row.recipient, subject=row.subject, body="", status="queued",
                                attempts=0, campaign_id=row.campaign_id, customer_id=row.customer_id,
                                voucher_id=row.voucher_id))
        with pytest.raises(IntegrityError):
            db.session.flush()


@pytest.mark.parametrize("status, code", [("draft", "campaign_not_active"), ("paused", "campaign_not_active"),
                                          ("ended", "campaign_not_active")])
def test_a_campaign_that_is_not_live_is_not_sent(app, audience, make_token, status, code):
    with app.app_context():
        db.session.get(Campaign, audience).status = status
        db.session.commit()
    answer = app.test_client().post(f"/api/v1/campaigns/{audience}/sends",
                                    headers={"Authorization": f"Bearer {make_token('marketer')}"})
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_bad_requests_name_what_is_wrong_and_change_nothing(app, audience, make_token):
    client = app.test_client()
    marketer = {"Authorization": f"Bearer {make_token('marketer')}"}
    wrong = client.post(f"/api/v1/campaigns/{audience}/sends", json={"members": 5}, headers=marketer)
    assert wrong.status_code == 422 and "members" in wrong.get_json()["error"]["details"]["fields"]
    assert client.post("/api/v1/campaigns/999999/sends", headers=marketer).status_code == 404
    assert client.get("/api/v1/sends/999999", headers=marketer).get_json()["error"]["code"] == "unknown_send"
    assert client.post("/api/v1/sends/999999/cancel", headers=marketer).status_code == 404
    staff = {"Authorization": f"Bearer {make_token('staff')}"}
    assert client.post(f"/api/v1/campaigns/{audience}/sends", headers=staff).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_the_send_page_sends_shows_progress_and_cancels(app, audience, make_user):
    client = app.test_client()
    log_in(client, make_user("marketer"))
    page = client.get(f"/campaigns/{audience}/sends").get_data(as_text=True)
    treatment = len(_groups(app, audience)["treatment"])
    assert f"Send {treatment} e-mails" in page and "address-warning" not in page
    answer = client.post(f"/campaigns/{audience}/sends", data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Sending to {treatment} members" in page and "Queued" in page and "all-sent" in page
    cancel = client.post(f"/campaigns/{audience}/sends/1/cancel", data={"csrf_token": csrf_from(page)},
                         follow_redirects=True).get_data(as_text=True)
    assert f"Cancelled: {treatment} e-mails will not be sent" in cancel


def test_a_merged_member_keeps_their_sent_e_mail_and_is_not_sent_again(app, audience, smtp):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        send_id = send.id
    _run(app, send_id)
    with app.app_context():
        sent = db.session.scalars(select(Delivery).where(Delivery.send_id == send_id)).first()
        phone_only = Customer(phone="+16502530000")
        db.session.add(phone_only)
        db.session.flush()
        merge_customers(phone_only.id, sent.customer_id, None)  # the same person, found by phone at the desk
        db.session.commit()
        assert db.session.get(Delivery, sent.id).customer_id == phone_only.id
        assert campaign_sends.count_to_send(audience) == 0


def test_a_campaign_e_mail_that_failed_is_queued_again_by_the_sweep_on_its_own(app, audience):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        first = db.session.scalars(select(Delivery.id).where(Delivery.send_id == send.id).order_by(Delivery.id)).first()
        now = first_try = utcnow()
        deliveries.record_failure(deliveries.claim(first, first_try), "421 busy", (60,), now=first_try)
        db.session.info.clear()
        now = first_try + timedelta(seconds=61)
        deliveries.sweep(now, lost_after=timedelta(0))
        queued = db.session.info["reciprocate.after_commit"]
        assert ("send_delivery", (first,)) in queued  # the run takes only queued rows: a due retry goes alone
        assert ("run_campaign_send", (send.id,)) in queued


class Refusing(socketserver.StreamRequestHandler):
    """A mail server that will not talk: 421 at once, as a busy or blocking one does."""

    def handle(self):
        self.wfile.write(b"421 4.7.0 Too many connections, try again later\r\n")


def test_a_server_that_refuses_us_stops_the_send_instead_of_failing_every_member(app, audience):
    with socketserver.TCPServer(("127.0.0.1", 0), Refusing) as refusing:
        threading.Thread(target=refusing.serve_forever, daemon=True).start()
        app.config["MAIL_PORT"] = refusing.server_address[1]
        with app.app_context():
            send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
            db.session.commit()
            send_id, total = send.id, send.total
        outcome = _run(app, send_id)
        refusing.shutdown()
    assert outcome == "1 unreachable"
    with app.app_context():
        counts = dict(db.session.execute(select(Delivery.status, func.count()).where(Delivery.send_id == send_id)
                                         .group_by(Delivery.status)).all())
        row = db.session.scalars(select(Delivery).where(Delivery.status == "failed")).one()
    assert counts == {"failed": 1, "queued": total - 1}
    assert "421 4.7.0 Too many connections" in row.last_error


def test_an_error_at_the_hand_over_leaves_the_message_unfinished_and_the_connection_clean(app, audience, smtp):
    with app.app_context():
        send = campaign_sends.start_send(db.session.get(Campaign, audience), "Café")
        db.session.commit()
        first, second = db.session.scalars(select(Delivery).where(Delivery.send_id == send.id)
                                           .order_by(Delivery.id).limit(2)).all()

        def broken() -> bool:
            raise RuntimeError("database is locked")

        with Outbox(server(app.config, "Café")) as outbox:
            with pytest.raises(RuntimeError):
                outbox.deliver(build(first, outbox.server.sender), broken)
            outbox.deliver(build(second, outbox.server.sender), lambda: True)  # a new connection
    assert [m["X-Envelope-To"] for m in smtp.inbox.messages] == [second.recipient]  # no QUIT inside a message


def test_the_openapi_document_lets_a_send_and_a_cancel_leave_their_empty_body_out(client):
    """Both take an empty body or {} (API.md): the document must not call the body required, or a client built
    from it sends one it does not need, and a fuzzer calls the server wrong for taking none."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/campaigns/{campaign_id}/sends", "/api/v1/sends/{send_id}/cancel"):
        assert paths[path]["post"]["requestBody"]["required"] is False, path
    assert paths["/api/v1/purchases"]["post"]["requestBody"]["required"] is True
