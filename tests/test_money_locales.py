"""Money typed the business's way (issue 16): read strictly in its locale with Babel, refused with a message that
shows how to type it, never reinterpreted; shown back in the same locale; chosen in Settings with the time zone
and currency from lists, and the desk's large-purchase threshold."""
from decimal import Decimal

import pytest

from campaigns.accounts import business
from campaigns.core import money
from campaigns.core.errors import ValidationError
from campaigns.extensions import db
from campaigns.models import BusinessSettings, Campaign
from tests.conftest import csrf_from, log_in
from tests.money_cases import CASES


@pytest.mark.parametrize("typed, locale, currency, places, expected, message", CASES,
                         ids=[f"{c[1]}-{c[2]}-{c[0]!r}" for c in CASES])
def test_read_amount_reads_the_locale_strictly(typed, locale, currency, places, expected, message):
    if expected is not None:
        read = money.read_amount(typed, "unit_cost", locale, places, currency=currency)
        assert read == expected and isinstance(read, Decimal)
    else:
        with pytest.raises(ValidationError) as refused:
            money.read_amount(typed, "unit_cost", locale, places, currency=currency)
        assert message in refused.value.details["fields"]["unit_cost"]


def test_the_cases_cover_six_locales_and_the_odd_currencies():
    assert len({case[1] for case in CASES}) >= 6 and {"JPY", "BHD"} <= {case[2] for case in CASES}


@pytest.mark.parametrize("locale, example", [("en_US", "1,234.50"), ("de_DE", "1.234,50"), ("fr_FR", "1\u202f234,50"),
                                             ("sv_SE", "1\u00a0234,50"), ("ja_JP", "1,234.50"), ("nl_NL", "1.234,50")])
def test_a_refusal_shows_how_to_type_it_in_the_locale(locale, example):
    with pytest.raises(ValidationError) as refused:
        money.read_amount("12'34", "amount", locale, 2, currency="EUR")
    assert refused.value.details["fields"] == {"amount": refused.value.details["fields"]["amount"]}
    assert f"Type it like {example}" in refused.value.details["fields"]["amount"]


def test_read_amount_refuses_what_is_not_text_and_overlong_text():
    for value in (None, 12.5, Decimal("1"), "1" * 41):
        with pytest.raises(ValidationError):
            money.read_amount(value, "amount", "en_US", 2, currency="USD")


def test_negative_amounts_only_when_asked_and_a_maximum_is_kept():
    assert money.read_amount("-7,50", "amount", "de_DE", 2, negative=True) == Decimal("-7.50")
    assert money.read_amount("$-7.50", "amount", "en_US", 2, currency="USD", negative=True) == Decimal("-7.50")
    with pytest.raises(ValidationError) as refused:
        money.read_amount("100,01", "pct", "de_DE", 2, maximum=Decimal(100))
    assert refused.value.details["fields"] == {"pct": "At most 100."}
    assert money.read_amount("100", "pct", "de_DE", 2, maximum=Decimal(100)) == 100


@pytest.mark.parametrize("cents, currency, locale, shown", [
    (123450, "USD", "en_US", "USD\u00a01,234.50"), (123450, "EUR", "de_DE", "1.234,50\u00a0EUR"),
    (123450, "EUR", "fr_FR", "1\u202f234,50\u00a0EUR"), (90, "EUR", "nl_NL", "EUR\u00a00,90"),
    (1500, "JPY", "ja_JP", "JPY\u00a01,500"), (1234500, "BHD", "en_US", "BHD\u00a01,234.500"),
    (-750, "GBP", "en_GB", "-GBP\u00a07.50"), (None, "USD", "en_US", "—")])
def test_format_amount_shows_money_in_the_locale(cents, currency, locale, shown):
    assert money.format_amount(cents, currency, locale) == shown


