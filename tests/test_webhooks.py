"""Webhooks (API.md): registered by owners; each event written in the transaction of its change, one delivery per
webhook that asked for it; POSTed from the job queue, signed; a receiver that answers 500 gets the same event
again (same id) with growing delays until it answers 2xx, and one that never answers is failed after 24 hours."""
import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from campaigns.accounts import business
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.jobs import webhooks
from campaigns.mail import webhook_posts
from campaigns.mail.delivery_tasks import post_webhooks
from campaigns.models import Campaign, WebhookDelivery, utcnow

HOOKS = "/api/v1/webhooks"


class Receiver:
    """A webhook receiver on loopback: checks each signature, answers the statuses it is given in turn (then 200),
    and keeps every event it accepted by id."""

    def __init__(self, answers=()):
        self.answers, self.secret, self.calls, self.accepted = list(answers), None, [], {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp, mac = dict(part.split("=", 1) for part in self.headers["Reciprocate-Signature"].split(","))\
                    .values()
                good = hmac.compare_digest(mac, hmac.new(receiver.secret.encode(), f"{stamp}.".encode() + body,
                                                         hashlib.sha256).hexdigest())
                event = json.loads(body)
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.calls.append((event["id"], good, status))
                if good and status == 200:
                    receiver.accepted.setdefault(event["id"], event)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def shop(app, make_campaign, make_token):
    """An active campaign with vouchers, a location, an owner's token and a staff token."""
    campaign_id = make_campaign(status="active", offer="One free latte")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 3, "flyer")
        business.create_location("Main St")
        db.session.commit()
    client = app.test_client()
    owner = {"Authorization": f"Bearer {make_token('owner', 'Zapier')}"}
    staff = {"Authorization": f"Bearer {make_token('staff', 'Till')}"}
    return {"codes": made, "client": client, "owner": owner, "staff": staff, "app": app}


def _register(shop, url, events):
    answer = shop["client"].post(HOOKS, json={"url": url, "events": events}, headers=shop["owner"])
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _deliveries(app):
    with app.app_context():
        return db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def test_owners_register_list_and_stop_webhooks(shop):
    made = _register(shop, "https://example.com/hooks", ["purchase.recorded", "voucher.redeemed"])
    assert made["secret"].startswith("whsec_") and made["events"] == ["voucher.redeemed", "purchase.recorded"]
    listed = shop["client"].get(HOOKS, headers=shop["owner"]).get_json()["webhooks"]
    assert [hook["id"] for hook in listed] == [made["id"]] and "secret" not in listed[0]
    for body, field in [({"url": "ftp://x.example", "events": ["voucher.redeemed"]}, "url"),
                        ({"url": "https://u:p@x.example", "events": ["voucher.redeemed"]}, "url"),
                        ({"url": "https://x.example", "events": ["voucher.eaten"]}, "events"),
                        ({"url": "https://x.example", "events": []}, "events")]:
        wrong = shop["client"].post(HOOKS, json=body, headers=shop["owner"])
        assert wrong.status_code == 422 and field in wrong.get_json()["error"]["details"]["fields"], body
    assert shop["client"].get(HOOKS, headers=shop["staff"]).status_code == 403
    assert shop["client"].delete(f"{HOOKS}/{made['id']}", headers=shop["owner"]).status_code == 204
    assert shop["client"].delete(f"{HOOKS}/{made['id']}", headers=shop["owner"]).status_code == 404
    assert shop["client"].get(HOOKS, headers=shop["owner"]).get_json()["webhooks"] == []


