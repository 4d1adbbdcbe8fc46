"""The e-mail asking for feedback: sent once, through a real SMTP server on loopback, after the campaign's delay;
its link opens the voucher's feedback form."""
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import create_app
from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.feedback import answers as feedback
from campaigns.giving.vouchers import issue_batch
from campaigns.mail.feedback_invites import send_feedback_invites
from campaigns.models import Campaign, FeedbackInvite

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


def test_the_link_is_e_mailed_after_the_delay_once_and_opens_the_form(app, smtp, tasting):
    _, codes = tasting
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=1, minutes=59)) == (0, 0)  # not yet
    assert smtp.inbox.messages == []
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=2)) == (1, 0)  # Ana only
    [letter] = smtp.inbox.messages
    assert letter["To"] == "ana@example.com" and "A free tasting class" in letter["Subject"]
    link = re.search(r"https?://\S+/v/(\S+)", letter.get_content()).group(0)
    assert link == f"http://testserver/v/{codes['ana']}"
    page = app.test_client().get(link.removeprefix("http://testserver")).get_data(as_text=True)
    assert page.count('name="score"') == 11 and "What did you value most about it?" in page
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=3)) == (0, 0)  # never twice
    assert len(smtp.inbox.messages) == 1


def test_the_command_sends_what_is_due(app, smtp, tasting):
    result = app.test_cli_runner().invoke(args=["send-feedback-invites"])  # now: an hour after redeeming
    assert result.exit_code == 0 and "Sent 0 feedback" in result.output
    with app.app_context():
        campaign = db.session.get(Campaign, tasting[0])
        campaign.feedback_mail_delay_hours = 0
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-feedback-invites"])
    assert "Sent 1 feedback" in result.output and [m["To"] for m in smtp.inbox.messages] == ["ana@example.com"]


def test_an_old_redemption_is_never_asked_and_a_campaign_without_delay_never_mails(app, smtp, tasting):
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=2) + timedelta(days=2)) == (0, 0)
    with app.app_context():
        db.session.get(Campaign, tasting[0]).feedback_mail_delay_hours = None
        db.session.commit()
    assert send_feedback_invites(app, now=REDEEMED + timedelta(hours=2)) == (0, 0)
    assert smtp.inbox.messages == []


def test_a_failed_send_is_tried_again_later_at_most_three_times(app, smtp, tasting):
    smtp.stop()  # the mail server is down
    due = REDEEMED + timedelta(hours=2)
    assert send_feedback_invites(app, now=due) == (0, 1)
    assert send_feedback_invites(app, now=due + timedelta(minutes=5)) == (0, 0)  # not at once
    assert send_feedback_invites(app, now=due + timedelta(minutes=16)) == (0, 1)
    assert send_feedback_invites(app, now=due + timedelta(minutes=32)) == (0, 1)
    assert send_feedback_invites(app, now=due + timedelta(minutes=48)) == (0, 0)  # three tries were enough
    with app.app_context():
        invite = db.session.scalar(select(FeedbackInvite))
        assert (invite.attempts, invite.sent_at) == (3, None)


def test_a_serving_app_sends_what_is_due_by_itself(database_url, smtp):
    """The timer `make run` relies on: started by the first request, it finds the due e-mail and sends it."""
    from campaigns.giving import designs as campaigns
    from tests.conftest import app_config
    from tests.designs import design

    served = create_app(app_config(database_url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                                   MAIL_TIMEOUT=5, FEEDBACK_MAIL_EVERY=1))
    try:
        with served.app_context():
            made = campaigns.create_campaign(design({"name": "Class", "unit_cost": "1", "offer": "A free class",
                                                     "feedback_mail_delay_hours": 0}))
            campaigns.set_status(made, "active")
            code = issue_batch(made, 1, "poster")[0]
            redemption.redeem(code, redemption.Attempt(customer=make_contact("ana@example.com")))
            db.session.commit()
        assert smtp.inbox.messages == []
        served.test_client().get("/api/v1/health")  # the first request starts the timer
        waited = 0.0
        while not smtp.inbox.messages and waited < 30:
            time.sleep(0.2)
            waited += 0.2
        assert [message["To"] for message in smtp.inbox.messages] == ["ana@example.com"]
        assert code in smtp.inbox.messages[0].get_content()
    finally:
        served.extensions["feedback_mail_stop"].set()
        with served.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_sender_slower_than_the_retry_time_never_sends_what_another_took_over(app, smtp, tasting):
    """Sender A claims Ana's e-mail and stalls; 16 minutes on, sender B takes it over as a failed try. A's renewal
    before sending then fails, so the e-mail goes out once, from B."""
    from campaigns.feedback import invites as feedback_invites

    due = REDEEMED + timedelta(hours=2)
    with app.app_context():
        [stalled] = feedback_invites.claim_due(due)
        db.session.commit()
    assert send_feedback_invites(app, now=due + timedelta(minutes=16)) == (1, 0)  # B
    with app.app_context():
        assert feedback_invites.lease(stalled, due + timedelta(minutes=17)) is False  # A must not send
        db.session.commit()
        invite = db.session.scalar(select(FeedbackInvite))
        assert (invite.attempts, invite.sent_at is not None) == (2, True)
    assert [message["To"] for message in smtp.inbox.messages] == ["ana@example.com"]


def test_the_delay_counts_from_when_the_redemption_was_recorded(app, smtp, make_campaign):
    """A voucher scanned offline four days ago and synced now is asked after the delay from now, not never."""
    campaign_id = make_campaign(status="active", feedback_mail_delay_hours=2)
    with app.app_context():
        [code] = issue_batch(db.session.get(Campaign, campaign_id), 1, "poster")
        redemption.redeem(code, redemption.Attempt(customer=make_contact("dee@example.com"),
                                                   scanned_at=datetime.now(UTC) - timedelta(days=4)))
        db.session.commit()
    assert send_feedback_invites(app, now=datetime.now(UTC) + timedelta(hours=1)) == (0, 0)
    assert send_feedback_invites(app, now=datetime.now(UTC) + timedelta(hours=2, minutes=1)) == (1, 0)
