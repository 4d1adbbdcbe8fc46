"""Customers are matched by e-mail first, then phone, with what was missing filled in (API.md)."""
import pytest

from campaigns import customers
from campaigns.errors import ValidationError
from campaigns.models import Customer


def test_contact_is_normalised(ctx):
    contact = customers.parse_contact({"email": " Ana@Example.COM ", "phone": "(202) 555-0143", "name": " Ana "})
    assert contact == customers.Contact("ana@example.com", "+12025550143", "Ana")


@pytest.mark.parametrize("payload, field", [({}, "customer"), ({"email": "nope"}, "email"),
                                            ({"phone": "12"}, "phone"), ("ana@example.com", "customer")])
def test_bad_contacts_name_the_field(ctx, payload, field):
    with pytest.raises(ValidationError) as error:
        customers.parse_contact(payload)
    assert field in error.value.details["fields"]


def test_matching_prefers_email_then_phone_and_fills_in(ctx):
    by_phone = customers.find_or_create(customers.parse_contact({"phone": "+351912345678"}))
    same = customers.find_or_create(customers.parse_contact({"email": "rui@example.com", "phone": "+351 912 345 678"}))
    assert same.id == by_phone.id and same.email == "rui@example.com"
    again = customers.find_or_create(customers.parse_contact({"email": "RUI@example.com"}))
    assert again.id == by_phone.id
    other = customers.find_or_create(customers.parse_contact({"email": "eva@example.com"}))
    assert other.id != by_phone.id and isinstance(other, Customer)
