"""Every table out (issue 32): each table's columns and values, the locale's separators or the machine's, the BOM,
times in the business zone with UTC beside, the formula guard in CSV and XLSX, the audit filters, owner only."""
import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from campaigns.core.errors import ValidationError
from campaigns.reports import table_exports
from campaigns.reports.spreadsheet_cells import header_row
from tests.conftest import log_in
from tests.exports_data import CAMPAIGN, FORMULA, fill


def _read(table: str, machine: bool = False, filters=None) -> list[dict]:
    """A table's CSV through the service, read as a spreadsheet in the same layout would read it."""
    data = b"".join(table_exports.download(table, "csv", machine=machine, filters=filters).chunks)
    assert data.startswith(b"\xef\xbb\xbf") != machine  # a BOM for spreadsheets, none for programs
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="," if machine else ";"))


@pytest.fixture
def shop(ctx, make_user):
    """The German café, filled; the owner who redeemed its voucher."""
    owner = make_user("owner")
    return fill("de_DE", owner.id)


def test_each_table_has_its_columns_and_a_moment_has_its_utc_twin(shop):
    for name, table in table_exports.TABLES.items():
        rows = _read(name)
        assert list(rows[0]) == header_row(table.columns), name
    assert header_row(table_exports.TABLES["customers"].columns) == [
        "id", "email", "phone", "name", "first_seen", "first_seen_utc", "purchases", "total_spent", "vouchers",
        "redemptions", "unsubscribed", "unsubscribed_at", "unsubscribed_at_utc"]


def test_customers_carry_their_contact_totals_and_unsubscription(shop):
    (row,) = _read("customers")
    # A phone in E.164 starts with "+", which a spreadsheet would read as a formula: it is kept as text (OWASP).
    assert (row["email"], row["phone"], row["name"]) == ("juergen@example.com", "'+49301234567", "Jürgen Größe")
    assert (row["purchases"], row["total_spent"], row["vouchers"], row["redemptions"]) == ("1", "1230,00", "1", "1")
    assert (row["unsubscribed"], row["unsubscribed_at"], row["unsubscribed_at_utc"]) == \
        ("yes", "2026-12-04 06:13:44", "2026-12-04T05:13:44Z")


def test_times_are_local_to_the_second_with_utc_beside(shop):
    (row,) = _read("redemptions")
    assert (row["redeemed_at"], row["redeemed_at_utc"]) == ("2026-12-03 06:13:44", "2026-12-03T05:13:44Z")
    assert (row["voucher_code"], row["campaign"], row["customer_email"], row["undone_at"]) == \
        ("-".join(shop.code[i:i + 4] for i in range(0, len(shop.code), 4)), CAMPAIGN, "juergen@example.com", "")


def test_money_is_a_plain_number_in_the_locale_and_with_point_for_machines(shop):
    rows = _read("purchases")
    german = [(row["external_id"], row["amount"]) for row in rows]
    machine = [(row["external_id"], row["amount"]) for row in _read("purchases", machine=True)]
    assert german == [("till-1", "1234,50"), ("till-1-r", "-4,50")] and rows[1]["refund_of_id"] == rows[0]["id"]
    assert machine == [("till-1", "1234.50"), ("till-1-r", "-4.50")]


def test_campaigns_show_costs_and_rates_as_percentages_with_one_decimal(shop):
    latte = {row["name"]: row for row in _read("campaigns")}[CAMPAIGN]
    assert (latte["unit_cost"], latte["fixed_cost"], latte["gross_margin_pct"]) == ("1,25", "1234,50", "62,5")
    assert (latte["vouchers_issued"], latte["redeemed"], latte["redemption_rate_pct"], latte["status"]) == \
        ("3", "1", "33,3", "active")
    other = {row["name"]: row for row in _read("campaigns", machine=True)}["Other"]
    assert (other["redemption_rate_pct"], other["unit_cost"], other["gross_margin_pct"]) == ("", "0.00", "100.0")


