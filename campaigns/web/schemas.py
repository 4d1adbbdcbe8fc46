"""JSON Schema pieces for the OpenAPI document, stating the same bounds that `campaigns.inputs` enforces."""
from campaigns.core import inputs

_BIDI = r"\u202a-\u202e\u2066-\u2069"
_ONE_LINE = rf"[^\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]"
_LONG = rf"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]"
_VISIBLE = rf"[^\s\x00-\x1f\x7f-\x9f{_BIDI}]"


def text(maximum: int, minimum: int = 0, multiline: bool = False, **extra) -> dict:
    """A text field: no control characters (line breaks only when multiline), at most `maximum` characters
    and, when `minimum` is 1, at least one that is not a space."""
    allowed = _LONG if multiline else _ONE_LINE
    pattern = f"^{allowed}*{_VISIBLE}{allowed}*$" if minimum else f"^{allowed}*$"
    return {"type": "string", "maxLength": maximum, **({"minLength": minimum} if minimum else {}),
            "pattern": pattern, **extra}


def money(places: int, **extra) -> dict:
    """An amount as a decimal string: ASCII digits (at most MONEY_DIGITS before the '.') and at most `places`
    decimals."""
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    return {"type": "string", "pattern": rf"^\s*[0-9]{{1,{inputs.MONEY_DIGITS}}}{fraction}\s*$",
            "example": "12.50" if places else "1250",
            "description": f"A decimal string with at most {places} decimals, below {10 ** inputs.MONEY_DIGITS:,}.",
            **extra}


def whole(low: int, high: int, **extra) -> dict:
    """A whole number from low to high."""
    return {"type": "integer", "minimum": low, "maximum": high, **extra}


def day(**extra) -> dict:
    """A calendar date in the years the app accepts."""
    return {"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$",
            "description": f"YYYY-MM-DD, in the years {inputs.YEAR_MIN} to {inputs.YEAR_MAX}.", **extra}


def moment(**extra) -> dict:
    """A time with its offset in the years the app accepts."""
    return {"type": "string", "format": "date-time", "pattern": inputs.MOMENT_PATTERN,
            "description": f"ISO 8601 with an offset, in the years {inputs.YEAR_MIN} to {inputs.YEAR_MAX}.", **extra}


def closed(properties: dict, required: list[str] | None = None, **extra) -> dict:
    """An object with exactly these properties (others are refused, naming them)."""
    return {"type": "object", "properties": properties, "additionalProperties": False,
            **({"required": required} if required else {}), **extra}


# Each field may also be null, which the API reads as left out (payloads.parse_contact).
CONTACT = closed({"email": {"type": "string", "format": "email", "maxLength": 254, "nullable": True},
                  "phone": text(32, nullable=True, description="A phone number; without +country it is read in the "
                                "business's region (blank: left out, as null)."),
                  "name": text(120, nullable=True)}, description="An e-mail and/or a phone (at least one).",
                 anyOf=[{"required": ["email"]}, {"required": ["phone"]}])
