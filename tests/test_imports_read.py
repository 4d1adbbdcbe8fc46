"""Reading point-of-sale files (campaigns.sales.pos): pure, no database.

The files in tests/pos_files are written from the exports' documented columns and real exports' shapes
(Square's transactions, item details and customer directory exports, Shopify's orders export), each with
broken rows; see the report of issue 17 for the public files they follow.
"""
import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.core.errors import ValidationError
from campaigns.sales.pos import (
    FIELDS,
    SOURCES,
    Options,
    check_options,
    convert,
    detect_source,
    read_sheet,
    suggest_columns,
    suggest_options,
)
from campaigns.sales.pos.columns import ALIASES
from campaigns.sales.pos.money_text import MoneyTextError, cents
from campaigns.sales.pos.timezones import RAILS_ZONES, ZoneError, zone
from campaigns.sales.rows import CustomerRow, PurchaseRow

FILES = Path(__file__).parent / "pos_files"


def load(name: str) -> bytes:
    return (FILES / name).read_bytes()


def run(data: bytes, *, locale="en_US", time_zone="UTC", currency="USD", source=None, start=0, limit=None):
    sheet = read_sheet(data)
    source = source or detect_source(sheet.headers)
    columns = suggest_columns(source, sheet.headers)
    options = suggest_options(sheet, source, columns, locale=locale, time_zone=time_zone, currency=currency)
    return sheet, source, columns, options, convert(sheet, source, columns, options, start, limit)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def problems_of(result) -> dict[int, str]:
    return dict(result.problems)


# --- Square: transactions export ------------------------------------------------------------------------------

def test_square_transactions_export_with_bom_refund_and_broken_rows():
    sheet, source, columns, options, result = run(load("square_transactions.csv"), time_zone="America/Chicago")
    assert (sheet.encoding, sheet.delimiter, sheet.headers[0]) == ("utf-8-sig", ",", "Date")
    assert source == "square_transactions"
    assert columns["amount"] == "Net Sales" and columns["payment_id"] == "Payment ID"
    assert columns["customer_id"] == "Customer ID" and columns["location"] is None
    assert options == Options(decimal_mark=".", date_order="ymd", time_zone="America/Chicago", currency="USD")
    sale = "square:P1aaaRb9PbKi7Y8KdrYsyqgltmVQZY"
    assert result.rows == [
        PurchaseRow(external_id=sale, amount_cents=2250, occurred_at=utc(2026, 5, 12, 16, 54, 1),
                    name="Ada Lovelace", customer_ref="square:JDKYHBWT1D4F8MFH63DBMEN8Y4",
                    sale_ref="square:T1aaaKeEp5yWWst4wAvuQJ3qn6PZY", line=2),
        PurchaseRow(external_id="square:P2bbbm129MeWxWIBsPaQuYT1yjkeZY", amount_cents=114900,
                    occurred_at=utc(2026, 5, 12, 20, 5, 44), sale_ref="square:T2bbbCa7LyN01iIhIdeCtxqg9fx9ZY", line=3),
        PurchaseRow(external_id="square-refund:P1aaaRb9PbKi7Y8KdrYsyqgltmVQZY:2026-05-20T09:15:00", amount_cents=-500,
                    occurred_at=utc(2026, 5, 20, 13, 15), refund_of=sale,
                    sale_ref="square:R1cccRNfDLBO7hxgd7iDioqmDzJZY", line=4),
        PurchaseRow(external_id="square:P8hhh", amount_cents=450, occurred_at=utc(2026, 5, 13, 9, 0),
                    customer_ref="square:X0JEYN1R8ZTTWTXA7YFAYB3XBG", sale_ref="square:T8hhh", line=9),
    ]
    assert result.rows[0].occurred_at.utcoffset() == timedelta(hours=-4)  # the row's own zone, not the option
    assert result.problems == [
        (5, "Net Sales “$2x.50”: it is not written as a number."),
        (6, "Time Zone “Mars Time”: it is not a time zone we know."),
        (7, "Payment ID and Transaction ID are empty: nothing identifies this sale."),
        (8, "Date “1999-12-31”: the year must be from 2000 to 2100."),
    ]
    assert result.next_start is None


