"""Exports: CSV cells no spreadsheet runs as formulas, and downloads that any batch label can name."""
import csv
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update
from werkzeug.http import parse_options_header

from campaigns.core.exports import attachment, csv_text, safe_cell
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Voucher
from tests.conftest import log_in

FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1:A9)", "\tx", "\rx", '=HYPERLINK("http://evil.example","click")']
ORDINARY = ["ana", "latte = good", "K7QM-3XTD-9PRA-W", "http://testserver/v/K7QM", "", "café ☕", "x-1", " =1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_would_start_a_formula_gets_a_quote_first(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_untouched(text):
    assert safe_cell(text) == text


def test_numbers_stay_numbers_and_nothing_is_an_empty_cell():
    assert [safe_cell(v) for v in (-5, Decimal("-1.50"), 0, None)] == ["-5", "-1.50", "0", ""]


def test_a_csv_document_neutralises_every_cell_header_included():
    rows = list(csv.reader(io.StringIO(csv_text(["=code", "url"], [FORMULAS, ORDINARY]))))
    assert rows == [["'=code", "url"], ["'" + text for text in FORMULAS], ORDINARY]


def _batches(app, campaign_id: int, labels: list[str]) -> None:
    """Make two vouchers per label; labels the service would refuse or strip are written as stored data."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        for i, label in enumerate(labels):
            made = issue_batch(campaign, 2, f"batch {i}")
            db.session.execute(update(Voucher).where(Voucher.code.in_(made)).values(batch_label=label))
        db.session.commit()


def test_the_voucher_csv_neutralises_formula_labels(client, app, make_user, make_campaign):
    campaign_id = make_campaign()
    _batches(app, campaign_id, FORMULAS)
    log_in(client, make_user("marketer"))
    exported = client.get(f"/campaigns/{campaign_id}/vouchers.csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True), newline="")))
    assert len(rows) == 2 * len(FORMULAS)
    assert [row["batch"] for row in rows[::2]] == ["'" + label for label in FORMULAS]
    assert all(row["url"].startswith("http://testserver/v/") for row in rows)


LABELS = {
    "café ☕": "café-☕",
    "Łódź": "Łódź",
    'a "quoted" label': "a-quoted-label",
    "line one\r\nline two": "line-one-line-two",
    "back\\slash; name=x.exe": "back-slash;-name=x.exe",
}


def _links(page: str, campaign_id: int, kind: str) -> dict[str, str]:
    """The page's first download link of one kind for each batch, by the label it reads back as."""
    links = {}
    for href in re.findall(r'href="([^"]*)"', page):
        href = html.unescape(href)
        split = urlsplit(href)
        if split.path == f"/campaigns/{campaign_id}/vouchers.{kind}":
            links.setdefault(parse_qs(split.query, keep_blank_values=True).get("batch", [None])[0], href)
    return links


def test_every_label_downloads_from_the_links_on_the_campaign_page(client, app, make_user, make_campaign):
    campaign_id = make_campaign()
    _batches(app, campaign_id, list(LABELS))
    log_in(client, make_user("marketer"))
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    csv_links, pdf_links = _links(page, campaign_id, "csv"), _links(page, campaign_id, "pdf")
    for label, name in LABELS.items():
        download = client.get(csv_links[label])
        disposition, options = parse_options_header(download.headers["Content-Disposition"])
        assert download.status_code == 200 and disposition == "attachment"
        assert options["filename"] == f"vouchers-{campaign_id}-{name}.csv", label
        rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True), newline="")))
        assert [row["batch"] for row in rows] == [label, label]
        sheet = client.get(pdf_links[label])
        assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")
        assert parse_options_header(sheet.headers["Content-Disposition"])[1]["filename"].endswith(f"-{name}-1-a4.pdf")
    everything = client.get(_links(page, campaign_id, "csv")[None])
    assert parse_options_header(everything.headers["Content-Disposition"])[1]["filename"] == \
        f"vouchers-{campaign_id}-all.csv"


@pytest.mark.parametrize("filename,fallback", [
    ("vouchers-1-café-☕.csv", "vouchers-1-cafe.csv"),
    ("vouchers-1-Łódź.csv", "vouchers-1-Lodz.csv"),
    ("vouchers-1-☕.pdf", "vouchers-1.pdf"),
])
def test_the_header_has_an_ascii_fallback_and_the_exact_name_in_utf8(filename, fallback):
    header = attachment(filename)
    assert header.isascii() and f'filename="{fallback}"' in header
    assert parse_options_header(header) == ("attachment", {"filename": filename})
