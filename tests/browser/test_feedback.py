"""Feedback in Chromium: a customer answers on their redeemed voucher's page (phone, keyboard and touch, hostile
text shown as typed), changes it within the day, and is told when the score is missing; the owner reads the NPS,
the bands and the answers, searches them and downloads the CSV; the marketer previews the form without sending."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from campaigns.contacts.contact import make_contact
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.feedback import answers as feedback
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Feedback, Voucher
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser  # the answer is stored through the live server: run it on both databases

SCRIPT = "<script>alert(1)</script> the crema was perfect"
BOLD = "<b>bold</b> & a window seat"
DRAWN = "(id) => { const canvas = document.getElementById(id); " \
        "return !!(canvas && window.Chart && Chart.getChart(canvas)); }"


@pytest.fixture
def vouchers(app, make_campaign):
    """An active campaign with its own questions and three vouchers: one redeemed an hour ago, one not redeemed,
    one redeemed three days ago. Returns (campaign_id, redeemed, unredeemed, old) codes."""
    campaign_id = make_campaign(status="active", feedback_question="What did you think of the crema?",
                                feedback_question_2="Anything we should change?")
    with app.app_context():
        redeemed, unredeemed, old = issue_batch(db.session.get(Campaign, campaign_id), 3, "flyer")
        redeem(redeemed, Attempt(), now=datetime.now(UTC) - timedelta(hours=1))
        redeem(old, Attempt(), now=datetime.now(UTC) - timedelta(days=3))
        db.session.commit()
    return campaign_id, redeemed, unredeemed, old


@pytest.fixture
def phone(browser, live_server):
    """A page on a touch phone (390x844) with its alert dialogs and script errors collected."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.dialogs, page.problems = [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    yield page
    context.close()


def stored(app, code: str) -> tuple | None:
    """The stored answer of a voucher as (score, answer, answer_2, version), or None."""
    with app.app_context():
        return db.session.execute(db.select(Feedback.score, Feedback.answer, Feedback.answer_2, Feedback.version)
                                  .join(Voucher, Voucher.id == Feedback.voucher_id)
                                  .where(Voucher.code == code)).one_or_none()


def width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def radio(page, score: int):
    return page.locator("#feedback").get_by_role("radio", name=str(score), exact=True)


def test_a_customer_answers_on_a_phone_by_keyboard_then_changes_it_by_touch(app, phone, vouchers):
    _, redeemed, unredeemed, _ = vouchers
    page = phone
    page.goto(f"/v/{unredeemed}")
    expect(page.locator(".voucher-state")).to_have_attribute("data-state", "valid")
    assert page.locator("#feedback").count() == 0 and page.get_by_role("radio").count() == 0

    page.goto(f"/v/{redeemed}")
    form = page.locator("#feedback")
    expect(form.get_by_role("heading", level=2)).to_have_text("Three quick questions")
    expect(form.locator("legend")).to_have_text("How likely are you to recommend us to a friend?")
    assert form.get_by_role("radio").count() == 11
    assert width(page) <= PHONE["width"]

    radio(page, 7).focus()  # the keyboard: arrow keys move through the group and choose as they go
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    expect(radio(page, 8)).to_be_checked()
    page.get_by_label("What did you think of the crema?").fill(SCRIPT)
    page.get_by_label("Anything we should change?").fill(BOLD)
    screenshot(page, "feedback-form-phone")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state("load")

    expect(page.get_by_text("Thank you! Your answer is saved.")).to_be_visible()
    expect(form.get_by_role("heading", level=2)).to_have_text("Thank you for your answer")
    expect(radio(page, 8)).to_be_checked()  # the change form, filled in with the answer as typed
    expect(page.get_by_label("What did you think of the crema?")).to_have_value(SCRIPT)
    expect(page.get_by_label("Anything we should change?")).to_have_value(BOLD)
    assert form.locator("b, script").count() == 0 and not page.dialogs
    assert width(page) <= PHONE["width"]
    assert tuple(stored(app, redeemed)) == (8, SCRIPT, BOLD, 1)

    radio(page, 3).tap()  # within the day: change it
    page.get_by_role("button", name="Save my change").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Your change is saved.")).to_be_visible()
    expect(radio(page, 3)).to_be_checked()
    expect(page.get_by_label("What did you think of the crema?")).to_have_value(SCRIPT)
    screenshot(page, "feedback-changed-phone")
    assert tuple(stored(app, redeemed)) == (3, SCRIPT, BOLD, 2)
    assert width(page) <= PHONE["width"] and not page.dialogs and not page.problems, page.problems