def test_older_square_export_resaved_in_windows_1252_without_event_type_or_customer_columns():
    sheet, source, columns, options, result = run(load("square_transactions_2018_excel.csv"), locale="en_GB",
                                                  time_zone="America/Chicago")
    assert (sheet.encoding, source) == ("windows-1252", "square_transactions")
    assert sheet.rows[0][sheet.headers.index("Description")] == "Café crème x 2"
    assert sheet.rows[1][sheet.headers.index("Description")] == "Zoë’s order – gift box"
    assert columns["event_type"] is None and columns["customer_id"] is None
    assert options.date_order == "mdy"  # 12/27/2018 proves month first, whatever the locale (en_GB: dmy)
    assert result.rows == [
        PurchaseRow(external_id="square:Pay18aZY", amount_cents=114900, occurred_at=utc(2018, 12, 27, 20, 30, 15),
                    sale_ref="square:Tx18aZY", line=2),
        PurchaseRow(external_id="square:Pay18bZY", amount_cents=15000, occurred_at=utc(2018, 12, 18, 15, 5),
                    sale_ref="square:Tx18bZY", line=3),
        PurchaseRow(external_id="square-refund:Pay18bZY:2018-12-28T10:00:00", amount_cents=-15000,
                    occurred_at=utc(2018, 12, 28, 16, 0), refund_of="square:Pay18bZY",
                    sale_ref="square:Tx18cZY", line=4),
        PurchaseRow(external_id="square:Pay18eZY", amount_cents=54000, occurred_at=utc(2018, 11, 30, 18, 0),
                    sale_ref="square:Tx18eZY", line=6),
    ]  # "($150.00)" without an Event Type is a refund; a blank time and zone is midday in the business zone
    assert result.problems == [(5, "Date “13/45/2018”: there is no day 45 in month 13 of 2018.")]


def test_square_export_with_semicolons_and_european_decimals():
    sheet, source, columns, options, result = run(load("square_transactions_eu.csv"), locale="fr_FR",
                                                  time_zone="Europe/Paris", currency="EUR")
    assert (sheet.delimiter, source) == (";", "square_transactions")
    assert (options.decimal_mark, options.date_order, options.currency) == (",", "dmy", "EUR")
    assert result.rows == [
        PurchaseRow(external_id="square:EU1pay", amount_cents=2250, occurred_at=utc(2026, 5, 12, 12, 30),
                    name="Zoë Martin", customer_ref="square:EUCUST1ZOE", sale_ref="square:EU1tx", line=2),
        PurchaseRow(external_id="square:EU2pay", amount_cents=123456, occurred_at=utc(2026, 5, 13, 7, 0),
                    sale_ref="square:EU2tx", line=3),
        PurchaseRow(external_id="square-refund:EU1pay:2026-05-20T18:00:00", amount_cents=-500,
                    occurred_at=utc(2026, 5, 20, 16, 0), refund_of="square:EU1pay", sale_ref="square:EU3tx", line=4),
    ]
    assert result.problems == [(5, "Net Sales “22.50 $”: “$” is not part of an amount in EUR."),
                               (6, "Net Sales “12,5,0 €”: the decimal mark here is “,”.")]


def test_columns_are_found_by_name_whatever_their_order_and_case():
    table = list(csv.reader(io.StringIO(load("square_transactions.csv").decode("utf-8-sig"))))
    table[0] = [" " + header.upper() + " " if header == "Net Sales" else header for header in table[0]]
    reordered = io.StringIO()
    csv.writer(reordered).writerows([list(reversed(cells)) for cells in table])
    _, source, columns, _, result = run(reordered.getvalue().encode("utf-8"), time_zone="America/Chicago")
    _, _, _, _, expected = run(load("square_transactions.csv"), time_zone="America/Chicago")
    assert source == "square_transactions" and columns["amount"] == "NET SALES"
    assert result.rows == expected.rows
    assert result.problems == [(line, reason.replace("Net Sales", "NET SALES")) for line, reason in expected.problems]