def test_vouchers_feedback_and_deliveries_hold_their_rows(shop):
    vouchers = _read("vouchers")
    assert [row["batch"] for row in vouchers] == ["flyer", "flyer", "'" + FORMULA]
    assert vouchers[0]["redeemed_at"] == "2026-12-03 06:13:44" and vouchers[1]["redeemed_at"] == ""
    (answer,) = _read("feedback")
    assert (answer["score"], answer["answer"], answer["answer_2"], answer["campaign"]) == \
        ("9", "Die Größe war gut", "'=1+1", CAMPAIGN)
    assert answer["answered_at"] == "2026-12-03 10:13:44" and answer["question"]
    (mail,) = _read("deliveries")
    assert (mail["recipient"], mail["subject"], mail["status"], mail["sent_at_utc"]) == \
        ("juergen@example.com", "'-2+3 Grüße", "sent", "2026-12-03T05:13:49Z")


def test_machine_readable_writes_comma_and_point_and_an_english_business_gets_them_too(shop):
    data = b"".join(table_exports.download("purchases", "csv", machine=True).chunks).decode()
    assert data.splitlines()[0].startswith("id,external_id,occurred_at,occurred_at_utc,amount,")
    from campaigns.accounts import business
    business.update_settings(business_name="Café", currency="EUR", time_zone="Europe/Berlin",
                             default_gross_margin_bp=6000, default_phone_region="DE", locale="en_US")
    english = b"".join(table_exports.download("purchases", "csv").chunks)
    assert english.startswith(b"\xef\xbb\xbfid,external_id,") and b",1234.50," in english


def test_the_workbook_has_numbers_as_numbers_times_as_times_and_no_formula(shop):
    data = b"".join(table_exports.download("vouchers", "xlsx").chunks)
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert [row[header.index("batch")] for row in rows[1:]] == ["flyer", "flyer", "'" + FORMULA]
    assert rows[1][header.index("redeemed_at")] == datetime(2026, 12, 3, 6, 13, 44)
    assert rows[1][header.index("redeemed_at_utc")] == "2026-12-03T05:13:44Z"
    assert isinstance(rows[1][header.index("id")], int)
    purchases = list(load_workbook(io.BytesIO(b"".join(table_exports.download("purchases", "xlsx").chunks)))
                     .active.iter_rows(values_only=True))
    assert [row[purchases[0].index("amount")] for row in purchases[1:]] == [1234.5, -4.5]
    feedback = list(load_workbook(io.BytesIO(b"".join(table_exports.download("feedback", "xlsx").chunks)))
                    .active.iter_rows(values_only=True))
    assert feedback[1][feedback[0].index("answer_2")] == "'=1+1"


def test_the_audit_log_exports_under_its_filters(shop):
    everything = _read("audit")
    assert {row["action"] for row in everything} >= {"redeem", "purchase_refund", "campaign_mail", "campaign_archive"}
    redeemed = [row for row in everything if row["action"] == "redeem"]
    assert redeemed[0]["campaign"] == CAMPAIGN and redeemed[0]["user_id"] == str(shop.user_id)

    def only(**args) -> list[str]:
        return [row["action"] for row in _read("audit", filters=table_exports.read_audit_filter(args))]

    assert only(action="redeem") == ["redeem"]
    ours, other = set(only(campaign=str(shop.campaign_id))), set(only(campaign=str(shop.other_campaign_id)))
    assert "redeem" in ours and "campaign_archive" not in ours  # its voucher's entries count as the campaign's
    assert "campaign_archive" in other and "redeem" not in other
    assert only(**{"from": "2026-12-01", "to": "2026-12-01"}) == ["campaign_archive"]  # 00:30 local, 23:30 UTC
    assert only(**{"from": "2026-12-02", "to": "2026-12-03"}) == ["redeem", "purchase_refund"]
    assert set(only(user=str(shop.user_id))) >= {"redeem", "purchase_refund", "campaign_archive"}
    assert "campaign_mail" not in only(user=str(shop.user_id))  # the customer unsubscribed, no user
    assert only(user=str(shop.user_id + 1)) == []


