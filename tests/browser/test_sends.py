"""A marketer sends a campaign to its audience in Chromium: the send page counts who it reaches, the button queues
it, and the progress bar moves by itself as the job queue sends (here the test runs the queue's task, the way a
consumer would), ending in "Done" with the cancel gone; a second send is offered to no one."""
import random

import pytest
from playwright.sync_api import expect

from campaigns.contacts.contact import make_contact
from campaigns.extensions import db
from campaigns.giving import audiences
from campaigns.jobs.queue import task_named
from campaigns.mail import deliveries
from campaigns.models import Campaign, CampaignSend
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.test_campaign_sends import app, smtp  # noqa: F401  (fixtures: a queue no consumer reads, real SMTP)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_send_page_sends_and_its_progress_bar_follows_the_queue(
        app, open_page, make_user, make_campaign, smtp, viewport):  # noqa: F811  (app, smtp: fixtures imported)
    campaign_id = make_campaign(status="active", name="Spring latte", offer="One free latte")
    with app.app_context():
        people = [make_contact(f"guest{i}@example.com", None, f"Guest {i}") for i in range(30)]
        audiences.assign(db.session.get(Campaign, campaign_id), people, 30, rng=random.Random(11))
        db.session.commit()
        treatment = audiences.group_counts(campaign_id)["treatment"]
    marketer = make_user("marketer")
    page = open_page(viewport)
    sign_in(page, marketer.email)
    page.goto(f"/campaigns/{campaign_id}/audience")
    page.get_by_role("link", name="Send the treatment group their vouchers by e-mail").click()
    expect(page.locator("#count-to-send")).to_have_text(str(treatment))
    page.get_by_role("button", name=f"Send {treatment} e-mails").click()
    expect(page.locator(".flash")).to_contain_text(f"Sending to {treatment} members")
    box = page.locator(".send-progress").first
    expect(box.locator(".send-state")).to_have_text("Queued")
    expect(page.locator("#all-sent")).to_be_visible()  # nobody is left for a second send
    screenshot(page, f"send-queued-{'phone' if viewport == PHONE else 'desktop'}")
    assert smtp.inbox.messages == []

    with app.app_context():
        send_id = db.session.scalar(db.select(CampaignSend.id))
        assert task_named(deliveries.SEND_RUN_TASK).call_local(send_id) == f"{treatment} sent"
    expect(box.locator(".send-state")).to_have_text("Done", timeout=10_000)  # the page asked the API by itself
    expect(box.locator(".send-sent")).to_have_text(str(treatment))
    assert box.locator("progress").evaluate("bar => bar.value === bar.max")
    expect(box.locator(".send-cancel")).to_be_hidden()
    screenshot(page, f"send-done-{'phone' if viewport == PHONE else 'desktop'}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the screen
    assert len(smtp.inbox.messages) == treatment