# --- Square: item details export -------------------------------------------------------------------------------

def test_square_items_add_up_each_sale_and_tie_the_refund_by_payment_id():
    sheet, source, columns, options, result = run(load("square_items.csv"), time_zone="America/New_York")
    assert source == "square_items" and columns["transaction_id"] == "Transaction ID"
    assert result.rows == [
        PurchaseRow(external_id="square:PApay", amount_cents=1800, occurred_at=utc(2026, 7, 18, 16, 59, 30),
                    customer_ref="square:CUSTAKPJ6J74CB44HCJ6NMKSX", sale_ref="square:TAsale", line=2),
        PurchaseRow(external_id="square:PBpay", amount_cents=500, occurred_at=utc(2026, 7, 18, 16, 57, 42),
                    sale_ref="square:TBsale", line=5),
        PurchaseRow(external_id="square:PDpay", amount_cents=650, occurred_at=utc(2026, 7, 18, 16, 39, 36),
                    sale_ref="square:TDsale", line=8),
        PurchaseRow(external_id="square-refund:PApay:2026-07-19T10:00:00", amount_cents=-800,
                    occurred_at=utc(2026, 7, 19, 14, 0), refund_of="square:PApay", sale_ref="square:TRrefund", line=10),
    ]  # PB's second line is line 12, away from its first: it still belongs to PB
    assert result.problems == [(7, "Net Sales “$5.0O”: “O” is not part of an amount in USD."),
                               (11, "Transaction ID is empty: this row belongs to no sale.")]


