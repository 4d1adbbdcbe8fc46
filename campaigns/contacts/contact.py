"""A contact as people type it: an e-mail and/or a phone and a name, checked and normalised one way for every path."""
from dataclasses import dataclass

from campaigns.accounts.business import get_settings
from campaigns.core import addresses
from campaigns.core.addresses import normalise_email
from campaigns.core.errors import FieldErrors
from campaigns.core.inputs import bad_character

NAME_MAX = 120


@dataclass(frozen=True)
class Contact:
    """A checked, normalised way to reach a customer: e-mail lower-cased, phone in E.164."""

    email: str | None
    phone: str | None
    name: str | None = None


def normalise_phone(raw: str, region: str | None = None) -> str:
    """Return a phone number in E.164, reading it in the business's phone region when it has no +country."""
    return addresses.normalise_phone(raw, region or get_settings().default_phone_region)


def make_contact(email: str | None = None, phone: str | None = None, name: str | None = None,
                 region: str | None = None) -> Contact:
    """Normalise an e-mail and/or phone (at least one) and a name; raise ValidationError naming each bad one."""
    wrong = FieldErrors()
    email = wrong.check(normalise_email, email) if (email or "").strip() else None
    phone = wrong.check(normalise_phone, phone, region) if (phone or "").strip() else None
    if not wrong.fields and email is None and phone is None:
        wrong.add("customer", "Give an e-mail address or a phone number.")
    name = (name or "").strip() or None
    bad = bad_character(name) if name is not None else None  # the one rule for text from outside (core.inputs)
    if bad is not None:
        wrong.add("name", f"This name holds {bad}; remove it.")
    elif name is not None and len(name) > NAME_MAX:
        wrong.add("name", f"A name is text of at most {NAME_MAX} characters, on one line.")
    wrong.raise_any()
    return Contact(email, phone, name)