def test_a_final_answer_is_shown_as_typed_without_a_form(app, phone, vouchers):
    _, _, _, old = vouchers
    with app.app_context():
        feedback.give(old, feedback.Answer(6, SCRIPT, BOLD), now=datetime.now(UTC) - timedelta(days=2))
        db.session.commit()
    phone.goto(f"/v/{old}")
    section = phone.locator("#feedback")
    expect(section.get_by_text("Your answer is final.")).to_be_visible()
    expect(section.locator(".score-chip")).to_have_text("6/10")
    expect(section.locator("blockquote")).to_have_text([SCRIPT, BOLD])
    assert section.locator("form, b, script").count() == 0 and not phone.dialogs
    assert width(phone) <= PHONE["width"]


def test_sending_without_a_score_names_the_score_and_stores_nothing(app, phone, vouchers):
    _, redeemed, _, _ = vouchers
    phone.goto(f"/v/{redeemed}")
    phone.get_by_label("What did you think of the crema?").fill("Lovely")
    with phone.expect_navigation() as sent:
        phone.get_by_role("button", name="Send").click()
    assert sent.value.status == 422
    scale = phone.locator("fieldset.score-scale")
    expect(scale.locator("#score-error")).to_have_text("Choose a number from 0 to 10.")
    assert "score-error" in scale.get_attribute("aria-describedby")
    expect(phone.get_by_label("What did you think of the crema?")).to_have_value("Lovely")  # what was typed stays
    assert phone.locator("#feedback").get_by_role("radio", checked=True).count() == 0
    assert stored(app, redeemed) is None
    assert width(phone) <= PHONE["width"]


@pytest.fixture
def answered(app, vouchers):
    """Five answers given through the service: 10, 9 and 9 (promoters), 8 (passive) and 2 (a detractor); the
    first two from known customers. NPS (3 - 1) / 5 = +40."""
    campaign_id = vouchers[0]
    given = [(10, "Great crema, friendly staff", "More seats", "ana@example.com"),
             (9, "Quick service", "", "bo@example.com"),
             (9, SCRIPT, BOLD, None),
             (8, "Nice enough", "Cheaper pastries", None),
             (2, "Cold coffee", "Warmer cups", None)]
    with app.app_context():
        codes = issue_batch(db.session.get(Campaign, campaign_id), len(given), "answers")
        for code, (score, first, second, email) in zip(codes, given):
            redeem(code, Attempt(customer=make_contact(email) if email else None),
                   now=datetime.now(UTC) - timedelta(hours=2))
            feedback.give(code, feedback.Answer(score, first, second))
        db.session.commit()
    return campaign_id


