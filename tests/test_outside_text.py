"""One rule for text from outside (issue 30): the API, the forms and every import kind refuse the same characters
in the same fields, and read e-mail addresses one way (NFKC-folded), so no way in stores what another refuses or
makes a second customer of a first."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.models import Customer, CustomerLink, Purchase
from campaigns.sales.directory import store_customers
from campaigns.sales.ledger import store_purchases
from campaigns.sales.rows import CustomerRow, PurchaseRow

WHEN = datetime(2026, 5, 2, 12, tzinfo=UTC)
# Characters that reorder or hide what a page shows: refused in every name, from every way in.
HOSTILE = ["Ann\u202eevil", "Ann\u2066x\u2069", "Ann\x00", "Ann\nBob", "Ann\u2028Bob", "\ud800Ann"]


@pytest.mark.parametrize("name", HOSTILE)
def test_every_way_in_refuses_the_same_names(app, client, make_token, name):
    token = make_token("staff")
    answer = client.post("/api/v1/purchases", headers={"Authorization": f"Bearer {token}"},
                         json={"external_id": "till-2", "amount": "5.00", "occurred_at": "2026-05-02T12:00:00Z",
                               "customer": {"email": "ann@example.com", "name": name}})
    assert answer.status_code in (400, 422)
    with app.app_context():
        with pytest.raises(ValidationError):
            make_contact("ann@example.com", name=name)
        sale = store_purchases([PurchaseRow("till-1", 500, WHEN, email="ann@example.com", name=name)],
                               source="import")
        assert sale[0].status == "error" and "customer.name" in sale[0].error.details["fields"]
        directory = store_customers([CustomerRow("sq-1", "ann@example.com", None, name)], source="square")
        assert directory[0].status == "error"
        db.session.commit()  # whatever a way in left is kept, and counted below
        _nothing_stored()


def _nothing_stored() -> None:
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
    assert db.session.scalar(select(func.count()).select_from(Purchase)) == 0
    assert db.session.scalar(select(func.count()).select_from(CustomerLink)) == 0


@pytest.mark.parametrize("field, value", [("location", "Main\u202eSt"), ("customer_ref", "square:\u2067x"),
                                          ("refund_of", "till-1\u202e")])
def test_an_import_refuses_hidden_characters_in_its_other_fields(ctx, field, value):
    row = PurchaseRow("till-9", -100 if field == "refund_of" else 500, WHEN, **{field: value})
    outcome = store_purchases([row], source="import")[0]
    assert outcome.status == "error" and field in outcome.error.details["fields"]


def test_a_full_width_address_is_the_same_customer_on_every_way_in(ctx):
    plain = find_or_create(make_contact("alice.n@example.com")).id
    wide = "\uff41\uff4c\uff49\uff43\uff45.\uff4e@example.com"  # ａｌｉｃｅ.ｎ@example.com
    assert find_or_create(make_contact(wide)).id == plain
    outcome = store_purchases([PurchaseRow("till-7", 700, WHEN, email=wide)], source="import")[0]
    assert db.session.get(Purchase, outcome.purchase_id).customer_id == plain
    store_customers([CustomerRow("sq-7", wide.upper(), None, "Alice")], source="square")
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
