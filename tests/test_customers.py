"""Customers are matched by e-mail first, then phone, with what was missing filled in (API.md)."""
import pytest

from campaigns.contacts import contact as customers
from campaigns.contacts.matching import find_or_create
from campaigns.core.errors import ValidationError
from campaigns.models import Customer
from campaigns.web.payloads import parse_contact


def test_contact_is_normalised(ctx):
    contact = customers.make_contact(" Ana@Example.COM ", "(202) 555-0143", " Ana ")
    assert contact == customers.Contact("ana@example.com", "+12025550143", "Ana")


@pytest.mark.parametrize("email, phone, field", [(None, None, "customer"), ("nope", None, "email"),
                                                 (None, "12", "phone"), ("", "  ", "customer")])
def test_bad_contacts_name_the_field(ctx, email, phone, field):
    with pytest.raises(ValidationError) as error:
        customers.make_contact(email, phone)
    assert field in error.value.details["fields"]


@pytest.mark.parametrize("payload, field", [({}, "customer"), ({"email": "nope"}, "email"),
                                            ({"phone": "12"}, "phone"), ("ana@example.com", "customer"),
                                            ({"email": ["a@example.com"]}, "email"),
                                            ({"name": 5, "phone": True}, "phone")])
def test_the_apis_customer_object_names_the_bad_field(ctx, payload, field):
    with pytest.raises(ValidationError) as error:
        parse_contact(payload)
    assert field in error.value.details["fields"]


def test_matching_prefers_email_then_phone_and_fills_in(ctx):
    by_phone = find_or_create(customers.make_contact(phone="+351912345678"))
    same = find_or_create(customers.make_contact("rui@example.com", "+351 912 345 678"))
    assert same.id == by_phone.id and same.email == "rui@example.com"
    again = find_or_create(customers.make_contact("RUI@example.com"))
    assert again.id == by_phone.id
    other = find_or_create(customers.make_contact("eva@example.com"))
    assert other.id != by_phone.id and isinstance(other, Customer)
