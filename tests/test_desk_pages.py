"""The desk's actions after a scan: attach a customer, record a purchase, undo; as JSON and as plain forms."""
import pytest
from sqlalchemy import func, select

from campaigns.accounts import business
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving.vouchers import issue_batch
from campaigns.models import AuditEntry, Campaign, Location, Purchase, Redemption, Voucher
from tests.conftest import csrf_from, log_in


@pytest.fixture
def counter(app, make_campaign, make_user):
    """A logged-in staff client, its CSRF token, and two fresh voucher codes of an active campaign."""
    campaign_id = make_campaign(status="active")
    with app.app_context():
        made = issue_batch(db.session.get(Campaign, campaign_id), 2, "flyer")
        db.session.commit()
    client = app.test_client()
    log_in(client, make_user("staff"))
    token = csrf_from(client.get("/desk/").get_data(as_text=True))
    post = lambda url, body: client.post(url, json=body, headers={"X-CSRFToken": token})  # noqa: E731
    return {"client": client, "post": post, "codes": made, "token": token}


def test_desk_page_offers_the_scanner_and_counts(counter):
    page = counter["client"].get("/desk/").get_data(as_text=True)
    assert 'id="scan-input"' in page and "autofocus" in page and 'id="camera-button"' in page
    assert 'data-testid="mine-today">0<' in page


def test_redeem_attach_purchase_undo_as_the_page_does(counter, app):
    code = counter["codes"][0]
    made = counter["post"]("/api/v1/redemptions", {"code": code}).get_json()
    today = counter["client"].get("/desk/today").get_json()
    assert (today["mine"], today["everyone"]) == (1, 1) and today["csrf"]  # a page opened offline gets a fresh token
    attached = counter["post"]("/desk/attach", {"code": code, "email": "Rui@Example.com"})
    assert attached.status_code == 200 and attached.get_json()["customer"]["email"] == "rui@example.com"
    body = {"code": code, "amount": "12.50", "external_id": "desk-abc", "occurred_at": "2026-11-20T10:00:00+01:00"}
    assert counter["post"]("/desk/purchases", body).get_json()["created"] is True
    assert counter["post"]("/desk/purchases", body).get_json()["created"] is False  # a retry, not a second sale
    with app.app_context():
        assert db.session.scalar(select(func.sum(Purchase.amount_cents))) == 1250
    undone = counter["post"]("/desk/undo", {"redemption_id": made["redemption_id"], "reason": "wrong card"})
    assert undone.status_code == 200
    assert counter["client"].get("/desk/today").get_json()["mine"] == 0


def test_bad_desk_input_names_what_is_wrong_and_changes_nothing(counter, app):
    code = counter["codes"][1]
    for url, body, field in (("/desk/attach", {"code": code, "email": "nope"}, "email"),
                             ("/desk/purchases", {"code": code, "amount": "12"}, "email"),
                             ("/desk/undo", {"reason": "x"}, "redemption_id")):
        response = counter["post"](url, body)
        assert response.status_code == 422 and field in response.get_json()["error"]["details"]["fields"]
    counter["post"]("/desk/attach", {"code": code, "email": "eva@example.com"})
    bad_amount = counter["post"]("/desk/purchases", {"code": code, "amount": "12.345"})
    assert "amount" in bad_amount.get_json()["error"]["details"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Purchase)) == 0


def test_staff_voucher_page_works_without_javascript(counter, app):
    client, code = counter["client"], counter["codes"][0]
    assert client.get(f"/desk/lookup?code={codes.format_code(code).lower()}").location == f"/desk/v/{code}"
    page = client.get(f"/desk/v/{code}").get_data(as_text=True)
    assert "Valid: not redeemed yet" in page and "Attach customer" in page
    response = client.post("/desk/attach", data={"code": code, "email": "eva@example.com",
                                                 "csrf_token": counter["token"]})
    assert response.status_code == 302 and response.location == f"/desk/v/{code}"
    assert "Record purchase" in client.get(f"/desk/v/{code}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Voucher.customer_id).where(Voucher.code == code)) is not None
    assert client.get("/desk/v/NOPE").status_code == 422


def test_the_voucher_page_offers_undo_only_to_who_may_undo(counter, app, make_user):
    code = counter["codes"][1]
    counter["post"]("/api/v1/redemptions", {"code": code})
    assert "Undo redemption" in counter["client"].get(f"/desk/v/{code}").get_data(as_text=True)  # mine, just now
    colleague = app.test_client()
    log_in(colleague, make_user("staff"))
    page = colleague.get(f"/desk/v/{code}").get_data(as_text=True)
    assert "Undo redemption" not in page and "not yours to undo" in page
    manager = app.test_client()
    log_in(manager, make_user("marketer"))
    assert "Undo redemption" in manager.get(f"/desk/v/{code}").get_data(as_text=True)


def _typo(code: str) -> str:
    """The code with one character changed: its check character no longer matches."""
    return code[:3] + ("0" if code[3] != "0" else "1") + code[4:]


def _outcomes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "redeem")
                                       .order_by(AuditEntry.id)))


