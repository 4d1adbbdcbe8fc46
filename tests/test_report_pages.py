"""The report pages and their CSV downloads (campaigns/web/dashboard.py): who may open them, what the CSV holds
(the same text as the API), how few or no numbers are told, and a bad date range. The figures themselves are
checked by hand in the golden test; here they are read back from campaigns.reports.assemble."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign
from campaigns.reports import assemble as metrics
from campaigns.reports import written
from tests.conftest import log_in

OVERVIEW_COLUMNS = list(written.OVERVIEW_COLUMNS)
TABLES = ["funnel", "conversion_by_day", "profit_by_day", "cohorts", "by_batch", "by_location"]


@pytest.fixture
def signed_in(app, make_user):
    """signed_in(role) returns a test client logged in with a new user of that role."""
    def sign(role: str):
        client = app.test_client()
        log_in(client, make_user(role))
        return client

    return sign


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def text_of(response) -> str:
    """The page's visible words, tags dropped and blanks squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.mark.parametrize("role, status", [("owner", 200), ("marketer", 200), ("staff", 403)])
def test_owners_and_marketers_read_reports_staff_do_not(signed_in, latte, role, status):
    client = signed_in(role)
    paths = ["/dashboard/", "/dashboard/overview.csv", f"/dashboard/campaigns/{latte}",
             f"/dashboard/campaigns/{latte}/report.csv", f"/dashboard/campaigns/{latte}/freebie-only",
             f"/dashboard/campaigns/{latte}/freebie-only.csv"]
    paths += [f"/dashboard/campaigns/{latte}/{table}.csv" for table in TABLES]
    for path in paths:
        assert client.get(path).status_code == status, path


def test_the_navigation_shows_the_dashboard_to_marketers_not_to_staff(signed_in):
    assert 'data-nav="dashboard.index"' in signed_in("marketer").get("/campaigns/").get_data(as_text=True)
    assert 'data-nav="dashboard.index"' not in signed_in("staff").get("/desk/").get_data(as_text=True)


