"""Files the app hands out: CSV that no spreadsheet runs as a formula, and file names any browser saves."""
import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import quote

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list of what makes a spreadsheet cell a formula
_NOT_IN_NAMES = re.compile(r'[\s"\\/:*?<>|]+')  # blanks and what Windows or a header would choke on
_NOT_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")
_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss",
                                   "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th"})


def safe_cell(value) -> str:
    """Return a CSV cell as text, a quote put before it when it would start a formula (the OWASP rule).

    Numbers (int, Decimal, float) carry no formula and pass as they are, so a negative amount stays a number;
    text that merely looks like one ("-5") is neutralised like any other, as OWASP says.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """Return a CSV document of a header and rows, every cell made safe for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def name_part(text: str) -> str:
    """Return text as a piece of a file name: control characters, blanks and path or quote signs become dashes."""
    visible = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in unicodedata.normalize("NFC", text))
    return _NOT_IN_NAMES.sub("-", visible).strip("-.") or "unnamed"


def attachment(filename: str) -> str:
    """Return a Content-Disposition header saving the file as `filename` (RFC 6266: `filename*` in UTF-8
    with a plain-ASCII `filename` for old clients)."""
    filename = name_part(filename)
    stem, dot, suffix = filename.rpartition(".") if "." in filename else (filename, "", "")
    fallback = _ascii(stem) + dot + _ascii(suffix) if dot else _ascii(stem)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _ascii(text: str) -> str:
    """The nearest plain-ASCII spelling of a name part (é becomes e, what has none becomes a dash)."""
    plain = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION)).encode("ascii", "ignore").decode("ascii")
    return _NOT_IN_FALLBACK.sub("-", plain).strip("-") or "download"
