"""The unsubscribe link of campaign e-mails: a signed token per customer, the mail client's one-click POST
(RFC 8058: no session, no CSRF, idempotent), a page whose button unsubscribes (opening it never does), the undo,
the audit trail, a merge that keeps either record's unsubscribe, and the rule sends and audiences apply."""
import pytest
from sqlalchemy import select

from campaigns.contacts import subscriptions
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.customers.merging import merge_customers
from campaigns.extensions import db
from campaigns.links import unsubscribe_url
from campaigns.models import AuditEntry, Customer
from tests.conftest import csrf_from

GONE = "You won't get campaign e-mails from My business again"


@pytest.fixture
def ana(app):
    """A customer with an e-mail address, committed; returns (id, the path of her unsubscribe link)."""
    with app.app_context():
        customer = find_or_create(make_contact("ana@example.com", None, "Ana"))
        db.session.commit()
        return customer.id, unsubscribe_url(customer.id).removeprefix("http://testserver")


def _unsubscribed_at(app, customer_id):
    with app.app_context():
        return db.session.get(Customer, customer_id).unsubscribed_at


def _audit(app, customer_id) -> list[tuple[str, str, dict]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.details)
            .where(AuditEntry.subject_type == "customer", AuditEntry.subject_id == str(customer_id))
            .order_by(AuditEntry.id))]


def test_a_token_names_one_customer_and_cannot_be_made_without_the_secret(ctx):
    token = subscriptions.unsubscribe_token(41, "secret")
    assert token.startswith("41.") and len(token) == 25
    assert token != subscriptions.unsubscribe_token(41, "another secret")
    assert token.split(".")[1] != subscriptions.unsubscribe_token(42, "secret").split(".")[1]
    customer = find_or_create(make_contact("bo@example.com", None, None))
    good = subscriptions.unsubscribe_token(customer.id, "secret")
    assert subscriptions.customer_for_token(good, "secret") is customer
    forged = f"{customer.id}.{subscriptions.unsubscribe_token(customer.id + 1, 'secret').split('.')[1]}"
    for wrong in (forged, good[:-1], good + "A", good.replace(".", "-"), "", "0.AAAAAAAAAAAAAAAAAAAAAA",
                  subscriptions.unsubscribe_token(customer.id, "another secret")):
        assert subscriptions.customer_for_token(wrong, "secret") is None, wrong
    assert subscriptions.customer_for_token(subscriptions.unsubscribe_token(999, "secret"), "secret") is None


def test_the_one_click_post_unsubscribes_without_session_or_csrf_and_again_changes_nothing(app, client, ana):
    customer_id, path = ana
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and GONE in answer.get_data(as_text=True)
    first = _unsubscribed_at(app, customer_id)
    assert first is not None
    again = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and GONE in again.get_data(as_text=True)
    assert _unsubscribed_at(app, customer_id) == first  # the first time stays the one recorded
    assert _audit(app, customer_id) == [("campaign_mail", "unsubscribed", {"how": "one_click"})]


def test_opening_the_link_does_not_unsubscribe_but_its_button_does(app, client, ana):
    customer_id, path = ana
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Stop the offers from My business?" in html and "a•••@example.com" in html
    assert f'action="{path}"' in html and ">Unsubscribe</button>" in html
    assert _unsubscribed_at(app, customer_id) is None and _audit(app, customer_id) == []
    pressed = client.post(path)  # the page's button: no one-click field, no CSRF token
    assert pressed.status_code == 303 and pressed.headers["Location"] == path
    assert GONE in client.get(path).get_data(as_text=True)
    assert _audit(app, customer_id) == [("campaign_mail", "unsubscribed", {"how": "page"})]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_wrong_token_is_a_friendly_404_that_changes_nothing(app, client, ana, method):
    customer_id, path = ana
    for wrong in (path[:-1] + ("B" if path[-1] != "B" else "C"), "/u/nonsense", path + "x"):
        answer = client.open(wrong, method=method, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 404, wrong
        assert "This unsubscribe link does not work" in answer.get_data(as_text=True)
    assert _unsubscribed_at(app, customer_id) is None


def test_the_undo_resubscribes_with_the_pages_csrf_token(app, client, ana):
    customer_id, path = ana
    client.post(path, data={"List-Unsubscribe": "One-Click"})
    refused = client.post(f"{path}/resubscribe")
    assert refused.status_code == 400 and _unsubscribed_at(app, customer_id) is not None
    token = csrf_from(client.get(path).get_data(as_text=True))
    undone = client.post(f"{path}/resubscribe", data={"csrf_token": token})
    assert undone.status_code == 303 and undone.headers["Location"] == path
    assert _unsubscribed_at(app, customer_id) is None
    html = client.get(path).get_data(as_text=True)
    assert "you will get our offers by e-mail again" in html and ">Unsubscribe</button>" in html
    assert [outcome for _, outcome, _ in _audit(app, customer_id)] == ["unsubscribed", "resubscribed"]


@pytest.mark.parametrize("unsubscribed", ["kept", "merged"])
def test_a_merge_keeps_either_records_unsubscribe_and_the_merged_ones_link_still_works(ctx, unsubscribed):
    kept = find_or_create(make_contact("kept@example.com", None, None))
    merged = find_or_create(make_contact(None, "+14155550123", None))
    subscriptions.unsubscribe((kept if unsubscribed == "kept" else merged).id, how="one_click")
    merged_token = subscriptions.unsubscribe_token(merged.id, "test-secret")
    merge_customers(kept.id, merged.id, None)
    assert db.session.get(Customer, kept.id).unsubscribed_at is not None
    assert subscriptions.customer_for_token(merged_token, "test-secret").id == kept.id


def test_sends_and_audiences_leave_out_the_unsubscribed_and_those_without_an_address(ctx):
    ana, bo = (find_or_create(make_contact(f"{name}@example.com", None, None)) for name in ("ana", "bo"))
    by_phone = find_or_create(make_contact(None, "+14155550123", None))
    subscriptions.unsubscribe(bo.id, how="page")
    mailable = db.session.scalars(select(Customer.id).where(subscriptions.campaign_mail_allowed())).all()
    assert mailable == [ana.id]
    assert [subscriptions.may_send_campaign_mail(c) for c in (ana, bo, by_phone)] == [True, False, False]
    kept = db.session.scalars(select(Customer.id).where(subscriptions.not_unsubscribed()).order_by(Customer.id))
    assert kept.all() == [ana.id, by_phone.id]
    assert subscriptions.resubscribe(bo.id) and not subscriptions.resubscribe(bo.id)
    assert subscriptions.may_send_campaign_mail(bo)