def _form_post(counter, url: str, **fields):
    """Post a plain form as the page without its script does; return the response and the page it leads to."""
    response = counter["client"].post(url, data={**fields, "csrf_token": counter["token"]})
    shown = counter["client"].get(response.location).get_data(as_text=True) if response.status_code == 302 else ""
    return response, shown


def test_the_plain_voucher_page_redeems_with_a_green_then_a_red_answer(counter, app):
    code = counter["codes"][0]
    page = counter["client"].get(f"/desk/v/{code}").get_data(as_text=True)
    assert 'action="/desk/redeem"' in page and "Redeem: hand it over" in page
    response, shown = _form_post(counter, "/desk/redeem", code=codes.format_code(code).lower())
    assert response.status_code == 302 and response.location == f"/desk/v/{code}"
    assert 'flash-success">Give: One free latte<' in shown and "Redeem: hand it over" not in shown
    again, shown = _form_post(counter, "/desk/redeem", code=code)
    assert again.status_code == 302 and 'flash-error">Already redeemed today ' in shown
    typo, shown = _form_post(counter, "/desk/redeem", code=_typo(counter["codes"][1]))
    assert 'flash-error">One character looks wrong: check the code.<' in shown
    unknown, shown = _form_post(counter, "/desk/redeem", code=codes.generate())
    assert 'flash-error">Not one of our vouchers: check the code.<' in shown
    # Every attempt is audited, refusals included (their rows survive the refused request).
    assert _outcomes(app) == ["redeemed", "already_redeemed", "invalid_code", "unknown_code"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1


def test_the_plain_form_needs_csrf_and_staff(counter, app):
    code = counter["codes"][0]
    assert counter["client"].post("/desk/redeem", data={"code": code}).status_code in (400, 403)
    stranger = app.test_client()
    assert stranger.post("/desk/redeem", data={"code": code}).status_code in (302, 400, 401)
    assert _outcomes(app) == []


def test_the_plain_form_asks_which_location_when_there_are_several_and_remembers_it(counter, app):
    with app.app_context():
        business.create_location("Main St")
        business.create_location("Harbour kiosk")
        db.session.commit()
    code = counter["codes"][0]
    page = counter["client"].get(f"/desk/v/{code}").get_data(as_text=True)
    assert '<option value="" selected>Choose…</option>' in page  # never silently the first one
    response, shown = _form_post(counter, "/desk/redeem", code=code)
    assert 'flash-error">Choose the location first.<' in shown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0
    response, shown = _form_post(counter, "/desk/redeem", code=code, location="Harbour kiosk")
    assert "Give: One free latte" in shown and "desk_location=" in response.headers["Set-Cookie"]
    with app.app_context():
        place = db.session.scalar(select(Location.name).join(Redemption, Redemption.location_id == Location.id))
    assert place == "Harbour kiosk"
    page = counter["client"].get(f"/desk/v/{counter['codes'][1]}").get_data(as_text=True)
    assert '<option value="Harbour kiosk" selected>' in page


def test_only_guesses_count_against_the_plain_forms_failure_limit_shared_with_the_api(counter, app):
    app.config["REDEEM_FAILURE_LIMIT"] = "3 per minute"
    code = counter["codes"][0]
    _form_post(counter, "/desk/redeem", code=code)
    for _ in range(4):  # a used voucher scanned again is not guessing
        assert _form_post(counter, "/desk/redeem", code=code)[0].status_code == 302
    assert _form_post(counter, "/desk/redeem", code=codes.generate())[0].status_code == 302
    assert _form_post(counter, "/desk/redeem", code=_typo(code))[0].status_code == 302
    assert counter["post"]("/api/v1/redemptions", {"code": codes.generate()}).status_code == 404
    limited = counter["client"].post("/desk/redeem", data={"code": counter["codes"][1], "csrf_token": counter["token"]})
    assert limited.status_code == 429
    assert _outcomes(app)[-1] == "rate_limited"
    with app.app_context():
        assert db.session.scalar(select(Voucher.redeemed_at).where(Voucher.code == counter["codes"][1])) is None


def _attached(counter, code: str) -> None:
    counter["post"]("/api/v1/redemptions", {"code": code})
    assert counter["post"]("/desk/attach", {"code": code, "email": "eva@example.com"}).status_code == 200


def _purchases(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Purchase.amount_cents).order_by(Purchase.id)))


