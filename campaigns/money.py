"""Money as integer minor units: parsing what people type and showing it back."""
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not the usual 1/100.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


class MoneyError(ValueError):
    """A value that is not an amount of money in the installation's currency."""


def exponent(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has."""
    return _EXPONENTS.get(currency.upper(), 2)


def parse_amount(value) -> Decimal:
    """Read a decimal string or number as an exact Decimal, refusing floats' rounding surprises."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool) or value is None:
        raise MoneyError("Enter an amount such as 12.50.")
    else:
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not an amount: write it like 12.50.") from None
    if not amount.is_finite():
        raise MoneyError("Enter a finite amount.")
    return amount


def to_cents(value, currency: str = "USD", allow_negative: bool = False) -> int:
    """Return an amount (a Decimal, or text or a number read by parse_amount) in minor units."""
    amount = parse_amount(value)
    places = exponent(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} amounts have at most {places} decimal places.")
    if amount < 0 and not allow_negative:
        raise MoneyError("The amount cannot be negative.")
    return int(scaled)


def to_decimal(cents: int, currency: str = "USD") -> Decimal:
    """Return minor units as an exact Decimal in major units."""
    places = exponent(currency)
    return Decimal(cents).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def to_json(cents: int | None, currency: str = "USD") -> str | None:
    """Return minor units as the API's decimal string, e.g. "12.50"."""
    return None if cents is None else str(to_decimal(cents, currency))


def display(cents: int | None, currency: str = "USD") -> str:
    """Return an amount for people: "USD 1,234.50"."""
    if cents is None:
        return "—"
    places = exponent(currency)
    return f"{currency} {to_decimal(cents, currency):,.{places}f}"