def test_square_items_chunks_never_split_a_sale():
    sheet, source, columns, options, whole = run(load("square_items.csv"), time_zone="America/New_York")
    first = convert(sheet, source, columns, options, 0, 7)
    assert [row.external_id for row in first.rows] == ["square:PApay", "square:PBpay", "square:PDpay"]
    assert first.rows[2].amount_cents == 650  # PD's second line is row 7, in the next chunk's range
    assert first.problems == [(7, "Net Sales “$5.0O”: “O” is not part of an amount in USD.")]
    assert first.next_start == 7
    second = convert(sheet, source, columns, options, 7, 7)
    assert [row.external_id for row in second.rows] == ["square-refund:PApay:2026-07-19T10:00:00"]
    assert second.problems == [(11, "Transaction ID is empty: this row belongs to no sale.")]
    assert second.next_start is None
    for limit in range(1, len(sheet.rows) + 1):
        rows, problems, start, chunks = [], [], 0, 0
        while start is not None:
            part = convert(sheet, source, columns, options, start, limit)
            rows += part.rows
            problems += part.problems
            start, chunks = part.next_start, chunks + 1
        assert rows == whole.rows and sorted(problems) == whole.problems, limit
        assert chunks == -(-len(sheet.rows) // limit)


# --- Square: customer directory ---------------------------------------------------------------------------------

def test_square_customer_directory():
    sheet, source, columns, _, result = run(load("square_customers.csv"))
    assert (source, sheet.encoding) == ("square_customers", "utf-8-sig")
    assert columns["customer_id"] == "Square Customer ID" and columns["email"] == "Email Address"
    assert result.rows == [
        CustomerRow(external_id="JDKYHBWT1D4F8MFH63DBMEN8Y4", email="ada@example.com", phone="+1 212-555-0100",
                    name="Ada Lovelace", line=2),
        CustomerRow(external_id="EUCUST1ZOE", email=None, phone="(555) 010-2030", name="Zoë Martin", line=3),
        CustomerRow(external_id="CUSTAKPJ6J74CB44HCJ6NMKSX", email="acme@example.com", phone=None, name="Acme Café",
                    line=5),
    ]
    assert result.problems == [(4, "Square Customer ID is empty: nothing ties this customer to Square's sales.")]


# --- Shopify: orders export ---------------------------------------------------------------------------------------

SHOPIFY_SALES = [
    PurchaseRow(external_id="shopify:5550001001", amount_cents=5400, occurred_at=utc(2026, 5, 12, 19, 54, 1),
                email="ada@example.com", phone="+12125550100", name="Ada Lovelace", sale_ref="shopify:#1001", line=2),
    PurchaseRow(external_id="shopify:5550001002", amount_cents=3698, occurred_at=utc(2026, 5, 13, 16, 0),
                email="zoe@example.com", name="Zoë Martin", sale_ref="shopify:#1002", line=4),
    PurchaseRow(external_id="shopify-refund:5550001002", amount_cents=None, occurred_at=utc(2026, 5, 13, 16, 0),
                refunded_total_cents=4098, refund_of="shopify:5550001002", line=4),
    PurchaseRow(external_id="shopify:5550001003", amount_cents=10000, occurred_at=utc(2026, 5, 14, 22, 20),
                email="grace@example.com", name="Grace Hopper", sale_ref="shopify:#1003", line=6),
    PurchaseRow(external_id="shopify-refund:5550001003", amount_cents=None, occurred_at=utc(2026, 5, 14, 22, 20),
                refunded_total_cents=2550, refund_of="shopify:5550001003", line=6),
]


def test_shopify_orders_export():
    sheet, source, columns, options, result = run(load("shopify_orders.csv"), time_zone="Europe/Paris")
    assert source == "shopify_orders"
    assert {name: columns[name] for name in ("order", "order_id", "date", "amount", "refunded", "voucher_code")} == {
        "order": "Name", "order_id": "Id", "date": "Created at", "amount": "Subtotal", "refunded": "Refunded Amount",
        "voucher_code": None}
    assert list(sheet.lines[:4]) == [2, 3, 4, 6]  # order #1002's note runs over two lines
    assert options == Options(decimal_mark=".", date_order="ymd", time_zone="Europe/Paris", currency="USD")
    assert result.rows == SHOPIFY_SALES + [
        PurchaseRow(external_id="shopify:5550001008", amount_cents=0, occurred_at=utc(2026, 5, 17, 15, 0),
                    phone="+1 212 555 0199", name="Sam Sample", sale_ref="shopify:#1008", line=12),
        PurchaseRow(external_id="shopify:#1009", amount_cents=750, occurred_at=utc(2026, 5, 18, 8, 0),
                    email="noid@example.com", line=13),
    ]
    assert result.problems == [
        (8, "Financial Status “voided”: the payment of order #1004 was never taken, so it is no sale."),
        (9, "Currency “GBP”: amounts here are in USD."),
        (10, "Created at “yesterday”: it is not a date."),
        (11, "Subtotal “12,34”: the decimal mark here is “.”, and “,” only groups thousands."),
    ]


def test_shopify_export_resaved_by_excel_with_semicolons_decimal_commas_and_bom():
    sheet, source, columns, options, result = run(load("shopify_orders_excel_de.csv"), locale="de_DE")
    assert (sheet.encoding, sheet.delimiter, source) == ("utf-8-sig", ";", "shopify_orders")
    assert options.decimal_mark == ","
    assert result.rows == SHOPIFY_SALES + [
        PurchaseRow(external_id="shopify:5550001010", amount_cents=123456, occurred_at=utc(2026, 5, 19, 8, 0),
                    email="big@example.com", sale_ref="shopify:#1010", line=8)]
    assert result.problems == [(9, "Subtotal “12.50”: the decimal mark here is “,”, and “.” only groups thousands.")]


def test_shopify_chunks_keep_an_orders_line_items_together():
    sheet, source, columns, options, whole = run(load("shopify_orders.csv"))
    first = convert(sheet, source, columns, options, 0, 1)
    assert [row.external_id for row in first.rows] == ["shopify:5550001001"] and first.next_start == 1
    assert convert(sheet, source, columns, options, 1, 1).rows == []  # #1001's second line item: taken already


# --- Plain files --------------------------------------------------------------------------------------------------

def test_plain_file():
    _, source, columns, _, result = run(load("plain.csv"), time_zone="America/New_York")
    assert source == "plain"
    assert columns == {"date": "Date", "time": None, "amount": "Amount", "external_id": "Receipt", "email": "Email",
                       "phone": "Phone", "name": "Customer", "refund_of": "Refund of", "voucher_code": "Voucher code",
                       "location": None, "currency": None}
    assert result.rows == [
        PurchaseRow(external_id="R-1001", amount_cents=2250, occurred_at=utc(2026, 5, 12, 12, 2),
                    email="ada@example.com", name="Ada Lovelace", line=2),
        PurchaseRow(external_id="R-1002", amount_cents=1000, occurred_at=utc(2026, 5, 12, 19, 30),
                    phone="+1 212 555 0100", voucher_code="SAMPLE-ABCD", line=3),
        PurchaseRow(external_id="R-1003", amount_cents=-500, occurred_at=utc(2026, 5, 20, 16, 0), refund_of="R-1001",
                    line=4),
    ]
    assert result.problems == [
        (5, "Amount “-3.00” is negative: a refund names the sale it refunds in Refund of."),
        (6, "Receipt is empty: each sale needs the till's own id."),
        (7, "Amount “€3.00”: “€” is not part of an amount in USD."),
        (8, "Amount “12000000.00”: amounts here are below 10,000,000."),
    ]


def test_plain_european_file_in_windows_1252():
    sheet, source, columns, options, result = run(load("plain_eu.csv"), locale="de_DE", time_zone="Europe/Berlin",
                                                  currency="EUR")
    assert (sheet.encoding, sheet.delimiter, source) == ("windows-1252", ";", "plain")
    assert (columns["date"], columns["time"], columns["amount"], columns["email"], columns["phone"]) == (
        "Datum", "Uhrzeit", "Betrag", "E-Mail", "Telefon")
    assert (options.decimal_mark, options.date_order) == (",", "dmy")
    assert result.rows == [
        PurchaseRow(external_id="B-1", amount_cents=2250, occurred_at=utc(2026, 5, 13, 12, 30),
                    email="zoe@example.com", name="Zoë Müller", line=2),
        PurchaseRow(external_id="B-2", amount_cents=123456, occurred_at=utc(2026, 6, 2, 7, 15),
                    phone="+49 30 1234567", line=3),
    ]
    assert result.problems == [(4, "Uhrzeit “25:00”: it is not a time of day."),
                               (5, "Betrag “5.00”: the decimal mark here is “,”, and “.” only groups thousands.")]


@pytest.mark.parametrize("encoding, bom, expected", [
    ("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("cp1252", b"", "windows-1252"),
    ("utf-16", b"", "utf-16"),
])
def test_the_same_file_reads_the_same_in_every_encoding(encoding, bom, expected):
    text = load("plain_eu.csv").decode("cp1252")
    sheet, _, _, _, result = run(bom + text.encode(encoding), locale="de_DE", time_zone="Europe/Berlin",
                                 currency="EUR")
    assert sheet.encoding == expected
    assert result.rows[0].name == "Zoë Müller" and result.rows[1].amount_cents == 123456
    assert [row.line for row in result.rows] == [2, 3] and [line for line, _ in result.problems] == [4, 5]


def test_tab_separated_file_and_excels_sep_line():
    tabbed = "Id\tDate\tAmount\tEmail\nA1\t2026-05-12 10:00\t12.50\ta@example.com\n".encode()
    sheet, _, _, _, result = run(tabbed)
    assert sheet.delimiter == "\t" and result.rows[0].amount_cents == 1250
    declared = "sep=;\nId;Date;Amount\nA1;2026-05-12;1,5\nA2;2026-05-13;x\n".encode()
    sheet, _, _, options, result = run(declared, locale="fr_FR")
    assert (sheet.delimiter, sheet.headers, list(sheet.lines)) == (";", ["Id", "Date", "Amount"], [3, 4])
    assert result.rows[0].amount_cents == 150
    assert result.problems == [(4, "Amount “x”: “x” is not part of an amount in USD.")]


# --- Refusing what is not CSV -------------------------------------------------------------------------------------

def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize("data, says", [
    (b"", "The file is empty."),
    (b"  \r\n\n", "The file is empty."),
    (_xlsx(), "This is an Excel workbook (.xlsx) or another zip archive, not a CSV file."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "This is an old Excel workbook (.xls), not a CSV file."),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "This is a PDF document, not a CSV file."),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "This is an image, not a CSV file."),
    (bytes(range(256)) * 4, "This is not a text file."),
    (b"hello\nworld\nthis is nonsense\n", "The file has a single column"),
    (b'{"purchases": [{"id": 1, "amount": "2.50"}]}', "This looks like JSON, not a CSV file."),
    (b"<!DOCTYPE html><html><body>Orders</body></html>", "This is a web page or XML, not a CSV file."),
    (b"Date,Amount,Id\n", "The file names its columns but has no rows to import."),
    (b"2026-05-12,22.50,ada@example.com\n2026-05-13,10.00,bob@example.com\n",
     "The first line holds values, not column names"),
    (b"Amount,\n12.50,\n", "The first line names fewer than two columns"),
])
def test_files_that_are_not_csv_are_refused_whole(data, says):
    with pytest.raises(ValidationError) as refused:
        read_sheet(data)
    assert refused.value.details["fields"]["file"].startswith(says)