@pytest.mark.parametrize("locale", money.LOCALES)
def test_what_is_shown_in_a_form_reads_back_to_the_same_amount(locale):
    for value in (Decimal("0.90"), Decimal("1234.50"), Decimal("7"), Decimal("9999999.99")):
        assert money.read_amount(money.typed(value, locale), "x", locale, 2, currency="EUR") == value


def test_the_api_keeps_its_decimal_strings():
    assert money.to_json(1250, "EUR") == "12.50" and money.to_json(1500, "JPY") == "1500"


def test_lists_for_settings_come_from_babel_and_the_zone_database():
    currencies = dict(money.currency_choices())
    assert {"USD", "EUR", "JPY", "BHD", "GBP", "BRL"} <= set(currencies) and "DEM" not in currencies
    assert currencies["EUR"] == "EUR — Euro"
    assert [code for code, _ in money.locale_choices()] == list(money.LOCALES) and len(money.LOCALES) >= 11
    zones = business.zone_choices()
    assert ("Europe/Lisbon", "Lisbon") in zones["Europe"] and ("America/Argentina/Buenos_Aires",
                                                               "Argentina / Buenos Aires") in zones["America"]
    assert "Other" not in zones and zones["Universal"] == [("UTC", "UTC")]
    assert business.zone_choices("US/Eastern")["Other"] == [("US/Eastern", "US/Eastern")]


# Settings and the page forms, on both databases.

def _form_post(client, url, data):
    return client.post(url, data=dict(data, csrf_token=csrf_from(client.get(url).get_data(as_text=True))))


GOOD = {"business_name": "Café Lindt", "currency": "EUR", "locale": "de_DE", "time_zone": "Europe/Berlin",
        "default_gross_margin_pct": "62,5", "default_phone_region": "DE", "large_purchase": "1.500,00"}


def _settings(app):
    with app.app_context():
        saved = db.session.get(BusinessSettings, 1)
        return (saved.currency, saved.locale, saved.time_zone, saved.default_gross_margin_bp,
                saved.large_purchase_cents)


def test_settings_save_locale_zone_currency_and_threshold_typed_the_local_way(client, app, make_user):
    log_in(client, make_user("owner"))
    page = client.get("/settings/").get_data(as_text=True)
    assert '<optgroup label="Europe">' in page and '<option value="Europe/Lisbon">Lisbon</option>' in page
    assert '<option value="BHD">BHD — Bahraini Dinar</option>' in page and 'value="de_DE"' in page
    with app.app_context():  # the form reads amounts in the stored locale: switch to German first
        business.update_settings(business_name="Café Lindt", currency="EUR", time_zone="Europe/Berlin",
                                 default_gross_margin_bp=5000, default_phone_region="DE", locale="de_DE")
        db.session.commit()
    assert _form_post(client, "/settings/", GOOD).status_code == 302
    assert _settings(app) == ("EUR", "de_DE", "Europe/Berlin", 6250, 150000)
    page = client.get("/settings/").get_data(as_text=True)
    assert 'value="1.500,00"' in page and 'value="62,5"' in page  # shown back the German way
    assert _form_post(client, "/settings/", dict(GOOD, large_purchase="")).status_code == 302
    assert _settings(app)[4] is None  # empty: never ask


@pytest.mark.parametrize("field, value, message", [
    ("time_zone", "Mars/Olympus", "not a known time zone"),
    ("currency", "XYZ", "not a currency in use today"),
    ("currency", "DEM", "not a currency in use today"),
    ("locale", "xx_XX", "Choose one of the offered formats"),
    ("large_purchase", "1,500.00", "Type it like 1.500,00"),  # en_US habit in a German business
    ("large_purchase", "0", "above zero"),
    ("large_purchase", "-5", "cannot be negative"),
    ("large_purchase", "500,005", "At most 2 decimal places"),
    ("default_gross_margin_pct", "62.5", "A percentage from 0 to 100"),
    ("default_gross_margin_pct", "100,5", "A percentage from 0 to 100")])