@pytest.mark.parametrize("args, field", [({"user": "ana"}, "user"), ({"from": "3.12.2026"}, "from"),
                                         ({"from": "2026-12-03", "to": "2026-12-01"}, "to")])
def test_a_wrong_audit_filter_is_refused_naming_it(args, field):
    with pytest.raises(ValidationError) as refused:
        table_exports.read_audit_filter(args)
    assert field in refused.value.details["fields"]


def test_the_overview_counts_every_table(shop):
    counts = {summary.name: summary.rows for summary in table_exports.overview()}
    assert counts == {"customers": 1, "purchases": 2, "redemptions": 1, "vouchers": 3, "campaigns": 2, "feedback": 1,
                      "deliveries": 1, "audit": counts["audit"]} and counts["audit"] >= 5


@pytest.fixture
def owner_shop(app, make_user):
    owner = make_user("owner")
    with app.app_context():
        fill("de_DE", owner.id)
    return owner


@pytest.mark.parametrize("role", ["staff", "marketer"])
def test_only_the_owner_may_export(client, make_user, role):
    log_in(client, make_user(role))
    for path in ("/exports/", "/exports/customers.csv", "/exports/audit.xlsx"):
        with client.get(path) as response:
            assert response.status_code == 403, path


def test_the_owner_downloads_each_table_from_the_page(client, owner_shop):
    log_in(client, owner_shop)
    with client.get("/exports/") as page:
        text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/exports/vouchers.xlsx" in text and "/exports/audit.csv?machine=1" in text
    assert '<td class="export-rows" data-label="Rows">3</td>' in text and "The audit log" in text
    with client.get("/settings/") as settings:
        assert 'href="/exports/"' in settings.get_data(as_text=True)
    with client.get("/exports/customers.csv") as download:
        assert download.mimetype == "text/csv" and download.is_streamed
        assert parse_options_header(download.headers["Content-Disposition"])[1]["filename"].startswith("customers-")
        assert "Jürgen Größe" in download.get_data().decode("utf-8-sig")
    with client.get("/exports/campaigns.xlsx") as workbook:
        assert load_workbook(io.BytesIO(workbook.get_data())).active["B2"].value == CAMPAIGN
    with client.get("/exports/audit.csv?action=redeem&machine=1") as audit:
        assert [row["action"] for row in csv.DictReader(io.StringIO(audit.get_data(as_text=True)))] == ["redeem"]
    with client.get("/exports/audit.csv?from=yesterday") as refused:
        assert refused.status_code == 422 and "from" in refused.get_data(as_text=True)
    for path in ("/exports/people.csv", "/exports/customers.pdf"):
        with client.get(path) as unknown:
            assert unknown.status_code == 404


def test_money_in_a_currency_without_decimals_has_none():
    from campaigns.reports.spreadsheet_cells import MONEY, Column, csv_cells, layout_for

    layout = layout_for("ja_JP", "Asia/Tokyo", "JPY")
    assert (layout.separator, layout.decimal) == (",", ".")
    assert csv_cells((Column("amount", MONEY),), (1500,), layout) == ["1500"]


def test_a_large_table_comes_a_few_hundred_rows_at_a_time(ctx):
    from campaigns.giving import designs
    from campaigns.giving.vouchers import issue_batch
    from campaigns.reports.spreadsheet_files import ROWS_PER_CHUNK
    from tests.designs import design

    issue_batch(designs.create_campaign(design({"name": "Many", "unit_cost": "1"})), 2 * ROWS_PER_CHUNK + 1)
    chunks = table_exports.download("vouchers", "csv").chunks
    first = next(chunks)
    assert first.startswith("\ufeffid,".encode()) and first.count(b"\r\n") == 1 + ROWS_PER_CHUNK
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == ROWS_PER_CHUNK + 1