# --- Choosing columns and options ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, source", [
    ("square_transactions.csv", "square_transactions"), ("square_transactions_2018_excel.csv", "square_transactions"),
    ("square_items.csv", "square_items"), ("square_customers.csv", "square_customers"),
    ("shopify_orders.csv", "shopify_orders"), ("plain.csv", "plain"), ("plain_eu.csv", "plain"),
])
def test_detect_source(name, source):
    assert detect_source(read_sheet(load(name)).headers) == source


def test_every_source_has_fields_and_aliases():
    assert set(FIELDS) == set(SOURCES) == set(ALIASES)
    for source, fields in FIELDS.items():
        assert any(required for _, _, required in fields), source
        assert all(isinstance(name, str) and isinstance(label, str) and isinstance(required, bool)
                   for name, label, required in fields)


def test_suggest_columns_prefers_what_was_remembered():
    headers = ["Receipt no", "When", "Total", "Mail", "Tel", "Amount"]
    assert suggest_columns("plain", headers)["amount"] == "Amount"
    chosen = suggest_columns("plain", headers, {"amount": "total", "date": "When", "email": None, "phone": "Gone"})
    assert (chosen["amount"], chosen["date"]) == ("Total", "When")
    assert chosen["email"] == "Mail"  # left out last time (that file had none): this file has it, so it is offered
    assert chosen["phone"] == "Tel"  # the remembered column is not in this file: guessed again
    assert chosen["external_id"] == "Receipt no"
    with pytest.raises(ValueError):
        suggest_columns("clover", headers)


