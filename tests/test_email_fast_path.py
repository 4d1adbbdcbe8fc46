"""The everyday-address shortcut of normalise_email agrees with email_validator on every address it takes."""
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.core.addresses import _plain_email

ATOM = st.text(alphabet="abcXYZ019_%+-.!#", min_size=0, max_size=12)
LABEL = st.text(alphabet="abcxyzKN09-", min_size=0, max_size=10)


def full(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@settings(max_examples=3000, deadline=None)
@given(ATOM, st.lists(LABEL, min_size=1, max_size=4), st.sampled_from(["com", "io", "c", "test", "local", "x1", "1x",
                                                                         "xn--p1ai", "museum", "ARPA", ""]))
def test_the_shortcut_never_accepts_what_the_validator_refuses_and_reads_alike(local, labels, tld):
    address = f"{local}@{'.'.join(labels + [tld])}"
    plain = _plain_email(address)
    if plain is not None:
        assert plain == full(address)


@pytest.mark.parametrize("address", ["Ana.Lopez@Example.COM", "a+b%c_d-e@mail.example.co.uk", "x@y.c"])
def test_everyday_addresses_take_the_shortcut(address):
    assert _plain_email(address) == full(address) == address.lower()


@pytest.mark.parametrize("address", ["a..b@x.com", "a@-x.com", "a@x-.com", "a@localhost", "a@x.test", "zoë@x.com",
                                     "a@xn--bcher-kva.com", "\u212a@x.com", "a@1.23", ".a@x.com", "a.@x.com"])
def test_anything_unusual_goes_to_the_full_validator(address):
    assert _plain_email(address) is None
