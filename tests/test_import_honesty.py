"""Honest imports (issue 28): what an import's sales can count towards (linked to no customer, and what would link
them; before every redemption), said on the result page and by the command, and a sale found by its till's ids."""
import html
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from campaigns.accounts import business
from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption
from campaigns.desk.undo import undo
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign, Purchase, PurchaseImport, User
from campaigns.sales import corrections, import_files, import_mapping, import_runs, import_warnings, listing
from tests.conftest import csrf_from, log_in

FILES = Path(__file__).parent / "pos_files"
SQUARE_TRANSACTIONS = (FILES / "square_transactions.csv").read_bytes()
SQUARE_DIRECTORY = (FILES / "square_customers.csv").read_bytes()
SHOPIFY_ORDERS = (FILES / "shopify_orders.csv").read_bytes()
# square_transactions.csv stores three sales and a refund: Ada's (a Square customer the directory knows), one rung up
# without a customer, and one of a Square customer the directory lacks.
ADA_SALE, ADA_TRANSACTION = "square:P1aaaRb9PbKi7Y8KdrYsyqgltmVQZY", "T1aaaKeEp5yWWst4wAvuQJ3qn6PZY"
SQUARE_UNLINKED = ("None of these 3 sales is linked to a customer. 2 of them name a customer only by Square's own "
                   "customer ID: import Square's customer directory (in Square: Customers › Export customers) to link "
                   "them. The other one was recorded without a customer, so nothing can link it.")
NO_REDEMPTION = ("No voucher has been redeemed yet, so none of these 3 sales can count towards a campaign: a sale "
                 "counts only when its customer redeemed a voucher before it.")


def imported(data: bytes, name: str = "sales.csv") -> PurchaseImport:
    """Upload a file, confirm what is proposed for it and run it to its end."""
    record = import_mapping.confirm_proposed(import_files.upload(name, data, None))
    list(import_runs.run_all(record))
    return record