def test_convert_refuses_a_mapping_without_its_required_columns():
    sheet = read_sheet(load("plain.csv"))
    columns = suggest_columns("plain", sheet.headers) | {"amount": None, "date": "Missing"}
    with pytest.raises(ValidationError) as refused:
        convert(sheet, "plain", columns, Options())
    fields = refused.value.details["fields"]
    assert set(fields) == {"amount", "date"} and fields["date"] == "This file has no column “Missing”."
    with pytest.raises(ValidationError) as refused:
        convert(sheet, "plain", suggest_columns("plain", sheet.headers), Options(time_zone="Mars/Olympus"))
    assert set(refused.value.details["fields"]) == {"time_zone"}


@pytest.mark.parametrize("dates, locale, order", [
    (["13/05/2026", "01/02/2026"], "en_US", "dmy"),     # a first part above 12: day first
    (["05/13/2026", "01/02/2026"], "en_GB", "mdy"),     # a middle part above 12: month first
    (["01/02/2026", "03/04/2026"], "en_US", "mdy"),     # nothing proves it: the locale's order
    (["01/02/2026", "03/04/2026"], "de_DE", "dmy"),
    (["01/02/2026"], "sv_SE", "dmy"),                   # a year-first locale cannot read a year-last date
    (["2026-05-12 12:54:01 -0700"], "en_US", "ymd"),
    (["2026-05-12", "13.05.2026"], "en_US", "dmy"),
])
def test_suggest_options_guesses_the_date_order(dates, locale, order):
    text = "Id,Date,Amount\n" + "".join(f"A{i},{day},1.00\n" for i, day in enumerate(dates))
    sheet = read_sheet(text.encode())
    columns = suggest_columns("plain", sheet.headers)
    assert suggest_options(sheet, "plain", columns, locale=locale, time_zone="UTC", currency="usd").date_order == order


