"""Voucher codes: generate, format, normalise and check (API.md, "Voucher codes").

A code is 60 random bits as 12 Crockford base-32 characters plus one check character. The check
character is a weighted sum over GF(32) with distinct non-zero weights alpha^1..alpha^12, so every
single changed character and every swap of two different neighbours changes it.
"""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 12
CODE_LENGTH = BODY_LENGTH + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_FORGIVEN = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_URL_CODE = re.compile(r"/v/([^/?#]+)")

# GF(32) with the primitive polynomial x^5 + x^2 + 1.
_EXP = [0] * 62
_LOG = [0] * 32
_x = 1
for _i in range(31):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x20:
        _x ^= 0x25
for _i in range(31, 62):
    _EXP[_i] = _EXP[_i - 31]


class CodeError(ValueError):
    """A string that is not a well-formed code; `code` is `invalid_code`."""

    code = "invalid_code"


def _gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def check_character(body: str) -> str:
    """Return the check character for a 12-character code body."""
    total = 0
    for position, ch in enumerate(body, start=1):
        total ^= _gf_mul(_EXP[position % 31], _VALUE[ch])
    return ALPHABET[total]


def generate() -> str:
    """Return a new normalised code from 60 bits of a cryptographic source."""
    bits = secrets.randbits(BODY_LENGTH * 5)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(BODY_LENGTH))
    return body + check_character(body)


def generate_many(count: int) -> list[str]:
    """Return `count` distinct new codes."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.update(generate() for _ in range(count - len(codes)))
    return list(codes)


def format_code(code: str) -> str:
    """Show a normalised code in groups of four: K7QM-3XTD-9PRA-W."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(text: str) -> str:
    """Read what a person typed or a scanner sent (a code or a voucher URL) as a normalised code.

    Raises CodeError when it cannot be a code or its check character is wrong.
    """
    found = _URL_CODE.search(text or "")
    raw = found.group(1) if found else (text or "")
    candidate = _SEPARATORS.sub("", raw).upper().translate(_FORGIVEN)
    if not candidate:
        raise CodeError("Enter a voucher code.")
    wrong = sorted({ch for ch in candidate if ch not in _VALUE})
    if wrong:
        raise CodeError(f"A voucher code has no {', '.join(repr(c) for c in wrong)} in it: check the code.")
    if len(candidate) != CODE_LENGTH:
        raise CodeError(
            f"A voucher code has {CODE_LENGTH} characters; this one has {len(candidate)}: check the code."
        )
    if check_character(candidate[:-1]) != candidate[-1]:
        raise CodeError("This code looks mistyped (its check character does not match): check the code.")
    return candidate


def is_valid(text: str) -> bool:
    """Tell whether a string reads as a well-formed code."""
    try:
        normalise(text)
    except CodeError:
        return False
    return True