def plain(rows: list[tuple[datetime, str]], header: str = "Date,Amount,Email,ID") -> bytes:
    """A plain file of sales (when, e-mail), each of 10.00 with the id sale-n."""
    lines = [header] + [f"{when.isoformat()},10.00,{email},sale-{n}" if "Email" in header
                        else f"{when.isoformat()},10.00,sale-{n}" for n, (when, email) in enumerate(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def redeemed(app, make_campaign):
    """Redeem a voucher of a live campaign at a given moment for a customer; return the redemption's id."""
    campaign_id = make_campaign(status="active")

    def redeem(moment: datetime, email: str = "ana@example.com") -> int:
        code = issue_batch(db.session.get(Campaign, campaign_id), 1, "flyer")[0]
        made = redemption.redeem(code, redemption.Attempt(customer=make_contact(email)), now=moment)
        db.session.flush()
        return made.id

    return redeem


# ---- Sales linked to no customer, and what would link them ----

def test_square_sales_without_their_directory_are_counted_as_unlinked_and_the_directory_is_offered(ctx):
    record = imported(SQUARE_TRANSACTIONS)
    reach = import_warnings.sales_reach(record.id)
    assert (reach.sales, reach.unlinked, reach.awaiting_directory) == (3, 3, 2)  # the refund is no sale of its own
    found = import_warnings.findings(record)
    assert found.warnings == [NO_REDEMPTION, SQUARE_UNLINKED]
    assert found.offer_directory


def test_the_directory_links_what_it_knows_and_the_warning_says_what_is_left(ctx):
    record = imported(SQUARE_TRANSACTIONS)
    imported(SQUARE_DIRECTORY, "customers.csv")
    reach = import_warnings.sales_reach(record.id)
    assert (reach.sales, reach.unlinked, reach.awaiting_directory) == (3, 2, 1)  # Ada's sale found her
    found = import_warnings.findings(record)
    assert found.warnings[1] == (
        "2 of these 3 sales are linked to no customer. 1 of them names a customer only by Square's own customer ID: "
        "the customer directory imported before does not link it (a customer without e-mail or phone there cannot "
        "be matched, and a newer customer is not in it). Import a fresh one (in Square: Customers › Export "
        "customers) to link it. The other one was recorded without a customer, so nothing can link it.")
    assert found.offer_directory


def square(customers: list[str]) -> bytes:
    """A Square transactions export of one sale a day in March 2026, each of the given Square customer (or none)."""
    lines = ["Date,Time,Time Zone,Net Sales,Transaction ID,Payment ID,Event Type,Customer ID"]
    lines += [f"2026-03-{n + 1:02d},10:00:00,UTC,$10.00,T{n},P{n},Payment,{customer}"
              for n, customer in enumerate(customers)]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("customers, advice, offer", [
    (["CUST1", "CUST2"], ("Square names their customers only by its own customer ID: import Square's customer "
                          "directory (in Square: Customers › Export customers) to link them."), True),
    (["", ""], "Square recorded them without a customer, so nothing can link them.", False),
    (["CUST1", "", "", ""], ("1 of them names a customer only by Square's own customer ID: import Square's customer "
                             "directory (in Square: Customers › Export customers) to link it. The other 3 were "
                             "recorded without a customer, so nothing can link them."), True),
])
def test_what_would_link_a_square_files_sales(ctx, customers, advice, offer):
    found = import_warnings.findings(imported(square(customers)))
    assert found.warnings[-1] == f"None of these {len(customers)} sales is linked to a customer. {advice}"
    assert found.offer_directory is offer


def test_a_square_file_without_a_customer_column_says_nothing_in_it_names_a_customer(ctx):
    record = imported((FILES / "square_transactions_2018_excel.csv").read_bytes())
    found = import_warnings.findings(record)
    assert found.warnings[-1].endswith("No Customer ID column was mapped for this file (Square's older exports have "
                                       "none), so nothing in it names a customer.")
    assert not found.offer_directory


def test_a_plain_file_without_contact_columns_says_which_columns_would_link_its_sales(ctx):
    when = datetime(2026, 3, 2, 10, tzinfo=UTC)
    record = imported(plain([(when, ""), (when, "")], header="Date,Amount,ID"))
    assert import_warnings.findings(record).warnings[-1] == (
        "None of these 2 sales is linked to a customer. No e-mail, phone or voucher code column was mapped for this "
        "file, so nothing in it names a customer. Map the customer's e-mail or phone column, or a voucher code "
        "column, when you import your next file, and its sales find their customers.")


def test_rows_without_contact_in_a_mapped_column_are_named_and_linked_ones_are_not(ctx, redeemed):
    redeemed(datetime(2026, 3, 1, tzinfo=UTC))
    when = datetime(2026, 3, 2, 10, tzinfo=UTC)
    record = imported(plain([(when, "ana@example.com"), (when, ""), (when, "ben@example.com")]))
    reach = import_warnings.sales_reach(record.id)
    assert (reach.sales, reach.unlinked, reach.awaiting_directory) == (3, 1, 0)
    assert import_warnings.findings(record).warnings[-1] == (
        "1 of these 3 sales is linked to no customer, so it cannot count towards a campaign. Nothing in its row "
        "names a customer: a sale finds its customer by an e-mail or phone, or by the code of a voucher the customer "
        "redeemed.")


def test_a_file_whose_sales_all_find_customers_after_a_redemption_has_nothing_to_warn_about(ctx, redeemed):
    redeemed(datetime(2026, 5, 1, tzinfo=UTC))
    record = imported(SHOPIFY_ORDERS)
    assert import_warnings.sales_reach(record.id).unlinked == 0
    assert import_warnings.findings(record).warnings == []


def test_voided_sales_and_refunds_are_not_counted(ctx, make_user):
    owner = db.session.get(User, make_user("owner").id)
    record = imported(SQUARE_TRANSACTIONS)
    corrections.void_purchase(db.session.scalar(select(Purchase).where(Purchase.external_id == ADA_SALE)),
                              "typed twice", owner.id)
    reach = import_warnings.sales_reach(record.id)
    assert (reach.sales, reach.unlinked, reach.awaiting_directory) == (2, 2, 1)


def test_an_import_still_running_or_storing_no_sale_says_nothing(ctx):
    running = import_mapping.confirm_proposed(import_files.upload("sales.csv", SQUARE_TRANSACTIONS, None))
    assert import_warnings.findings(running) == import_warnings.Findings()
    directory = imported(SQUARE_DIRECTORY, "customers.csv")
    assert import_warnings.findings(directory).warnings == []


# ---- Sales before every redemption ----

def test_a_file_whose_sales_all_come_before_the_first_redemption_says_none_can_count(ctx, redeemed):
    redeemed(datetime(2026, 3, 15, 9, tzinfo=UTC))
    rows = [(datetime(2026, 3, day, 10, tzinfo=UTC), f"c{day}@example.com") for day in (1, 2, 3, 4)]
    rows.append((datetime(2026, 3, 15, 9, tzinfo=UTC), "c5@example.com"))  # at the very moment: not after it
    record = imported(plain(rows))
    reach = import_warnings.sales_reach(record.id)
    assert (reach.sales, reach.before_redemptions, reach.unlinked) == (5, 5, 0)
    assert import_warnings.findings(record).warnings == [
        ("None of these 5 sales comes after a voucher was redeemed (the first was on 2026-03-15), so none can count "
         "towards a campaign.")]


def test_sales_before_the_first_redemption_are_counted_and_the_others_left_alone(ctx, redeemed):
    redeemed(datetime(2026, 3, 20, tzinfo=UTC))
    redeemed(datetime(2026, 3, 15, tzinfo=UTC), "ben@example.com")  # the earliest, whoever redeemed it
    rows = [(datetime(2026, 3, day, 10, tzinfo=UTC), "c@example.com") for day in (1, 14, 16, 25)]
    record = imported(plain(rows))
    assert import_warnings.sales_reach(record.id).before_redemptions == 2
    assert import_warnings.findings(record).warnings == [
        ("2 of these 4 sales come before the first voucher was redeemed (2026-03-15), so they can never count "
         "towards a campaign.")]


def test_an_undone_redemption_is_no_redemption(ctx, redeemed, make_user):
    owner = db.session.get(User, make_user("owner").id)
    undone = redeemed(datetime(2026, 3, 1, tzinfo=UTC))
    redeemed(datetime(2026, 3, 20, tzinfo=UTC), "ben@example.com")
    undo(undone, owner, "scanned the wrong card")
    record = imported(plain([(datetime(2026, 3, 10, tzinfo=UTC), "c@example.com")]))
    assert import_warnings.sales_reach(record.id).first_redemption == datetime(2026, 3, 20, tzinfo=UTC)
    assert import_warnings.findings(record).warnings == [
        ("This sale comes before any voucher was redeemed (the first was on 2026-03-20), so it cannot count towards "
         "a campaign.")]


def test_the_first_redemptions_day_is_the_business_day(ctx, redeemed):
    settings = business.get_settings()
    business.update_settings(business_name=settings.business_name, currency=settings.currency,
                             time_zone="America/New_York", default_gross_margin_bp=settings.default_gross_margin_bp,
                             default_phone_region=settings.default_phone_region)
    redeemed(datetime(2026, 3, 15, 2, tzinfo=UTC))  # the evening of the 14th in New York
    record = imported(plain([(datetime(2026, 3, 1, tzinfo=UTC), "c@example.com")]))
    assert "(the first was on 2026-03-14)" in import_warnings.findings(record).warnings[0]


# ---- Finding a sale by its till's ids ----

def _found(search: str) -> list[str]:
    rows, total, _ = listing.recent_purchases(search)
    assert total == len(rows)
    return [row["purchase"].external_id for row in rows]


@pytest.mark.parametrize("search, external_id", [
    ("P1aaaRb9PbKi7Y8KdrYsyqgltmVQZY", ADA_SALE),  # Square's Payment ID
    (ADA_TRANSACTION, ADA_SALE),  # its Transaction ID
    ("  T1aaaKeEp5yWWst4wAvuQJ3qn6PZY ", ADA_SALE),
    ("R1cccRNfDLBO7hxgd7iDioqmDzJZY", ADA_SALE),  # the Transaction ID of its refund: the refunded sale
    (ADA_SALE, ADA_SALE),  # the stored form
    ("#1002", "shopify:5550001002"),  # Shopify's order name
    ("1002", "shopify:5550001002"),
    ("5550001002", "shopify:5550001002"),  # its Id
    ("shopify:5550001002", "shopify:5550001002"),
    ("#1009", "shopify:#1009"),  # an order known by its name only
    ("1009", "shopify:#1009"),
])
def test_the_search_finds_a_sale_by_the_ids_its_till_shows(ctx, search, external_id):
    imported(SQUARE_TRANSACTIONS)
    imported(SHOPIFY_ORDERS, "orders.csv")
    assert _found(search) == [external_id]


def test_the_search_matches_whole_ids_only_and_still_finds_plain_ids_and_people(ctx):
    imported(SQUARE_TRANSACTIONS)
    imported(plain([(datetime(2026, 3, 2, tzinfo=UTC), "noor@example.com")]))
    assert _found("T1aaaKeEp5yWWst4wAvuQJ3qn6PZ") == []  # a part of an id is no id
    assert _found("square:T1aaaKeEp5yWWst4wAvuQJ3qn6PZY") == [ADA_SALE]
    assert _found("sale-0") == ["sale-0"] and _found("noor") == ["sale-0"]


def test_importing_a_file_again_gives_sales_stored_before_their_other_id_and_never_changes_one(ctx):
    imported(SQUARE_TRANSACTIONS)
    db.session.execute(update(Purchase).values(sale_ref=None))
    db.session.execute(update(Purchase).where(Purchase.external_id == "square:P8hhh").values(sale_ref="square:kept"))
    assert _found(ADA_TRANSACTION) == []  # as for a sale imported before the till's other id was kept
    again = imported(SQUARE_TRANSACTIONS, "again.csv")
    assert (again.created, again.duplicates) == (0, 4)  # three sales and a refund (its four broken rows refused)
    assert _found(ADA_TRANSACTION) == [ADA_SALE]
    refs = dict(db.session.execute(select(Purchase.external_id, Purchase.sale_ref)).all())
    assert refs["square:P8hhh"] == "square:kept"
    assert refs["square-refund:P1aaaRb9PbKi7Y8KdrYsyqgltmVQZY:2026-05-20T09:15:00"] == "square:R1cccRNfDLBO7hxgd7iDioqmDzJZY"


# ---- The pages and the command ----

def _run_through_pages(app, client, data: bytes, name: str) -> str:
    """Upload a file on the import page, confirm its proposed mapping, run it; return its page's address."""
    page = client.get("/purchases/imports/")
    uploaded = client.post("/purchases/imports/", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                        "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    url = uploaded.headers["Location"]
    with app.app_context():
        import_mapping.confirm_proposed(db.session.get(PurchaseImport, int(url.rstrip("/").rsplit("/", 1)[1])))
        db.session.commit()
    token = csrf_from(client.get(url).get_data(as_text=True))
    assert client.post(url + "/chunk", data={"csrf_token": token}).status_code == 302
    return url


def test_the_result_page_warns_and_offers_the_directory_upload_that_links_the_sales(app, client, make_user):
    log_in(client, make_user("marketer"))
    url = _run_through_pages(app, client, SQUARE_TRANSACTIONS, "transactions.csv")
    page = client.get(url).get_data(as_text=True)
    assert 'id="import-warnings"' in page
    assert NO_REDEMPTION in html.unescape(page) and SQUARE_UNLINKED in html.unescape(page)
    assert '<form method="post" action="/purchases/imports/" enctype="multipart/form-data"' in page
    assert "Square&#39;s customer directory (CSV)" in page and 'type="file"' in page
    with app.app_context():
        imports_before = db.session.scalar(select(func.count()).select_from(PurchaseImport))
    nothing = client.post("/purchases/imports/", data={"csrf_token": csrf_from(page)},
                          content_type="multipart/form-data")
    assert nothing.status_code == 200 and "Choose a CSV file." in nothing.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PurchaseImport)) == imports_before
    directory = client.post("/purchases/imports/", data={"csrf_token": csrf_from(page),
                                                         "file": (io.BytesIO(SQUARE_DIRECTORY), "customers.csv")},
                            content_type="multipart/form-data")
    assert directory.status_code == 302
    assert "Square: customer directory export" in client.get(directory.headers["Location"]).get_data(as_text=True)


def test_a_plain_files_result_page_warns_without_offering_squares_directory(app, client, make_user):
    log_in(client, make_user("owner"))
    url = _run_through_pages(app, client, plain([(datetime.now(UTC), "")], header="Date,Amount,ID"), "sales.csv")
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "No voucher has been redeemed yet, so this sale cannot count towards a campaign" in page
    assert "This sale is linked to no customer. No e-mail, phone or voucher code column was mapped" in page
    assert "Square's customer directory (CSV)" not in page and 'type="file"' not in page


def test_the_result_page_of_sales_that_can_count_has_no_warning(app, client, make_user, redeemed):
    with app.app_context():
        redeemed(datetime.now(UTC) - timedelta(days=3))
        db.session.commit()
    log_in(client, make_user("owner"))
    url = _run_through_pages(app, client, plain([(datetime.now(UTC) - timedelta(days=1), "ana@example.com")]),
                             "sales.csv")
    page = client.get(url).get_data(as_text=True)
    assert "Refused rows" in page and 'id="import-warnings"' not in page


def test_the_purchases_page_finds_a_shopify_order_by_its_name(app, client, make_user):
    with app.app_context():
        imported(SHOPIFY_ORDERS, "orders.csv")
        db.session.commit()
    log_in(client, make_user("marketer"))
    page = client.get("/purchases/", query_string={"q": "#1003"}).get_data(as_text=True)
    assert "shopify:5550001003" in page and "shopify:5550001001" not in page


def test_the_command_says_what_the_sales_can_count_towards(app, runner, tmp_path):
    path = tmp_path / "transactions.csv"
    path.write_bytes(SQUARE_TRANSACTIONS)
    result = runner.invoke(args=["import-purchases", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Note: {NO_REDEMPTION}" in result.output and f"Note: {SQUARE_UNLINKED}" in result.output