@pytest.mark.parametrize("amounts, locale, mark", [
    (['"22,50"', '"1.234,56"'], "en_US", ","), (['"1,234.56"', "3.00"], "de_DE", "."),
    (['"1,234"', "12"], "de_DE", ","), (['"1,234"', "12"], "en_US", "."),
])
def test_suggest_options_guesses_the_decimal_mark(amounts, locale, mark):
    text = "Id,Date,Amount\n" + "".join(f"A{i},2026-05-12,{amount}\n" for i, amount in enumerate(amounts))
    sheet = read_sheet(text.encode())
    options = suggest_options(sheet, "plain", suggest_columns("plain", sheet.headers), locale=locale,
                              time_zone="Europe/Paris", currency="eur")
    assert (options.decimal_mark, options.time_zone, options.currency) == (mark, "Europe/Paris", "EUR")


def test_check_options():
    assert check_options({"decimal_mark": ",", "date_order": "dmy", "time_zone": "Eastern Time (US & Canada)",
                          "currency": "eur"}) == Options(",", "dmy", "America/New_York", "EUR")
    with pytest.raises(ValidationError) as refused:
        check_options({"decimal_mark": ";", "date_order": "ydm", "time_zone": "Mars", "currency": "EURO"})
    assert set(refused.value.details["fields"]) == {"decimal_mark", "date_order", "time_zone", "currency"}


# --- Money, dates and zones ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, mark, currency, expected", [
    ("$22.50", ".", "USD", 2250), ("-$0.95", ".", "USD", -95), ("($0.95)", ".", "USD", -95),
    ("$-0.95", ".", "USD", -95), ("22,50 €", ",", "EUR", 2250), ("1.234,56", ",", "EUR", 123456),
    ("USD 22.50", ".", "USD", 2250), ("22.50", ".", "USD", 2250), ("$1,149.00 ", ".", "USD", 114900),
    ("1 234,56\u00a0€", ",", "EUR", 123456), ("US$5", ".", "USD", 500), ("$5", ".", "CAD", 500),
    ("kr 12,50", ",", "SEK", 1250), ("¥1200", ".", "JPY", 1200), ("22.50-", ".", "USD", -2250),
    ("1,234", ".", "USD", 123400), ("1.234", ",", "EUR", 123400), ("12,34,567.00", ".", "INR", 123456700),
    ("9999999.99", ".", "USD", 999999999), ("0.125", ".", "BHD", 125),
])
def test_money_as_exports_write_it(text, mark, currency, expected):
    assert cents(text, decimal_mark=mark, currency=currency) == expected