def test_each_event_goes_to_the_webhooks_that_asked_once_and_signed(shop):
    with Receiver() as receiver:
        redeemed = _register(shop, receiver.url, ["voucher.redeemed"])
        receiver.secret = redeemed["secret"]
        ignored = _register(shop, "http://127.0.0.1:9/never", ["campaign.status_changed"])
        client = shop["client"]
        assert client.post("/api/v1/redemptions", json={"code": shop["codes"][0], "location": "Main St"},
                           headers=shop["staff"]).status_code == 201
        assert client.post("/api/v1/redemptions", json={"code": shop["codes"][0]},
                           headers=shop["staff"]).status_code == 409  # refused: no event
        # The queue (immediate in tests) sent it once the request committed.
        assert [good for _, good, _ in receiver.calls] == [True]
        event = next(iter(receiver.accepted.values()))
        assert event["type"] == "voucher.redeemed" and event["data"]["code"] == shop["codes"][0]
        assert event["data"]["location"] == "Main St" and event["data"]["campaign"]["name"] == "Free latte"
    assert [(d.webhook_id, d.status) for d in _deliveries(shop["app"])] == [(redeemed["id"], "delivered")]
    assert ignored["id"] != redeemed["id"]


def test_a_receiver_that_fails_twice_gets_the_same_event_again_and_keeps_it_once(shop):
    app = shop["app"]
    with Receiver(answers=[500, 500]) as receiver:
        hook = _register(shop, receiver.url, ["purchase.recorded"])
        receiver.secret = hook["secret"]
        sale = {"external_id": "till-1", "amount": "12.40", "occurred_at": "2026-12-01T10:00:00+01:00"}
        assert shop["client"].post("/api/v1/purchases", json=sale, headers=shop["staff"]).status_code == 201
        assert shop["client"].post("/api/v1/purchases", json=sale, headers=shop["staff"]).status_code == 200
        [first] = _deliveries(app)
        assert (first.status, first.attempts, first.last_status) == ("retrying", 1, 500)
        with app.app_context():
            assert post_webhooks(now=utcnow()) == "nothing due"  # not before its delay
            due = first.next_attempt_at
            assert timedelta(seconds=30) <= due - first.last_attempt_at < timedelta(seconds=31)
            post_webhooks(now=due)
            second = _deliveries(app)[0]
            assert (second.status, second.attempts) == ("retrying", 2)
            assert second.next_attempt_at - due == timedelta(seconds=webhook_posts.RETRY_DELAYS[1])  # growing
            post_webhooks(now=second.next_attempt_at)
    [done] = _deliveries(app)
    assert (done.status, done.attempts, done.last_status, done.last_answer) == ("delivered", 3, 200, "ok")
    assert [(event_id, good) for event_id, good, _ in receiver.calls] == [(done.event_id, True)] * 3
    assert list(receiver.accepted) == [done.event_id]
    assert receiver.accepted[done.event_id]["data"]["amount"] == "12.40"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_receiver_that_never_answers_is_tried_with_growing_delays_then_failed(shop):
    app = shop["app"]
    _register(shop, f"http://127.0.0.1:{_closed_port()}/hook", ["voucher.redeemed"])
    assert shop["client"].post("/api/v1/redemptions", json={"code": shop["codes"][1]},
                               headers=shop["staff"]).status_code == 201
    gaps = []
    with app.app_context():
        for _ in range(40):
            [delivery] = db.session.scalars(select(WebhookDelivery)).all()
            db.session.refresh(delivery)
            if delivery.status != "retrying":
                break
            gaps.append(int((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
            post_webhooks(now=delivery.next_attempt_at)
        db.session.refresh(delivery)
        assert delivery.status == "failed" and delivery.last_status is None
        assert delivery.last_answer.startswith("No answer")
        assert delivery.last_attempt_at - delivery.created_at <= timedelta(hours=24)
    assert gaps[:7] == list(webhook_posts.RETRY_DELAYS) and gaps == sorted(gaps)
    assert delivery.attempts == len(gaps) + 1


def test_stopping_a_webhook_cancels_what_waits_and_a_ping_reaches_one_webhook(shop):
    app = shop["app"]
    hook = _register(shop, f"http://127.0.0.1:{_closed_port()}/hook", ["voucher.redeemed"])
    shop["client"].post("/api/v1/redemptions", json={"code": shop["codes"][2]}, headers=shop["staff"])
    assert [d.status for d in _deliveries(app)] == ["retrying"]
    listed = shop["client"].get(f"{HOOKS}/{hook['id']}/deliveries", headers=shop["owner"]).get_json()
    assert listed["deliveries"][0]["last_answer"].startswith("No answer")
    shop["client"].delete(f"{HOOKS}/{hook['id']}", headers=shop["owner"])
    assert [d.status for d in _deliveries(app)] == ["cancelled"]
    with Receiver() as receiver:
        other = _register(shop, receiver.url, ["campaign.status_changed"])
        receiver.secret = other["secret"]
        with app.app_context():
            webhooks.ping(other["id"])
            db.session.commit()
        assert [event["type"] for event in receiver.accepted.values()] == ["ping"]


def test_the_settings_page_adds_a_webhook_shows_its_secret_once_and_its_deliveries(shop, make_user):
    from tests.conftest import csrf_from, log_in

    client = shop["app"].test_client()
    log_in(client, make_user("owner"))
    page = client.get("/settings/webhooks/").get_data(as_text=True)
    assert "No webhooks yet" in page
    token = csrf_from(page)
    wrong = client.post("/settings/webhooks/", data={"csrf_token": token, "url": "nonsense"}).get_data(as_text=True)
    assert "An http:// or https:// address" in wrong and "A list of one or more of" in wrong
    made = client.post("/settings/webhooks/", data={"csrf_token": token, "url": "http://127.0.0.1:9/hook",
                                                   "events": ["voucher.redeemed", "feedback.answered"]})
    text = made.get_data(as_text=True)
    with shop["app"].app_context():
        [hook] = webhooks.live_webhooks()
        assert hook.secret in text and hook.events.split() == ["voucher.redeemed", "feedback.answered"]
    assert hook.secret not in client.get("/settings/webhooks/").get_data(as_text=True)
    assert client.post(f"/settings/webhooks/{hook.id}/ping", data={"csrf_token": token}).status_code == 302
    shown = client.get(f"/settings/webhooks/{hook.id}").get_data(as_text=True)
    assert "ping" in shown and "No answer" in shown
    staff = shop["app"].test_client()
    log_in(staff, make_user("marketer"))
    assert staff.get("/settings/webhooks/").status_code == 403
    assert client.post(f"/settings/webhooks/{hook.id}/stop", data={"csrf_token": token}).status_code == 302
    assert "No webhooks yet" in client.get("/settings/webhooks/").get_data(as_text=True)


def test_every_event_type_is_written_by_its_change(shop, make_user):
    from campaigns.desk import undo
    from campaigns.feedback.answers import Answer, give
    from campaigns.giving import designs
    from campaigns.models import User

    app, client = shop["app"], shop["client"]
    hook = _register(shop, f"http://127.0.0.1:{_closed_port()}/hook", list(webhooks.WEBHOOK_EVENTS))
    redeemed = client.post("/api/v1/redemptions", json={"code": shop["codes"][0]}, headers=shop["staff"]).get_json()
    client.post("/api/v1/purchases", json={"purchases": [
        {"external_id": "a", "amount": "3.00", "occurred_at": "2026-12-01T10:00:00+00:00"},
        {"external_id": "b", "amount": "4.00", "occurred_at": "2026-12-01T10:00:00+00:00"}]}, headers=shop["staff"])
    owner = make_user("owner")
    with app.app_context():
        give(shop["codes"][0], Answer(score=9, answer="The crema"))
        undo.undo(redeemed["redemption_id"], db.session.scalar(select(User).where(User.email == owner.email)),
                  "Wrong card")
        designs.set_status(db.session.scalar(select(Campaign)), "paused")
        db.session.commit()
    with app.app_context():
        events = [json.loads(d.body) for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert [event["type"] for event in events] == ["voucher.redeemed", "purchase.recorded", "purchase.recorded",
                                                  "feedback.answered", "redemption.undone", "campaign.status_changed"]
    assert len({event["id"] for event in events}) == 6
    assert [events[1]["data"]["amount"], events[2]["data"]["amount"]] == ["3.00", "4.00"]
    assert events[3]["data"]["score"] == 9 and events[4]["data"]["reason"] == "Wrong card"
    assert (events[5]["data"]["from"], events[5]["data"]["to"]) == ("active", "paused")
    assert hook["events"] == list(webhooks.WEBHOOK_EVENTS)