def test_the_owner_reads_the_nps_and_bands_searches_the_answers_and_downloads_them(
        app, open_page, make_user, answered):
    owner = make_user("owner")
    page = open_page(DESKTOP)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    sign_in(page, owner.email)
    page.goto(f"/dashboard/campaigns/{answered}/feedback")
    expect(page.locator("#nps-value")).to_have_text("+40")
    expect(page.locator("#nps-value + .tile-label")).to_contain_text("NPS from 5 answers")
    page.locator("#band-table").locator("xpath=ancestor::details/summary").click()  # the numbers behind the chart
    bands = {band: page.locator(f"#band-table tr[data-band='{band}'] td").all_inner_texts()[:2]
             for band in ("promoter", "passive", "detractor")}
    assert bands == {"promoter": ["3", "2"], "passive": ["1", "0"], "detractor": ["1", "0"]}
    page.wait_for_function(DRAWN, arg="chart-scores")
    expect(page.locator("#answer-count")).to_have_text("5 answers.")
    assert page.locator("ol.answers > li").count() == 5
    expect(page.locator("ol.answers blockquote").filter(has_text="alert(1)")).to_have_text(SCRIPT)
    expect(page.locator("ol.answers blockquote").filter(has_text="bold")).to_have_text(BOLD)
    assert page.locator("ol.answers b, ol.answers script").count() == 0

    with page.expect_download() as everything:
        page.get_by_role("link", name="Download every answer (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(everything.value.path().read_text(encoding="utf-8-sig"))))
    assert sorted(int(row["score"]) for row in rows) == [2, 8, 9, 9, 10]
    assert {row["answer"] for row in rows} >= {SCRIPT, "Cold coffee"}

    page.get_by_label("Search the answers").fill("CREMA")
    page.get_by_label("Search the answers").press("Enter")
    page.wait_for_load_state("load")
    expect(page.locator("#answer-count")).to_have_text("2 answers with “CREMA”.")
    expect(page.locator("ol.answers > li .score-chip")).to_have_text(["9", "10"])
    page.get_by_label("Search the answers").fill("coffee")
    page.get_by_label("Band", exact=True).select_option("detractor")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("load")
    expect(page.locator("ol.answers > li")).to_have_count(1)
    expect(page.locator("ol.answers > li blockquote").first).to_have_text("Cold coffee")
    with page.expect_download() as these:
        page.get_by_role("link", name="Download these (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(these.value.path().read_text(encoding="utf-8-sig"))))
    assert [(row["score"], row["band"], row["answer"]) for row in rows] == [("2", "detractor", "Cold coffee")]
    page.get_by_label("Search the answers").fill("nowhere-to-be-found")
    page.get_by_label("Band", exact=True).select_option("")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("No answer matches.")).to_be_visible()
    assert page.locator("ol.answers > li").count() == 0
    assert not problems, problems


def test_the_owner_view_fits_a_phone(app, open_page, make_user, answered):
    owner = make_user("owner")
    page = open_page(PHONE)
    sign_in(page, owner.email)
    page.goto(f"/dashboard/campaigns/{answered}/feedback")
    page.wait_for_function(DRAWN, arg="chart-scores")
    assert width(page) <= PHONE["width"]
    screenshot(page, "feedback-view-phone")


def test_the_marketer_previews_the_campaigns_questions_without_sending(app, open_page, make_user, vouchers,
                                                                      make_campaign):
    campaign_id = vouchers[0]
    one_question = make_campaign(status="active", name="Tea", feedback_question="How was the tea?",
                                 feedback_question_2="")
    marketer = make_user("marketer")
    page = open_page(PHONE)
    sign_in(page, marketer.email)
    page.goto(f"/campaigns/{campaign_id}/feedback/preview")
    expect(page.get_by_role("note")).to_contain_text("Preview")
    form = page.locator("#feedback")
    expect(form.locator("legend")).to_have_text("How likely are you to recommend us to a friend?")
    assert form.get_by_role("radio").count() == 11
    expect(page.get_by_label("What did you think of the crema?")).to_be_visible()
    expect(page.get_by_label("Anything we should change?")).to_be_visible()
    send = form.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    assert form.locator("[type=submit]").count() == 0
    radio(page, 9).click()  # the form can be tried out
    expect(radio(page, 9)).to_be_checked()
    assert width(page) <= PHONE["width"]
    screenshot(page, "feedback-preview-phone")

    page.goto(f"/campaigns/{one_question}/feedback/preview")
    expect(page.get_by_label("How was the tea?")).to_be_visible()
    assert page.locator("#feedback textarea").count() == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Feedback)) == 0