def test_settings_refuse_each_bad_value_naming_it_and_change_nothing(client, app, make_user, field, value, message):
    log_in(client, make_user("owner"))
    with app.app_context():
        business.update_settings(business_name="Café Lindt", currency="EUR", time_zone="Europe/Berlin",
                                 default_gross_margin_bp=5000, default_phone_region="DE", locale="de_DE",
                                 large_purchase=Decimal(300))
        db.session.commit()
    before = _settings(app)
    response = _form_post(client, "/settings/", dict(GOOD, **{field: value}))
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and message in text
    assert f'id="{field}-error"' in text  # under the field it names
    assert _settings(app) == before


def test_a_threshold_follows_the_new_currency_decimals(app):
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            business.update_settings(business_name="x", currency="JPY", time_zone="Asia/Tokyo",
                                     default_gross_margin_bp=5000, default_phone_region="JP",
                                     large_purchase=Decimal("500.50"))
        assert "large_purchase" in refused.value.details["fields"]
        saved = business.update_settings(business_name="x", currency="JPY", time_zone="Asia/Tokyo",
                                         default_gross_margin_bp=5000, default_phone_region="JP",
                                         large_purchase=Decimal(50000))
        assert saved.large_purchase_cents == 50000


CAMPAIGN = {"name": "Gratis Kaffee", "kind": "sample", "offer": "Ein Kaffee", "gross_margin_pct": "68",
            "starts_on": "", "ends_on": "", "voucher_limit": "500", "per_customer_limit": "1",
            "attribution_window_days": "60", "feedback_question": "Wie war's?"}


@pytest.mark.parametrize("unit_cost, fixed_cost, cents", [("0,90", "60", (90, 6000)), ("0,9", "1.060,00", (90, 106000)),
                                                          ("€ 2,50", "", (250, 0))])
def test_the_campaign_form_reads_money_in_the_business_locale(client, app, make_user, unit_cost, fixed_cost, cents):
    log_in(client, make_user("marketer"))
    with app.app_context():
        business.update_settings(business_name="Café", currency="EUR", time_zone="Europe/Berlin",
                                 default_gross_margin_bp=5000, default_phone_region="DE", locale="de_DE")
        db.session.commit()
    response = _form_post(client, "/campaigns/new", dict(CAMPAIGN, unit_cost=unit_cost, fixed_cost=fixed_cost))
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.scalars(db.select(Campaign)).one()
        assert (campaign.unit_cost_cents, campaign.fixed_cost_cents) == cents
        campaign_id = campaign.id
    edit = client.get(f"/campaigns/{campaign_id}/edit").get_data(as_text=True)
    assert f'value="{money.typed(money.to_decimal(cents[0], "EUR"), "de_DE")}"' in edit
    assert '"decimal": ","' in edit and '"locale": "de_DE"' in edit  # the preview's data block


def test_the_campaign_form_refuses_a_foreign_decimal_mark_and_saves_nothing(client, app, make_user):
    log_in(client, make_user("marketer"))
    response = _form_post(client, "/campaigns/new", dict(CAMPAIGN, unit_cost="0,90", fixed_cost="60"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Type it like 0.90" in text and 'id="unit_cost-error"' in text
    with app.app_context():
        assert db.session.scalars(db.select(Campaign)).first() is None


def test_pages_show_money_in_the_business_locale(client, app, make_user, make_campaign):
    log_in(client, make_user("marketer"))
    with app.app_context():
        business.update_settings(business_name="Café", currency="EUR", time_zone="Europe/Berlin",
                                 default_gross_margin_bp=5000, default_phone_region="DE", locale="de_DE")
        db.session.commit()
    campaign = make_campaign(unit_cost="1234.50", voucher_limit=2)
    page = client.get(f"/campaigns/{campaign}").get_data(as_text=True)
    assert "1.234,50\u00a0EUR" in page
