"""The importer's shortcuts read exactly what the general paths read: a row's cells read at once, a plain file's
row, and a phone number validated without its region's second check."""
from datetime import UTC, datetime

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.core.addresses import _valid, normalise_phone
from campaigns.core.errors import ValidationError
from campaigns.sales.pos import convert, read_sheet
from campaigns.sales.pos.formats import PLAIN_CELLS, Cells
from campaigns.sales.pos.options import Options
from campaigns.sales.rows import PurchaseRow

CELL = st.text(alphabet=" \tab1é\u00a0", max_size=4)


@settings(max_examples=500, deadline=None)
@given(st.lists(CELL, max_size=6), st.lists(st.one_of(st.none(), st.integers(0, 7)), min_size=len(PLAIN_CELLS),
                                            max_size=len(PLAIN_CELLS)))
def test_cells_read_at_once_are_the_cells_read_one_by_one(row, indexes):
    cells = Cells([f"c{n}" for n in range(8)], dict(zip(PLAIN_CELLS, indexes)), Options(), UTC)
    for _ in range(2):  # the second read takes the columns looked up by the first
        assert cells.read(row, PLAIN_CELLS) == [cells.get(row, field) for field in PLAIN_CELLS]


def _plain(text: str, columns: dict, currency: str = "USD"):
    sheet = read_sheet(text.encode())
    return convert(sheet, "plain", columns, Options(currency=currency))


def test_a_plain_files_edge_rows_read_as_before():
    columns = {"date": "Date", "time": "Time", "amount": "Amount", "external_id": "ID", "email": "Email",
               "phone": "Phone", "currency": "Currency"}
    text = ("Date,Time,Amount,ID,Email,Phone,Currency\n"
            " 2026-05-12 , 14:30 , 2.50 , a1 ,  Ana@Example.com ,,usd\n"
            "2026-05-13,,3,a2\n"  # a short row: its missing cells are empty
            "2026-05-14,,-1,a3,,,\n"
            "2026-05-15,,1,a4,,,EUR\n"
            ",,1,a5,,,\n"
            "2026-05-16,25:00,1,a6,,,\n"
            "2026-05-17,,1,,,,\n")
    result = _plain(text, columns)
    assert result.rows == [
        PurchaseRow(external_id="a1", amount_cents=250, occurred_at=datetime(2026, 5, 12, 14, 30, tzinfo=UTC),
                    email="Ana@Example.com", line=2),
        PurchaseRow(external_id="a2", amount_cents=300, occurred_at=datetime(2026, 5, 13, 12, 0, tzinfo=UTC), line=3),
    ]
    assert result.problems == [
        (4, "Amount “-1” is negative: a refund names the sale it refunds in a “refund of” column."),
        (5, "Currency “EUR”: amounts here are in USD."),
        (6, "Date is empty."),
        (7, "Time “25:00”: it is not a time of day."),
        (8, "ID is empty: each sale needs the till's own id."),
    ]


NUMBERS = ["+12025550123", "+12124567890", "+14165550123", "+16135550199", "+18765550123", "+12685550123",
           "+19995550123", "+11234567890", "+447911123456", "+441624756789", "+447781123456", "+79161234567",
           "+77012345678", "+4741234567", "+4779123456", "+33612345678", "+80012345678", "+61412345678",
           "+262262123456", "+262269601234", "+5999123456", "+123", "+1202555012345"]


@pytest.mark.parametrize("written", NUMBERS)
def test_a_phone_is_valid_exactly_when_phonenumbers_says_so(written):
    number = phonenumbers.parse(written, None)
    assert _valid(number) == phonenumbers.is_valid_number(number)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=4, max_size=14), st.sampled_from(["US", "CA", "GB", "NO", "RU", "FR",
                                                                                  "JM", "AU"]))
def test_any_digits_are_valid_exactly_when_phonenumbers_says_so(digits, region):
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return
    assert _valid(number) == phonenumbers.is_valid_number(number)


def _as_phonenumbers_reads(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.sampled_from(["US", "CA", "GB", "DE", "JM"]))
def test_a_north_american_number_in_e164_reads_as_phonenumbers_reads_it(digits, region):
    raw = "+1" + digits
    try:
        ours = normalise_phone(raw, region)
    except ValidationError:
        ours = None
    assert ours == _as_phonenumbers_reads(raw, region)


ISO_PARTS = st.tuples(st.integers(1990, 2110), st.integers(0, 13), st.integers(0, 32),
                      st.sampled_from(["T", " ", "  ", "t"]), st.integers(0, 25), st.integers(0, 61), st.sampled_from(["", ":07", ":07.5", ":07.123456"]),
                      st.sampled_from(["", "Z", "+02:00", "-0530", "+14:00", " UTC"]))


@settings(max_examples=1000, deadline=None)
@given(ISO_PARTS, st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]))
def test_an_iso_moment_reads_as_the_general_reading_reads_it(parts, zone_name):
    from zoneinfo import ZoneInfo

    year, month, day, between, hour, minute, rest, offset = parts
    text = f"{year:04d}-{month:02d}-{day:02d}{between}{hour:02d}:{minute:02d}{rest}{offset}"
    quick = Cells(["Date"], {"date": 0}, Options(), ZoneInfo(zone_name))
    general = Cells(["Date"], {"date": 0}, Options(), ZoneInfo(zone_name))
    general.plain_iso = False

    def read(cells):
        try:
            when, local = cells.when([text], text, local=False)
            return when.isoformat(), when.tzinfo, when.fold, local  # the same moment, written the same way
        except Exception as error:  # noqa: BLE001 - the same refusal either way
            return type(error), str(error)

    assert quick.plain_iso
    assert read(quick) == read(general)


def _sheet_or_refusal(data: bytes):
    try:
        sheet = read_sheet(data)
    except ValidationError as error:
        return error.details
    return sheet.headers, list(sheet.rows), list(sheet.lines), sheet.encoding, sheet.delimiter


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.text(alphabet="ab1 ,;\t|é\u00a0\x0b", max_size=12), min_size=1, max_size=8),
       st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=8, max_size=8), st.booleans(), st.booleans())
def test_a_file_without_quotes_reads_as_the_reader_reads_it(records, endings, declared, ends_with_break):
    """The unquoted shortcut finds the same header, rows, lines and refusals as the CSV reader, line by line."""
    from campaigns.sales.pos import reading

    text = ("sep=;\n" if declared else "") + "".join(record + ending for record, ending in zip(records, endings))
    data = (text if ends_with_break else text.rstrip("\r\n")).encode()
    quick = _sheet_or_refusal(data)
    shortcut, reading._unquoted_layout = reading._unquoted_layout, lambda *args: None
    try:
        assert quick == _sheet_or_refusal(data)
    finally:
        reading._unquoted_layout = shortcut