@pytest.mark.parametrize("text, mark, currency, reason", [
    ("€5", ".", "USD", "“€” is not part of an amount in USD"),
    ("GBP 5", ".", "USD", "“GBP” is not part of an amount in USD"),
    ("22,50", ".", "USD", "the decimal mark here is “.”, and “,” only groups thousands"),
    ("22.505", ".", "USD", "USD has at most 2 decimal places"),
    ("12.5", ".", "JPY", "JPY has no decimal places"),
    ("10000000", ".", "USD", "amounts here are below 10,000,000"),
    ("", ".", "USD", "it is empty"), ("$", ".", "USD", "it is not written as a number"),
    # One sign at most: two negations never cancel into a sale ("--5" was read as 5.00).
    ("--5", ".", "USD", "it has more than one sign (+, − or brackets)"),
    ("-(5.00)", ".", "USD", "it has more than one sign (+, − or brackets)"),
    ("+-5", ".", "USD", "it has more than one sign (+, − or brackets)"),
    ("-5.00-", ".", "USD", "it has more than one sign (+, − or brackets)"),
    ("(−5)", ".", "USD", "it has more than one sign (+, − or brackets)"),
])
def test_money_that_is_not_an_amount(text, mark, currency, reason):
    with pytest.raises(MoneyTextError) as refused:
        cents(text, decimal_mark=mark, currency=currency)
    assert str(refused.value) == reason


def test_every_rails_zone_name_is_a_zone():
    assert len(RAILS_ZONES) >= 150
    for name, iana in RAILS_ZONES.items():
        assert zone(name).key == ("UTC" if iana == "Etc/UTC" else iana)  # the name the settings' list shows
    assert zone("eastern time (us & canada)").key == "America/New_York"
    assert zone("(GMT-08:00) Pacific Time (US & Canada)").key == "America/Los_Angeles"
    assert zone("Kyev").utcoffset(datetime(2026, 1, 1)) == timedelta(hours=2)  # Rails' old spelling
    assert zone("UTC-05:30").utcoffset(None) == timedelta(hours=-5, minutes=-30)
    assert zone("EDT").utcoffset(None) == timedelta(hours=-4)
    for unknown in ("Mars Time", "", "UTC+99"):
        with pytest.raises(ZoneError):
            zone(unknown)


def test_square_zone_names_follow_daylight_saving_time():
    text = ("Date,Time,Time Zone,Net Sales,Payment ID\n"
            "01/15/2026,9:00 AM,Eastern Time (US & Canada),$1.00,W1\n"
            "07/15/2026,9:00 PM,Eastern Time (US & Canada),$1.00,S1\n")
    _, source, _, options, result = run(text.encode())
    assert (source, options.date_order) == ("square_transactions", "mdy")
    assert [row.occurred_at for row in result.rows] == [utc(2026, 1, 15, 14, 0), utc(2026, 7, 16, 1, 0)]
    assert all(row.occurred_at.tzinfo is not None for row in result.rows)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_chunk_of_rows_read_at_once_is_the_rows_read_one_by_one(ending):
    lines = ["Date;Amount;Note;ID", "2026-05-12;1,50;plain;a", "", " ; ;  ;",
             "2026-05-13;2;\"two\nlines; quoted\";b", ";;;", "2026-05-14;3;Café „ü“;c", "   ",
             "2026-05-15;-4;\"\"\"quoted\"\" ok\";d", "2026-05-16;5;last;e"]
    for head, tail in (("", ""), ("", ending), ("sep=;\n" if ending != "\r" else "", ending * 3)):
        sheet = read_sheet((head + ending.join(lines) + tail).encode("utf-8"))
        one_by_one = [sheet.rows[i] for i in range(len(sheet.rows))]
        assert [row[3] for row in one_by_one] == ["a", "b", "c", "d", "e"]
        assert one_by_one[1][2] == "two\nlines; quoted"
        for start in range(len(sheet.rows) + 1):
            for stop in range(start, len(sheet.rows) + 2):
                assert sheet.rows[start:stop] == one_by_one[start:stop]
        assert sheet.rows[::2] == one_by_one[::2]