def test_a_large_amount_is_refused_until_confirmed(counter, app):
    code = counter["codes"][0]
    _attached(counter, code)
    body = {"code": code, "amount": "1250.00", "external_id": "desk-large", "occurred_at": "2026-11-20T10:00:00+01:00"}
    refused = counter["post"]("/desk/purchases", body)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "large_purchase" and error["details"]["amount"] == "USD\u00a01,250.00"
    assert error["message"] == "USD\u00a01,250.00 is a large amount: confirm it to record it."
    assert counter["post"]("/desk/purchases", {**body, "confirm_large": "yes"}).status_code == 422
    assert _purchases(app) == []
    made = counter["post"]("/desk/purchases", {**body, "confirm_large": True})
    assert made.status_code == 200 and made.get_json()["created"] is True
    at_limit = {**body, "amount": "500.00", "external_id": "desk-limit"}  # the threshold itself is usual
    assert counter["post"]("/desk/purchases", at_limit).get_json()["created"] is True
    assert _purchases(app) == [125000, 50000]


def test_no_threshold_never_asks(counter, app):
    code = counter["codes"][0]
    _attached(counter, code)
    with app.app_context():
        business.get_settings().large_purchase_cents = None
        db.session.commit()
    body = {"code": code, "amount": "90000.00", "external_id": "desk-huge", "occurred_at": "2026-11-20T10:00:00Z"}
    assert counter["post"]("/desk/purchases", body).get_json()["created"] is True
    assert "largePurchaseCents" in counter["client"].get("/desk/").get_data(as_text=True)


def test_the_plain_purchase_form_confirms_a_large_amount_with_a_box(counter, app):
    code = counter["codes"][0]
    _attached(counter, code)
    sale = {"code": code, "amount": "1250.00", "external_id": "desk-plain", "occurred_at": "2026-11-20T10:00:00Z"}
    response, shown = _form_post(counter, "/desk/purchases", **sale)
    assert response.status_code == 302 and response.location == f"/desk/v/{code}?amount=1250.00&confirm=125000"
    assert "USD\u00a01,250.00 is a large amount" in shown and 'value="1250.00"' in shown
    assert '<input type="checkbox" name="confirm_large" value="125000"> Yes, record USD\u00a01,250.00' in shown
    assert _purchases(app) == []
    # A box ticked for another amount does not confirm this one.
    _form_post(counter, "/desk/purchases", **{**sale, "amount": "9999.00"}, confirm_large="125000")
    assert _purchases(app) == []
    response, shown = _form_post(counter, "/desk/purchases", **sale, confirm_large="125000")
    assert 'flash-success">Purchase recorded.<' in shown and _purchases(app) == [125000]
    response, shown = _form_post(counter, "/desk/purchases", **sale, confirm_large="125000")
    assert 'flash-success">Already recorded.<' in shown and _purchases(app) == [125000]


def test_the_voucher_page_says_what_is_wrong_with_a_code_in_plain_words(counter):
    client, code = counter["client"], counter["codes"][0]
    mistyped = client.get(f"/desk/v/{_typo(code)}")
    page = mistyped.get_data(as_text=True)
    assert mistyped.status_code == 422 and "Check the code" in page
    assert "One character looks wrong: check the code." in page and "check character" not in page
    unknown = client.get(f"/desk/v/{codes.generate()}").get_data(as_text=True)
    assert "Not one of our vouchers: check the code." in unknown


@pytest.mark.parametrize("field, value", [("code", "A\x00B"), ("code", "x" * 301), ("code", ""),
                                          ("location", "a\x00b"), ("location", "x" * 121),
                                          ("location", "Nowhere")])
def test_the_plain_redeem_form_refuses_hostile_values_and_redeems_nothing(counter, app, field, value):
    fields = {"code": counter["codes"][0], field: value}
    response, shown = _form_post(counter, "/desk/redeem", **fields)
    assert response.status_code == 302 and 'class="flash flash-error"' in shown
    assert "desk_location" not in response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0
    assert len(_outcomes(app)) == 1  # refused, and audited
