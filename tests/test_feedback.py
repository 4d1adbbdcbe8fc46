"""Feedback from free customers: the answer on a redeemed voucher's page (one per voucher, changeable for a day),
hostile answers, and the owner's figures against a scenario worked out by hand."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaigns.contacts.contact import make_contact
from campaigns.core.errors import ValidationError
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.feedback import answers as feedback
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Customer, Feedback, Voucher
from campaigns.reports.feedback_figures import nps, top_terms
from campaigns.sales.corrections import refund_purchase
from tests.conftest import csrf_from, log_in
from tests.ledger_rows import record_purchase

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _voucher(app, campaign_id: int, redeemed_by: str | None = "", when: datetime = T0) -> str:
    """Issue one voucher; redeem it at `when` (anonymously for "", with that e-mail, or not at all for None)."""
    with app.app_context():
        code = issue_batch(db.session.get(Campaign, campaign_id), 1, "flyer")[0]
        if redeemed_by is not None:
            customer = make_contact(redeemed_by) if redeemed_by else None
            redemption.redeem(code, redemption.Attempt(customer=customer), now=when)
        db.session.commit()
        return code


def _give(app, code: str, score: int, answer: str = "", answer_2: str = "", version=None, now=T0 + timedelta(hours=2)):
    with app.app_context():
        given = feedback.give(code, feedback.Answer(score, answer, answer_2), version, now=now)
        db.session.commit()
        return given.version


def _stored(app, code: str) -> Feedback | None:
    with app.app_context():
        found = db.session.scalar(select(Feedback).join(Voucher, Voucher.id == Feedback.voucher_id)
                                  .where(Voucher.code == code))
        if found is not None:
            db.session.expunge(found)
        return found


def _post(client, code: str, token_from: str | None = None, **fields):
    """Send the feedback form of a voucher's page (with the session's token, read off `token_from`'s page when
    this one shows no form)."""
    page = client.get(f"/v/{token_from or code}")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "score": "", "answer": "", "answer_2": "",
            "version": ""}
    data.update(fields)
    return client.post(f"/v/{code}", data=data)


@pytest.fixture
def latte_id(make_campaign):
    return make_campaign(status="active", per_customer_limit=2, attribution_window_days=30,
                         feedback_question="What did you like most?", feedback_question_2="What would bring you back?")


# ---- one answer per voucher, changeable for a day --------------------------------------------------------------

def test_an_unredeemed_voucher_shows_no_form_and_takes_no_answer(app, client, latte_id):
    code = _voucher(app, latte_id, redeemed_by=None)
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert 'name="score"' not in page and "Show this screen at the counter" in page
    assert client.post(f"/v/{code}", data={"score": "9"}).status_code == 400  # no session token
    redeemed = _voucher(app, latte_id, "ana@example.com")
    refused = _post(client, code, token_from=redeemed, score="9")  # a good token, on a voucher not redeemed
    assert refused.status_code == 409 and "once the voucher has been redeemed" in refused.get_data(as_text=True)
    assert _stored(app, code) is None
    with app.app_context(), pytest.raises(feedback.FeedbackError) as error:
        feedback.give(code, feedback.Answer(9))
    assert error.value.code == "not_redeemed"


def test_a_redeemed_voucher_page_is_the_form_and_takes_one_answer(app, client, latte_id):
    code = _voucher(app, latte_id, "ana@example.com")
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert page.count('name="score"') == 11 and "What did you like most?" in page and "What would bring you back?" in page
    sent = _post(client, code, score="9", answer="The crema", answer_2="A loyalty card")
    assert sent.status_code == 303
    stored = _stored(app, code)
    assert (stored.score, stored.answer, stored.answer_2, stored.version) == (9, "The crema", "A loyalty card", 1)
    after = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Thank you" in after and "You can change it until" in after and 'value="1"' in after  # the version

    # A second first answer (another window, another phone) is refused and changes nothing.
    again = _post(client, code, score="2", answer="Changed my mind")
    shown = again.get_data(as_text=True)
    assert again.status_code == 409 and "already has an answer" in shown
    assert "Changed my mind" in shown and 'name="version" type="hidden" value="1"' in shown  # kept, to send again
    assert (_stored(app, code).score, _stored(app, code).version) == (9, 1)
    with app.app_context(), pytest.raises(feedback.FeedbackError) as error:
        feedback.give(code, feedback.Answer(3))
    assert error.value.code == "already_answered"

    # A change from the form that showed version 1 is taken; the same stale form again is refused.
    changed = _post(client, code, score="10", answer="The crema, and the staff", version="1")
    assert changed.status_code == 303
    assert (_stored(app, code).score, _stored(app, code).answer, _stored(app, code).version) == (
        10, "The crema, and the staff", 2)
    stale = _post(client, code, score="4", version="1")
    assert stale.status_code == 409 and _stored(app, code).score == 10
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1


def test_an_answer_can_be_changed_for_a_day_then_it_is_final(app, latte_id):
    code = _voucher(app, latte_id, "ana@example.com")
    given_at = T0 + timedelta(hours=2)
    assert _give(app, code, 6, "Fine", now=given_at) == 1
    assert _give(app, code, 8, "Good after all", version=1, now=given_at + DAY - timedelta(seconds=1)) == 2
    with app.app_context(), pytest.raises(feedback.FeedbackError) as error:
        feedback.give(code, feedback.Answer(10), version=2, now=given_at + DAY)
    assert error.value.code == "feedback_final"
    stored = _stored(app, code)
    assert (stored.score, stored.answer, stored.version) == (8, "Good after all", 2)


def test_the_final_answer_is_shown_without_a_form(app, client, latte_id):
    code = _voucher(app, latte_id, "ana@example.com", when=datetime.now(UTC) - 3 * DAY)
    _give(app, code, 7, "<b>fine</b>", now=datetime.now(UTC) - 2 * DAY)
    page = client.get(f"/v/{code}").get_data(as_text=True)
    assert "Your answer is final." in page and 'name="score"' not in page and "&lt;b&gt;fine&lt;/b&gt;" in page
    assert client.post(f"/v/{code}", data={"score": "1"}).status_code == 400  # no session token: nothing
    other = _voucher(app, latte_id, "ben@example.com")
    late = _post(client, code, token_from=other, score="1", version="1")  # a form kept open past the day
    assert late.status_code == 409 and "is final" in late.get_data(as_text=True)
    assert _stored(app, code).score == 7


def test_the_database_holds_one_answer_per_voucher(app, latte_id):
    code = _voucher(app, latte_id, "ana@example.com")
    _give(app, code, 9)
    with app.app_context():
        voucher = db.session.scalar(select(Voucher).where(Voucher.code == code))
        db.session.add(Feedback(voucher_id=voucher.id, campaign_id=latte_id, score=1, created_at=T0, updated_at=T0))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        for wrong in (-1, 11):
            other = _voucher_in(app, latte_id)
            db.session.add(Feedback(voucher_id=other, campaign_id=latte_id, score=wrong, created_at=T0, updated_at=T0))
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()


def _voucher_in(app, campaign_id: int) -> int:
    code = issue_batch(db.session.get(Campaign, campaign_id), 1, "flyer")[0]
    return db.session.scalar(select(Voucher.id).where(Voucher.code == code))


def test_an_undone_redemption_closes_the_form(app, client, latte_id, make_user):
    from campaigns.desk.undo import undo
    from campaigns.models import Redemption, User

    code = _voucher(app, latte_id, "ana@example.com", when=datetime.now(UTC) - timedelta(minutes=5))
    owner = make_user("owner")
    with app.app_context():
        made = db.session.scalar(select(Redemption).join(Voucher).where(Voucher.code == code))
        undo(made.id, db.session.scalar(select(User).where(User.email == owner.email)), "wrong card")
        db.session.commit()
    assert 'name="score"' not in client.get(f"/v/{code}").get_data(as_text=True)


# ---- hostile answers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, wrong", [
    ({"score": ""}, "score"), ({"score": "11"}, "score"), ({"score": "-1"}, "score"), ({"score": "5.5"}, "score"),
    ({"score": "nine"}, "score"), ({"score": "٩"}, "score"),
    ({"score": "9", "answer": "x" * 10_000}, "answer"), ({"score": "9", "answer_2": "a\x00b"}, "answer_2"),
    ({"score": "9", "answer": "bidi \u202e tricks"}, "answer"), ({"score": "9", "answer": "bell \x07"}, "answer"),
])
def test_a_wrong_answer_is_refused_naming_the_field_and_stores_nothing(app, client, latte_id, fields, wrong):
    code = _voucher(app, latte_id, "ana@example.com")
    refused = _post(client, code, **fields)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(rf'id="{wrong}-error"|id="score-error"', page) and (wrong != "score" or 'id="score-error"' in page)
    assert _stored(app, code) is None


def test_a_lone_surrogate_is_refused_by_the_service_and_never_stored_from_a_form(app, client, latte_id):
    code = _voucher(app, latte_id, "ana@example.com")
    with pytest.raises(ValidationError) as error:
        feedback.read_answer("9", "half a pair \ud800", "")
    assert "lone surrogate" in error.value.details["fields"]["answer"]
    # A browser cannot send one; raw bytes that are not UTF-8 (CESU-8 surrogate halves) arrive mended or refused.
    token = csrf_from(client.get(f"/v/{code}").get_data(as_text=True))
    body = f"csrf_token={token}&score=9&answer=half%ED%A0%80pair&answer_2=&version=".encode()
    sent = client.post(f"/v/{code}", data=body, content_type="application/x-www-form-urlencoded")
    # Werkzeug leaves an escape that does not decode to UTF-8 as it was typed: valid text, never a surrogate.
    assert sent.status_code == 303
    stored = _stored(app, code).answer
    assert stored.startswith("half") and stored.endswith("pair")
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in stored) and stored.encode("utf-8")


def test_html_and_scripts_are_stored_as_typed_and_shown_as_text(app, client, latte_id, make_user):
    code = _voucher(app, latte_id, "ana@example.com")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert _post(client, code, score="9", answer=hostile, answer_2="=HYPERLINK(\"http://evil\")").status_code == 303
    assert _stored(app, code).answer == hostile  # kept as typed: it is text, never markup
    for page in (client.get(f"/v/{code}").get_data(as_text=True),):
        assert hostile not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    owner = app.test_client()
    log_in(owner, make_user("owner"))
    view = owner.get(f"/dashboard/campaigns/{latte_id}/feedback").get_data(as_text=True)
    assert hostile not in view and "&lt;img src=x onerror=alert(1)&gt;" in view
    with app.app_context():
        customer_id = db.session.scalar(select(Customer.id))
    timeline = owner.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert hostile not in timeline and "&lt;script&gt;" in timeline
    exported = owner.get(f"/dashboard/campaigns/{latte_id}/feedback.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in exported  # a spreadsheet reads it as text, never as a formula


# ---- the owner's figures against a hand-worked scenario -------------------------------------------------------

@pytest.fixture
def answered(app, latte_id, make_campaign, make_user):
    """Latte: window 30 days, every redemption at T0 (2 March 2026, 10:00 UTC), answers two hours later.

    | who         | voucher | score (band)      | purchases after T0                         | converted? |
    |-------------|---------|-------------------|--------------------------------------------|------------|
    | Ana         | 1       | 10 (promoter)     | 12.00 on day 2                             | yes        |
    | Ben         | 2       | 5, changed to 9   | none                                       | no         |
    | Cara        | 3       | 9 (promoter)      | 5.00 on day 1, refunded 5.00 on day 4      | no (net 0) |
    | Dev         | 4       | 8 (passive)       | 20.00 on day 40 (outside the 30 days)      | no         |
    | Eli         | 5       | 7 (passive)       | 3.00 on day 5                              | yes        |
    | Fay         | 6 and 7 | 3 and 10          | 8.00 on day 3                              | yes        |
    | anonymous   | 8       | 0 (detractor)     | can never convert                          |            |
    | anonymous   | 9       | 6 (detractor)     |                                            |            |
    | Gus         | 10      | no answer         | 4.00 on day 1                              | yes        |
    | Hal (Cake)  | cake 1  | 10, another campaign: never counted for Latte                                |
    | Ivy         | 11      | 0, then her redemption is undone (a mistake at the desk): her answer no longer counts |

    Answers for Latte: 9 (Ben's change counts once). Promoters: Ana, Ben, Cara, Fay's 7 = 4; passives: Dev, Eli
    = 2; detractors: Fay's 6 and both anonymous = 3. NPS = 100 × (4 − 3) / 9 = 11.1, so 11.
    Bands: promoter 4 answers, customers {Ana, Ben, Cara, Fay} = 4, converted {Ana, Fay} = 2 (50%);
           passive 2 answers, customers {Dev, Eli} = 2, converted {Eli} = 1 (50%);
           detractor 3 answers, customers {Fay} = 1 (anonymous answers have no customer), converted {Fay} = 1.
    Fay answered in two bands and counts in each: a band's customers are the people who answered in it.
    """
    cake_id = make_campaign(name="Cake", status="active")
    people = {name: f"{name.lower()}@example.com"
              for name in ("Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy")}
    codes = {}
    for key, who in (("ana", "Ana"), ("ben", "Ben"), ("cara", "Cara"), ("dev", "Dev"), ("eli", "Eli"),
                     ("fay6", "Fay"), ("fay7", "Fay"), ("anon8", None), ("anon9", None), ("gus", "Gus"),
                     ("ivy", "Ivy")):
        codes[key] = _voucher(app, latte_id, people[who] if who else "")
    codes["hal"] = _voucher(app, cake_id, people["Hal"])
    later = T0 + timedelta(hours=2)
    for key, score in (("ana", 10), ("ben", 5), ("cara", 9), ("dev", 8), ("eli", 7), ("fay6", 3), ("fay7", 10),
                       ("anon8", 0), ("anon9", 6), ("hal", 10), ("ivy", 0)):
        _give(app, codes[key], score, f"Lovely crema from {key}" if score >= 9 else "Too sweet for me", now=later)
    _give(app, codes["ben"], 9, "Lovely crema after all", version=1, now=later + timedelta(hours=1))
    staff = make_user("owner")
    with app.app_context():
        from campaigns.desk.undo import undo
        from campaigns.models import Redemption, User

        ivy = db.session.scalar(select(Redemption).join(Voucher).where(Voucher.code == codes["ivy"]))
        undo(ivy.id, db.session.scalar(select(User).where(User.email == staff.email)), "wrong card",
             now=T0 + timedelta(minutes=3))
        db.session.commit()
    with app.app_context():
        ids = dict(db.session.execute(select(Customer.email, Customer.id)).all())
        for ref, who, cents, days in (("a", "Ana", 1200, 2), ("c", "Cara", 500, 1), ("d", "Dev", 2000, 40),
                                      ("e", "Eli", 300, 5), ("f", "Fay", 800, 3), ("g", "Gus", 400, 1)):
            made, _ = record_purchase(f"till-{ref}", cents, T0 + timedelta(days=days), customer_id=ids[people[who]])
            if ref == "c":
                refund_purchase(made, 500, "till-c-refund", None, now=T0 + timedelta(days=4))
        db.session.commit()
    return latte_id


BANDS = {"promoter": {"answers": 4, "customers": 4, "converted": 2, "conversion_rate": 0.5},
         "passive": {"answers": 2, "customers": 2, "converted": 1, "conversion_rate": 0.5},
         "detractor": {"answers": 3, "customers": 1, "converted": 1, "conversion_rate": 1.0}}


def test_the_report_api_has_the_hand_worked_feedback_figures(app, make_token, answered):
    client, token = app.test_client(), make_token("marketer")
    got = client.get(f"/api/v1/campaigns/{answered}/report", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (got["feedback_count"], got["nps"], got["conversion_by_band"]) == (9, 11, BANDS)
    assert got["converted_customers"] == 4  # Ana, Eli, Fay, Gus: the bands' converted are among these
    same = client.get(f"/api/v1/campaigns/{answered}/report?from=2026-03-02&to=2026-03-31",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (same["feedback_count"], same["nps"], same["conversion_by_band"]) == (9, 11, BANDS)  # every redemption
    empty = client.get(f"/api/v1/campaigns/{answered}/report?from=2026-03-01&to=2026-03-01",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (empty["feedback_count"], empty["nps"]) == (0, None)
    assert empty["conversion_by_band"]["promoter"] == {"answers": 0, "customers": 0, "converted": 0,
                                                       "conversion_rate": None}


def test_the_owner_view_and_the_csv_say_the_same(app, make_user, answered):
    owner = app.test_client()
    log_in(owner, make_user("owner"))
    page = owner.get(f"/dashboard/campaigns/{answered}/feedback").get_data(as_text=True)
    assert re.search(r'id="nps-value">\+11<', page) and "NPS from 9 answers" in page
    table = re.search(r'<table class="stack report-table" id="band-table">(.*?)</table>', page, re.S).group(1)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr data-band.*?</tr>", table, re.S)]
    assert cells == ["Promoters (9–10) 4 4 2 50% (2 of 4)", "Passives (7–8) 2 2 1 50% (1 of 2)",
                     "Detractors (0–6) 3 1 1 100% (1 of 1)"]
    assert 'id="answer-count">9 answers.' in page
    found = owner.get(f"/dashboard/campaigns/{answered}/feedback?q=CREMA+lovely").get_data(as_text=True)
    assert "4 answers with" in found and "Too sweet" not in found  # the promoters: Ana, Ben (changed), Cara, Fay
    detractors = owner.get(f"/dashboard/campaigns/{answered}/feedback?band=detractor").get_data(as_text=True)
    assert "3 answers from detractors" in detractors
    ranged = owner.get(f"/dashboard/campaigns/{answered}/feedback?from=2026-03-03").get_data(as_text=True)
    assert "The figures follow these dates" in ranged and 'id="nps-value">—<' in ranged
    wrong = owner.get(f"/dashboard/campaigns/{answered}/feedback?from=2026-02-30&q=crema")
    assert wrong.status_code == 422 and "From: " in wrong.get_data(as_text=True)
    assert 'id="answer-count">4 answers with' in wrong.get_data(as_text=True)  # the answers are still there
    literal = owner.get(f"/dashboard/campaigns/{answered}/feedback?q=%25").get_data(as_text=True)
    assert "0 answers with" in literal  # % is a character searched for, not a wildcard
    rows = owner.get(f"/dashboard/campaigns/{answered}/feedback.csv").get_data(as_text=True).strip().splitlines()
    assert rows[0].startswith("given_at,changed_at,voucher,customer_id") and len(rows) == 1 + 9
    assert sorted(int(row.split(",")[6]) for row in rows[1:]) == [0, 3, 6, 7, 8, 9, 9, 10, 10]
    figures = owner.get(f"/dashboard/campaigns/{answered}/report.csv").get_data(as_text=True)
    assert "nps,11" in figures and "feedback_count,9" in figures and "promoter_converted,2" in figures
    report = owner.get(f"/dashboard/campaigns/{answered}").get_data(as_text=True)
    assert "+11" in report and "NPS from 9 answers" in report


def test_the_timeline_shows_the_answer(app, make_user, answered):
    staff = app.test_client()
    log_in(staff, make_user("staff"))
    with app.app_context():
        ben = db.session.scalar(select(Customer.id).where(Customer.email == "ben@example.com"))
    page = staff.get(f"/customers/{ben}").get_data(as_text=True)
    assert "9/10" in page and "Lovely crema after all" in page and "What did you like most?" in page
    assert "changed" in page


def test_nps_rounds_halves_away_from_zero():
    assert (nps(1, 0, 8), nps(0, 1, 8), nps(3, 3, 7), nps(0, 0, 0), nps(5, 0, 5), nps(0, 5, 5)) == (
        13, -13, 0, None, 100, -100)


def test_top_terms_count_each_answer_once_and_leave_out_stop_words(app, latte_id):
    texts = ["The crema was lovely, lovely!", "Lovely crema and friendly staff", "friendly staff", "Crema",
             "The oat-milk latte"]
    for index, text in enumerate(texts):
        _give(app, _voucher(app, latte_id, f"p{index}@example.com"), 9, text, "oat-milk latte" if index else "")
    with app.app_context():
        terms = top_terms(latte_id)
    # latte and oat-milk: answers 1-4 (their second answers, and the fifth's first, counted once); crema: 0, 1, 3.
    assert terms["words"] == [("latte", 4), ("oat-milk", 4), ("crema", 3), ("friendly", 2), ("lovely", 2),
                              ("staff", 2)]
    assert terms["phrases"] == [("oat-milk latte", 4), ("friendly staff", 2)] and terms["read"] == 5


def test_feedback_fields_of_a_campaign_through_the_api(app, make_token):
    client, token = app.test_client(), make_token("marketer")
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/campaigns", json={"name": "Tasting", "unit_cost": "8.50"}, headers=headers)
    assert made.status_code == 201
    body = made.get_json()
    assert (body["feedback_question"], body["feedback_question_2"], body["feedback_mail_delay_hours"]) == (
        "What did you value most about it?", "What would bring you back?", None)
    changed = client.patch(f"/api/v1/campaigns/{body['id']}", headers=headers,
                           json={"feedback_question_2": "", "feedback_mail_delay_hours": 3})
    assert changed.status_code == 200 and changed.get_json()["feedback_mail_delay_hours"] == 3
    assert changed.get_json()["feedback_question_2"] == ""
    for wrong in (-1, 721, "3", 2.5):
        refused = client.patch(f"/api/v1/campaigns/{body['id']}", headers=headers,
                               json={"feedback_mail_delay_hours": wrong})
        assert refused.status_code in (400, 422)
        assert "feedback_mail_delay_hours" in str(refused.get_json()["error"]), wrong


def test_the_search_ignores_case_in_any_alphabet(app, make_user, latte_id):
    _give(app, _voucher(app, latte_id, "zoe@example.com"), 9, "Le CAFÉ était bon", "ÜBER gut")
    _give(app, _voucher(app, latte_id, "yan@example.com"), 9, "Tea")
    owner = app.test_client()
    log_in(owner, make_user("owner"))
    for query in ("café", "CAFÉ", "über", "ÉTAIT"):
        page = owner.get(f"/dashboard/campaigns/{latte_id}/feedback", query_string={"q": query}).get_data(as_text=True)
        assert 'id="answer-count">1 answer with' in page, query


def test_answers_are_limited_per_voucher_not_per_shop(app, client, latte_id):
    """Customers on the shop's Wi-Fi share one address: one voucher's form is limited, the next one still works."""
    app.config["FEEDBACK_RATE_LIMIT"] = "3 per minute"
    first, second = (_voucher(app, latte_id, f"p{n}@example.com") for n in (1, 2))
    answers = [_post(client, first, score="9", version=str(n) if n else "") for n in range(4)]
    assert [answer.status_code for answer in answers] == [303, 303, 303, 429]
    assert _post(client, second, score="8").status_code == 303
    assert (_stored(app, first).version, _stored(app, second).score) == (3, 8)