def test_someone_not_logged_in_is_sent_to_log_in(client, make_user, latte):
    make_user("owner")
    response = client.get(f"/dashboard/campaigns/{latte}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_campaign_is_404(signed_in):
    client = signed_in("owner")
    assert client.get("/dashboard/campaigns/999").status_code == 404
    assert client.get("/dashboard/campaigns/999/report.csv").status_code == 404
    assert client.get("/dashboard/campaigns/999/funnel.csv").status_code == 404


def test_the_overview_csv_has_a_row_per_campaign_and_a_total(app, signed_in, latte, make_campaign):
    other = make_campaign(name="=HYPERLINK(\"x\")", status="active", fixed_cost="3.00")
    rows = rows_of(signed_in("marketer").get("/dashboard/overview.csv"))
    assert rows[0] == OVERVIEW_COLUMNS
    by_id = {row[0]: dict(zip(OVERVIEW_COLUMNS, row, strict=True)) for row in rows[1:-1]}
    assert set(by_id) == {str(latte), str(other)}
    ours = by_id[str(latte)]
    # The same figures campaigns.reports.assemble gives, in the API's text: 2 redeemed, 1 of 2 converted,
    # revenue 12.50, 60 % of it is 7.50 gross profit, 5.00 fixed + 2 × 1.00 cost, ROI 0.5 / 7.
    with app.app_context():
        row = next(r for r in metrics.overview()["rows"] if r["campaign"].id == latte)
    assert (ours["redeemed"], ours["converted_customers"], ours["revenue"]) == (str(row["redeemed"]), "1", "12.50")
    assert (ours["gross_profit"], ours["cost"], ours["conversion_rate"]) == ("7.50", "7.00", "0.5")
    assert float(ours["roi"]) == pytest.approx(0.5 / 7)
    assert by_id[str(other)]["campaign"] == "'=HYPERLINK(\"x\")"  # never a formula in a spreadsheet
    assert by_id[str(other)]["roi"] == "-1.0" and by_id[str(other)]["payback_date"] == ""  # empty for null
    total = rows[-1]
    assert total[:3] == ["", "Total", ""]
    assert dict(zip(OVERVIEW_COLUMNS, total, strict=True))["cost"] == "10.00"  # 7.00 + 3.00


def test_the_report_csv_is_the_api_text_figure_by_figure(app, signed_in, make_token, latte):
    rows = rows_of(signed_in("owner").get(f"/dashboard/campaigns/{latte}/report.csv"))
    assert rows[0] == ["figure", "value"]
    values = dict(rows[1:])
    bands = [f"{band}_{key}" for band in ("detractor", "passive", "promoter")
             for key in ("answers", "customers", "converted", "conversion_rate")]
    assert list(values) == list(written.FIGURE_KEYS + written.HOLDOUT_KEYS) + bands
    token = make_token("marketer")
    api = app.test_client().get(f"/api/v1/campaigns/{latte}/report",
                                headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (values["revenue"], values["gross_profit"], values["cost"]) == (api["revenue"], api["gross_profit"],
                                                                          api["cost"]) == ("12.50", "7.50", "7.00")
    assert values["conversion_rate"] == str(api["conversion_rate"]) == "0.5"
    assert values["lift"] == "" and values["payback_date"] == api["payback_date"]
    assert (values["feedback_count"], values["nps"], values["promoter_customers"]) == ("0", "", "0")  # no answers


def test_each_chart_table_downloads_as_csv(signed_in, latte):
    client = signed_in("marketer")
    headers = {table: rows_of(client.get(f"/dashboard/campaigns/{latte}/{table}.csv")) for table in TABLES}
    assert headers["funnel"][0] == ["stage", "count"]
    assert [row[0] for row in headers["funnel"][1:]] == ["issued", "redeemed", "identified", "converted", "repeat"]
    assert [row[1] for row in headers["funnel"][1:]] == ["2", "2", "1", "1", "0"]
    assert headers["by_batch"][0][:2] == ["label", "channel"] and headers["by_batch"][1][0] == "flyer"
    assert headers["by_location"][0][0] == "location"
    assert headers["profit_by_day"][0][0] == "date" and headers["cohorts"][0][:2] == ["week", "customers"]
    assert headers["conversion_by_day"][0][0] == "days_since_redemption"


def test_the_overview_shows_every_campaign_with_its_counts_beside_each_share(signed_in, latte):
    html = signed_in("owner").get("/dashboard/").get_data(as_text=True)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "50% (1 of 2)" in page  # converted, never a percentage without its count
    assert "USD 12.50" in page and "USD 7.00" in page and "All campaigns" in page
    assert f'href="/dashboard/campaigns/{latte}"' in html and 'href="/dashboard/overview.csv"' in html


def test_a_campaign_is_called_losing_money_only_once_its_verdict_is_in(app, signed_in, make_campaign):
    """A scone campaign (window 7 days, fixed 40.00) whose one redemption is 10 days old and brought nothing has
    matured: its verdict is loses_money. A muffin campaign at −100% whose one redemption is two hours old is too
    early to tell, with 7 days of window left (6 days 22 hours, counted up), and is never called losing money."""
    scone = make_campaign(name="Free scone", status="active", fixed_cost="40.00", attribution_window_days=7)
    muffin = make_campaign(name="Free muffin", status="active", fixed_cost="40.00", attribution_window_days=7)
    with app.app_context():
        for campaign_id, age in ((scone, timedelta(days=10)), (muffin, timedelta(hours=2))):
            code, = issue_batch(db.session.get(Campaign, campaign_id), 1, "counter")
            redemption.redeem(code, redemption.Attempt(), now=datetime.now(UTC) - age)
        db.session.commit()
    client = signed_in("owner")
    page = text_of(client.get("/dashboard/"))
    assert "Loses money" in page and "Too early 7 days left" in page  # the muffin's row
    assert page.count("Loses money") == 3  # the scone's row, the totals' row and tile (80.85 spent, nothing back)
    young = text_of(client.get(f"/dashboard/campaigns/{muffin}"))
    assert "Too early to tell 7 days of window left" in young and "Loses money" not in young
    assert "−100%" in young  # the attributed ROI is shown, not judged
    assert "Loses money" in text_of(client.get(f"/dashboard/campaigns/{scone}"))


def test_the_overview_sorts_without_a_script(signed_in, make_campaign):
    for name, fixed in (("Bravo", "1.00"), ("Alpha", "3.00"), ("Charlie", "2.00")):
        make_campaign(name=name, status="active", fixed_cost=fixed)
    client = signed_in("owner")

    def order(query: str) -> list[str]:
        return re.findall(r">(Alpha|Bravo|Charlie)</a>", client.get(f"/dashboard/?{query}").get_data(as_text=True))

    assert order("sort=campaign&dir=asc") == ["Alpha", "Bravo", "Charlie"]
    assert order("sort=cost&dir=desc") == ["Alpha", "Charlie", "Bravo"]
    assert order("sort=nonsense") == ["Charlie", "Alpha", "Bravo"]  # newest first


def test_no_campaigns_says_what_to_do_next(signed_in):
    page = text_of(signed_in("marketer").get("/dashboard/"))
    assert "No campaigns yet" in page and "Campaigns" in page and "<canvas" not in page


def test_an_empty_campaign_says_what_it_needs(app, signed_in, make_campaign):
    empty = make_campaign(status="active")
    client = signed_in("owner")
    assert "No vouchers yet" in text_of(client.get(f"/dashboard/campaigns/{empty}"))
    with app.app_context():
        code, = issue_batch(db.session.get(Campaign, empty), 1)
        redemption.redeem(code, redemption.Attempt())
        db.session.commit()
    page = text_of(client.get(f"/dashboard/campaigns/{empty}"))
    assert "No identified redemptions yet: attach customers at the desk so purchases can count." in page


def test_a_few_customers_get_tables_not_charts(signed_in, latte):
    response = signed_in("owner").get(f"/dashboard/campaigns/{latte}")
    page = text_of(response)
    assert "Too few customers for a chart yet: 2 redeeming customers." in page
    assert "<canvas" not in response.get_data(as_text=True)
    assert "Vouchers issued" in page and "50% (1 of 2)" in page  # the numbers, as a table


def test_enough_customers_get_charts_with_their_data_as_json(app, signed_in, make_campaign):
    campaign_id = make_campaign(status="active", unit_cost="1.00")
    when = datetime.now(UTC) - timedelta(days=5)
    with app.app_context():
        codes = issue_batch(db.session.get(Campaign, campaign_id), metrics.MIN_FOR_CHART)
        for number, code in enumerate(codes):
            redemption.redeem(code, redemption.Attempt(customer=make_contact(f"guest{number}@example.com")), now=when)
        db.session.commit()
    html = signed_in("owner").get(f"/dashboard/campaigns/{campaign_id}").get_data(as_text=True)
    for chart in ("funnel", "conversion", "profit"):
        assert f'data-chart="chart-{chart}-data"' in html
        assert f'<script type="application/json" id="chart-{chart}-data">' in html
    assert "<script>" not in html  # the CSP runs no inline script: data only, drawn by static/js/report.js


@pytest.mark.parametrize("query, message", [("from=2026-13-01", "From: A date like 2026-12-31."),
                                            ("to=yesterday", "To: A date like 2026-12-31."),
                                            ("from=2026-05-02&to=2026-05-01", "The end date comes before the start")])
def test_a_bad_date_range_gets_a_clear_message(signed_in, latte, query, message):
    client = signed_in("owner")
    for path in ("/dashboard/", f"/dashboard/campaigns/{latte}"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422
        assert message in text_of(response)
    csv_response = client.get(f"/dashboard/overview.csv?{query}")
    assert csv_response.status_code == 422 and message in csv_response.get_data(as_text=True)


def test_a_date_range_selects_redemptions_and_says_so(signed_in, latte):
    client = signed_in("owner")
    page = text_of(client.get("/dashboard/?from=2020-01-01&to=2020-12-31"))
    assert "Showing the redemptions made from Jan 1, 2020 to Dec 31, 2020 and what they brought" in page
    assert "Nothing happened in these dates" in page  # no campaign redeemed, issued or went live in 2020
    rows = rows_of(client.get(f"/dashboard/campaigns/{latte}/report.csv?from=2020-01-01&to=2020-12-31"))
    assert dict(rows[1:])["redeemed"] == "0"


def test_each_campaign_links_to_its_report(signed_in, latte):
    client = signed_in("marketer")
    report = f"/dashboard/campaigns/{latte}"
    assert f'href="{report}"' in client.get(f"/campaigns/{latte}").get_data(as_text=True)
    assert f'href="{report}"' in client.get("/campaigns/").get_data(as_text=True)
    assert f'href="{report}' in client.get("/dashboard/").get_data(as_text=True)
    assert client.get(report).status_code == 200
