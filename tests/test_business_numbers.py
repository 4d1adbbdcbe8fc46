"""Every number the business's way, from its one locale setting: counts, percentages, days (and money, core.money's)
on the server with Babel; the same locale goes to the charts, which write theirs with Intl."""
from datetime import date
from fractions import Fraction

import pytest

from campaigns.accounts.business import get_settings
from campaigns.core import numbers
from campaigns.extensions import db
from campaigns.web import report_text
from tests.conftest import log_in


@pytest.mark.parametrize(("locale", "count", "rate", "small", "day"), [
    ("en_US", "1,134", "25%", "2.5%", "Dec 31, 2026"),
    ("en_GB", "1,134", "25%", "2.5%", "31 Dec 2026"),
    ("de_DE", "1.134", "25\u00a0%", "2,5\u00a0%", "31. Dez. 2026"),
    ("fr_FR", "1\u202f134", "25\u00a0%", "2,5\u00a0%", "31 déc. 2026"),
])
def test_counts_percentages_and_days_follow_the_locale(locale, count, rate, small, day):
    assert numbers.count_text(1134, locale) == count
    assert numbers.percent_text(25, 0, locale) == rate and numbers.percent_text(2.5, 1, locale) == small
    assert numbers.day_text(date(2026, 12, 31), locale) == day


def test_the_report_writes_shares_and_days_the_business_way(ctx):
    get_settings().locale = "de_DE"
    assert report_text.share(1134, 4536) == "25\u00a0% (1.134 of 4.536)"
    assert report_text.percent(Fraction(1, 40)) == "2,5\u00a0%" and report_text.percent(Fraction(-1, 4)) == "\u221225\u00a0%"
    assert report_text.payback_text(date(2026, 3, 4), 12) == "day 12 (4. März 2026)"
    assert report_text.chart_base()["locale"] == "de-DE"  # what the charts' Intl formats with


def test_a_german_business_reads_its_counts_with_german_grouping(app, client, make_user, make_campaign):
    campaign_id = make_campaign(status="active", voucher_limit=12345)
    with app.app_context():
        get_settings().locale = "de_DE"
        db.session.commit()
    log_in(client, make_user("owner"))
    with client.get(f"/campaigns/{campaign_id}") as page:
        text = page.get_data(as_text=True)
    assert "12.345" in text and "12,345" not in text
