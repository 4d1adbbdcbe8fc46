"""Money is exact: integer minor units, never a float's rounding."""
from decimal import Decimal

import pytest

from campaigns.core import money


@pytest.mark.parametrize("value, cents", [("12.50", 1250), ("0", 0), (12, 1200), ("1,234.5", 123450),
                                          (Decimal("0.01"), 1), ("0.10", 10)])
def test_to_cents(value, cents):
    assert money.to_cents(value) == cents


@pytest.mark.parametrize("value", ["12.505", "abc", "", None, True, "NaN", "-1"])
def test_bad_amounts_are_refused(value):
    with pytest.raises(money.MoneyError):
        money.to_cents(value)


def test_negative_only_when_allowed_and_currency_exponents():
    assert money.to_cents("-3.20", allow_negative=True) == -320
    assert money.to_cents("1500", "JPY") == 1500
    with pytest.raises(money.MoneyError, match="0 decimal places"):
        money.to_cents("1.5", "JPY")
    assert money.to_json(1250) == "12.50" and money.to_json(-5) == "-0.05" and money.to_json(7, "JPY") == "7"
    assert money.display(123450, "EUR") == "EUR 1,234.50"
