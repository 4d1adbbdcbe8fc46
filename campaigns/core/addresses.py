"""E-mail addresses and phone numbers read one way on every path: users, customers (claim page, desk, API,
imports) and the rate limits' keys."""
import re
import unicodedata

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from campaigns.core.errors import ValidationError

# The everyday address (ASCII dot-atoms, plain labels, a TLD of letters) is read without the full
# validator, which costs a tenth of a millisecond: a file of customers is mostly such addresses. Anything
# else (Unicode, quoting, punycode, special-use names, odd lengths) goes through email_validator.
_PLAIN_EMAIL = re.compile(r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                          r"[a-z]{1,63}")


def _plain_email(text: str) -> str | None:
    """Return `text` lower-cased when it is an everyday address the full validator would accept as it is."""
    if not text.isascii() or len(text) > 254 or "--" in text:
        return None
    lowered = text.lower()
    if not _PLAIN_EMAIL.fullmatch(lowered):
        return None
    local, domain = lowered.rsplit("@", 1)
    if len(local) > 64 or len(domain) > 253 or domain.rsplit(".", 1)[1] in SPECIAL_USE_DOMAIN_NAMES:
        return None
    return lowered


def normalise_email(email: str, field: str = "email") -> str:
    """Return the e-mail address NFKC-folded, lower-cased and checked, or raise ValidationError. Every path
    reads addresses through this (users, customers on every way in, rate-limit keys): full-width
    `ａｌｉｃｅ@example.com` is `alice@example.com` everywhere."""
    text = unicodedata.normalize("NFKC", email or "").strip()
    plain = _plain_email(text)
    if plain is not None:
        return plain
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError({field: str(exc)}) from None


def email_limit_key(email: str) -> str:
    """Return an e-mail as rate limits count it (log-in, claim page): NFKC-folded, then normalised as
    users and customers are matched, so that no spelling of one address walks past its limit."""
    try:
        return normalise_email(email)
    except ValidationError:
        return unicodedata.normalize("NFKC", email or "").casefold().strip()


def _valid(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number, without reading a number of its code's first region twice (a US number
    of +1: finding its region validates it, then the region's check validated it again)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code, ())
    if len(regions) > 1:
        first = phonenumbers.PhoneMetadata.metadata_for_region(regions[0], None)
        # With no leading digits the first region is the one found for any number valid for it (as is_valid_number).
        if first is not None and first.leading_digits is None and \
                phonenumbers.is_valid_number_for_region(number, regions[0]):
            return True
    return phonenumbers.is_valid_number(number)


# A North American number already written in E.164 ("+12125550123"): parsing it finds country code 1 and the
# ten digits as they are (none starts with the national prefix 1), whatever the region, so it is not parsed.
_NANP_E164 = re.compile(r"\+1[2-9][0-9]{9}")


def normalise_phone(raw: str, region: str) -> str:
    """Return a phone number in E.164, reading it in `region` when it has no +country, or raise ValidationError."""
    written = raw and _NANP_E164.fullmatch(raw) is not None  # and so already as E.164 writes it
    if written:
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(raw[2:]))
    else:
        try:
            number = phonenumbers.parse(unicodedata.normalize("NFKC", raw or ""), region)
        except phonenumbers.NumberParseException:
            raise ValidationError({"phone": f"{raw!r} is not a phone number."}) from None
    if not _valid(number):
        raise ValidationError({"phone": f"{raw!r} is not a valid phone number for {region} (add +country)."})
    return raw if written else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
