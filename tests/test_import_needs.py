"""The import's mapping page marks each column it still needs at its select, in plain words, and says beside Import
what is missing; without script, pressing Import is refused with the same words and the focus on the first."""
import html
import io
import re

import pytest

from campaigns.core.errors import ValidationError
from campaigns.sales import pos
from tests.conftest import csrf_from, log_in

NEEDS_ID = "Choose the column with the sale's id (the till's receipt number)."
FILE = b"Date,Amount,Email,Note\n2026-03-01 10:00,4.50,ana@example.com,first\n"


def _field(page: str, name: str) -> str:
    """The rendered field (label, select, what is said under it) of a column select."""
    found = re.search(rf'<div class="field[^"]*">\s*<label for="{name}">.*?</div>', page, re.S)
    assert found, f"no field {name} on the page"
    return found.group()


def test_a_missing_column_is_marked_at_its_select_and_import_refused_with_the_same_words(app, client, make_user):
    log_in(client, make_user("marketer"))
    with client.get("/purchases/imports/") as upload_page:
        token = csrf_from(upload_page.get_data(as_text=True))
    with client.post("/purchases/imports/", data={"csrf_token": token, "file": (io.BytesIO(FILE), "sales.csv")},
                     content_type="multipart/form-data") as uploaded:
        url = uploaded.headers["Location"]
    with client.get(url) as shown:
        page = html.unescape(shown.get_data(as_text=True))
    marked = _field(page, "column_external_id")
    assert 'class="field has-error"' in marked and NEEDS_ID in marked and 'aria-invalid="true"' in marked
    assert "Still to choose before importing: the sale's id." in page
    assert "external_id." not in page and NEEDS_ID not in _field(page, "column_amount")

    form = {"csrf_token": csrf_from(page), "source": "plain", "decimal_mark": ".", "date_order": "ymd",
            "time_zone": "UTC", "column_date": "Date", "column_amount": "Amount", "column_email": "Email",
            "column_external_id": "", "start": "y"}
    with client.post(url + "/mapping", data=form) as refused:
        assert refused.status_code == 422
        page = html.unescape(refused.get_data(as_text=True))
    assert "Nothing was imported: choose the columns marked below first." in page and "Please check" not in page
    marked = _field(page, "column_external_id")
    assert NEEDS_ID in marked and "autofocus" in marked and page.count("autofocus") == 1


@pytest.mark.parametrize("source, headers, field, words", [
    ("square_transactions", ["Date", "Time", "Net Sales"], "payment_id", "Payment ID, or else Transaction ID"),
    ("shopify_orders", ["Created at", "Subtotal"], "order", "the order's name, such as #1001"),
    ("square_customers", ["First Name", "Email Address"], "customer_id", "Square's id for each customer"),
])
def test_each_kind_of_file_says_in_plain_words_which_column_it_needs(source, headers, field, words):
    sheet = pos.read_sheet((",".join(headers) + "\n" + ",".join("1" for _ in headers) + "\n").encode())
    columns = pos.suggest_columns(source, sheet.headers)
    with pytest.raises(ValidationError) as refused:
        pos.convert(sheet, source, columns, pos.Options(), 0, 1)
    assert words in refused.value.details["fields"][field] and refused.value.message.startswith("Still to choose: ")
