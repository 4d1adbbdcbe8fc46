"""The e-mail asking for feedback: queued once by the job queue's periodic task after the campaign's delay, sent
through a real SMTP server on loopback (Huey's immediate mode here; tests/test_job_queue.py runs a real consumer);
its link opens the voucher's feedback form."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.feedback import answers as feedback
from campaigns.giving.vouchers import issue_batch
from campaigns.jobs.queue import task_named
from campaigns.mail.feedback_invites import queue_feedback_invites
from campaigns.models import Campaign, Delivery, FeedbackInvite

# The app sending real mail to a real SMTP server on a loopback port, as the claim page's tests use it.
from tests.test_claim_page import app, smtp  # noqa: F401  (fixtures)

REDEEMED = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def tasting(app, make_campaign):
    """A class that e-mails the feedback link two hours after redeeming, and four redemptions an hour ago: Ana
    (e-mail), Ben (e-mail, answers on the page before the e-mail is due), Cleo (phone only) and one anonymous."""
    campaign_id = make_campaign(status="active", offer="A free tasting class", feedback_mail_delay_hours=2)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        codes = dict(zip(("ana", "ben", "cleo", "anon"), issue_batch(campaign, 4, "poster")))
        for key, contact in (("ana", "ana@example.com"), ("ben", "ben@example.com"), ("cleo", None)):
            customer = make_contact(contact) if contact else make_contact(None, "+1 212 555 0100")
            redemption.redeem(codes[key], redemption.Attempt(customer=customer), now=REDEEMED)
        redemption.redeem(codes["anon"], redemption.Attempt(), now=REDEEMED)
        feedback.give(codes["ben"], feedback.Answer(9, "Fun"), now=REDEEMED + timedelta(minutes=30))
        db.session.commit()
    return campaign_id, codes


def send_feedback_invites(app, now) -> int:
    """What the periodic task does, at a chosen moment: queue the due invites and commit (they are sent then)."""
    with app.app_context():
        queued = queue_feedback_invites("Café", now=now)
        db.session.commit()
        return queued


def test_the_link_is_e_mailed_after_the_delay_once_and_opens_the_form(app, smtp, tasting):
    _, codes = tasting
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=1, minutes=59)) == 0  # not yet
    assert smtp.inbox.messages == []
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=2)) == 1  # Ana only
    [letter] = smtp.inbox.messages
    assert letter["To"] == "ana@example.com" and "A free tasting class" in letter["Subject"]
    link = re.search(r"https?://\S+/v/(\S+)", letter.get_content()).group(0)
    assert link == f"http://testserver/v/{codes['ana']}"
    page = app.test_client().get(link.removeprefix("http://testserver")).get_data(as_text=True)
    assert page.count('name="score"') == 11 and "What did you value most about it?" in page
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=3)) == 0  # never twice
    assert len(smtp.inbox.messages) == 1
    with app.app_context():
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.kind, delivery.status, delivery.recipient) == ("feedback_invite", "sent", "ana@example.com")


def test_the_periodic_task_runs_each_minute_and_queues_what_is_due(app, smtp, tasting):
    with app.app_context():
        campaign = db.session.get(Campaign, tasting[0])
        campaign.feedback_mail_delay_hours = 0
        db.session.commit()
    task = task_named("queue_feedback_invites", app)
    assert all(task.task_class().validate_datetime(datetime(2026, 1, 1, 9, minute)) for minute in (0, 1, 59))
    assert task.call_local() == 1  # as the consumer's scheduler calls it
    assert [m["To"] for m in smtp.inbox.messages] == ["ana@example.com"]


def test_the_command_queues_what_is_due(app, smtp, tasting):
    result = app.test_cli_runner().invoke(args=["send-feedback-invites"])  # now: an hour after redeeming
    assert result.exit_code == 0 and "Queued 0 feedback" in result.output
    with app.app_context():
        campaign = db.session.get(Campaign, tasting[0])
        campaign.feedback_mail_delay_hours = 0
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-feedback-invites"])
    assert "Queued 1 feedback" in result.output and [m["To"] for m in smtp.inbox.messages] == ["ana@example.com"]


def test_an_old_redemption_is_never_asked_and_a_campaign_without_delay_never_mails(app, smtp, tasting):
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=2) + timedelta(days=2)) == 0
    with app.app_context():
        db.session.get(Campaign, tasting[0]).feedback_mail_delay_hours = None
        db.session.commit()
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=2)) == 0
    assert smtp.inbox.messages == []


def test_a_failed_send_is_its_delivery_s_to_retry_and_the_invite_is_queued_once(app, smtp, tasting):
    smtp.stop()  # the mail server is down
    due = REDEEMED + timedelta(hours=2)
    assert send_feedback_invites(app, now=due) == 1
    assert send_feedback_invites(app, now=due + timedelta(minutes=16)) == 0  # its delivery tries again, not this
    with app.app_context():
        delivery = db.session.scalar(select(Delivery))
        assert (delivery.status, delivery.attempts) == ("failed", 1) and "Could not talk to" in delivery.last_error
        assert delivery.next_try_at is not None
        invite = db.session.scalar(select(FeedbackInvite))
        assert invite.sent_at is not None


def test_the_delay_counts_from_when_the_redemption_was_recorded(app, smtp, make_campaign):
    """A voucher scanned offline four days ago and synced now is asked after the delay from now, not never."""
    campaign_id = make_campaign(status="active", feedback_mail_delay_hours=2)
    with app.app_context():
        [code] = issue_batch(db.session.get(Campaign, campaign_id), 1, "poster")
        redemption.redeem(code, redemption.Attempt(customer=make_contact("dee@example.com"),
                                                   scanned_at=datetime.now(UTC) - timedelta(days=4)))
        db.session.commit()
    assert send_feedback_invites(app, now=datetime.now(UTC) + timedelta(hours=1)) == 0
    assert send_feedback_invites(app, now=datetime.now(UTC) + timedelta(hours=2, minutes=1)) == 1
