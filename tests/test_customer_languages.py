"""What customers read, in their language: the catalogues hold every customer-facing message (extracted afresh by
pybabel's own extractor, so a new string without its translations fails here), every customer page renders with
no text left in English, the page's language follows the browser among those offered and the business's setting
otherwise, staff pages stay English, and the e-mails, poster and cards speak the business's customer language."""
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pypdfium2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from campaigns.accounts import business
from campaigns.contacts.contact import make_contact
from campaigns.contacts.subscriptions import unsubscribe_token
from campaigns.core import words
from campaigns.core.errors import ValidationError
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving import sheets
from campaigns.giving.vouchers import issue_batch
from campaigns.mail.campaign_letter import campaign_message
from campaigns.mail.sending import voucher_letter
from campaigns.models import Campaign, Voucher
from tests.conftest import csrf_from, log_in

ROOT = Path(__file__).resolve().parent.parent
OTHERS = [language for language in words.LANGUAGES if language != words.SOURCE]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None,
            "translate": (2,)}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _extracted() -> set[str]:
    """Every message the customers' sources mark, read with babel.cfg as `make translations` reads it."""
    method_map = [("campaigns/**.py", "python"), ("templates/public/**.html", "jinja2"),
                  ("templates/mail/**.html", "jinja2"), ("templates/errors/**.html", "jinja2"),
                  ("templates/base.html", "jinja2"), ("templates/_macros.html", "jinja2")]
    config = Path(ROOT / "babel.cfg").read_text()
    assert all(f"[{method}: {pattern}]" in config for pattern, method in method_map)  # the same map as make's
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", OTHERS)
def test_every_customer_message_is_translated(language):
    with (words.DIRECTORY / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale=language)
    entries = {message.id: message for message in catalogue if message.id}
    missing = sorted(message for message in _extracted() if message not in entries)
    assert not missing, f"{language}: not in the catalogue: {missing}"
    untranslated = sorted(i for i, m in entries.items() if not m.string or m.fuzzy)
    assert not untranslated, f"{language}: untranslated or fuzzy: {untranslated}"
    for message in entries.values():  # a translation keeps every value the message is filled with
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), message.id
    # and the compiled catalogue is the one the app reads (built by make from this .po)
    sample = next(iter(entries.values()))
    assert words.translate(language, sample.id) == sample.string


class _Text(HTMLParser):
    """The words a page shows or reads out: text nodes and the alt, title, aria-label and placeholder values."""

    def __init__(self):
        super().__init__()
        self.found, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self._hidden += 1
        read_out = ("alt", "title", "aria-label", "placeholder")
        self.found += [value for name, value in attrs if name in read_out and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.found.append(" ".join(data.split()))


def _words(page: str, data: set[str]) -> set[str]:
    parser = _Text()
    parser.feed(page)
    kept = set()
    for text in parser.found:
        for datum in sorted(data, key=len, reverse=True):  # what the business typed, and codes, stay as they are
            text = text.replace(datum, " ")
        if re.search(r"[A-Za-z]{3}", text):
            kept.add(" ".join(text.split()))
    return kept


def _same_in(language: str) -> set[str]:
    """The messages a translator kept as they are in English, because the language says them so ("E-mail")."""
    with (words.DIRECTORY / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return {message.id for message in read_po(source, locale=language) if message.id == message.string}


@pytest.fixture
def pages(app, make_campaign):
    """Every kind of customer page, each as (path, method, form) the test client can open."""
    active = make_campaign(status="active", claim_page=True, offer="Café crème", ends_on="2099-06-30",
                           feedback_question="Qu'avez-vous aimé ?")
    paused = make_campaign(status="paused", claim_page=True, offer="Pain au chocolat")
    with app.app_context():
        business.update_customer_page("Rue de la Paix 1, Paris", "Lun–Ven 7:00–18:00")
        campaign = db.session.get(Campaign, active)
        fresh, redeemed = issue_batch(campaign, 2, "flyer")
        redemption.redeem(redeemed, redemption.Attempt(customer=make_contact("ana@example.com")),
                          now=datetime.now(UTC) - timedelta(minutes=5))
        customer_id = db.session.scalar(db.select(Voucher.customer_id).where(Voucher.code == redeemed))
        token = unsubscribe_token(customer_id, app.config["SECRET_KEY"])
        slug, closed_slug = campaign.claim_slug, db.session.get(Campaign, paused).claim_slug
        db.session.commit()
    return {"voucher": f"/v/{fresh}", "feedback": f"/v/{redeemed}", "claim": f"/claim/{slug}",
            "claim closed": f"/claim/{closed_slug}", "no claim page": "/claim/nothing-here",
            "no voucher": "/v/ABCDABCDABCDA", "mistyped": "/v/ABC", "unsubscribe": f"/u/{token}",
            "no unsubscribe": "/u/nonsense"}, {"Café crème", "Pain au chocolat", "Qu'avez-vous aimé ?", fresh,
                                                redeemed, "Rue de la Paix 1, Paris", "Lun–Ven 7:00–18:00",
                                                "My business", "Reciprocate", "ana@example.com", "a•••@example.com"}


@pytest.mark.parametrize("language", OTHERS)
def test_every_customer_page_speaks_the_language_with_nothing_left_in_english(app, pages, language):
    paths, data = pages
    data = data | {words.LANGUAGES[language]}
    client = app.test_client()
    for name, path in paths.items():
        shown = {}
        for speaking in (words.SOURCE, language):
            with client.get(path, headers={"Accept-Language": f"{speaking};q=1"}) as response:
                assert response.status_code < 500, name
                page = response.get_data(as_text=True)
                codes = set(re.findall(r"[A-Z0-9]{4}(?:-[A-Z0-9]{4}){2}-[A-Z0-9]", page))  # formatted codes
                shown[speaking] = _words(page, data | codes)
                assert f'<html lang="{speaking}">' in page, name
                assert "Accept-Language" in response.headers.get("Vary", ""), name
        english = shown[words.SOURCE] & shown[language] - _same_in(language)  # words still in English
        assert not english, f"{name} in {language} still says {sorted(english)}"
        assert shown[language], name


def test_the_claim_form_refusals_are_in_the_customers_language(app, pages):
    paths, _ = pages
    client = app.test_client()
    with client.get(paths["claim"], headers={"Accept-Language": "de-DE,de;q=0.9"}) as page:
        token = csrf_from(page.get_data(as_text=True))
    with client.post(paths["claim"], data={"csrf_token": token, "email": "ana@", "phone": "", "name": ""},
                     headers={"Accept-Language": "de-DE,de;q=0.9"}) as refused:
        text = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "Das sieht nicht nach einer E-Mail-Adresse aus" in text and "Bitte korrigieren Sie" in text


def test_the_page_language_follows_the_browser_then_the_business_and_staff_pages_stay_english(
        app, pages, make_user):
    paths, _ = pages
    client = app.test_client()

    def language_of(path, **headers):
        with client.get(path, headers=headers) as response:
            return re.search(r'<html lang="(\w+)">', response.get_data(as_text=True)).group(1)

    assert language_of(paths["voucher"], **{"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"}) == "nl"
    assert language_of(paths["voucher"], **{"Accept-Language": "pt-BR"}) == "en"  # not offered: the business's
    with app.app_context():
        business.update_customer_page(None, None, customer_language="it")
        db.session.commit()
    assert language_of(paths["voucher"], **{"Accept-Language": "pt-BR"}) == "it"
    assert language_of(paths["voucher"]) == "it"
    assert language_of(paths["voucher"] + "?lang=fr", **{"Accept-Language": "de"}) == "fr"  # asked for by name
    log_in(client, make_user("owner"))
    assert language_of("/settings/", **{"Accept-Language": "de"}) == "en"


def test_the_language_setting_defaults_from_the_locale_and_refuses_what_is_not_offered(ctx):
    settings = business.get_settings()
    settings.locale = "de_DE"
    assert words.customer_language(settings) == "de"
    settings.locale = "ja_JP"
    assert words.customer_language(settings) == "en"
    with pytest.raises(ValidationError) as refused:
        business.update_customer_page(None, None, customer_language="pt")
    assert "customer_language" in refused.value.details["fields"]
    assert business.update_customer_page(None, None, customer_language="fr").customer_language == "fr"


def test_the_emails_speak_the_customers_language(ctx, make_campaign):
    campaign = db.session.get(Campaign, make_campaign(status="active", offer="Ein Latte", ends_on="2099-06-30"))
    message = campaign_message(code="ABCDABCDABCDA", offer=campaign.offer, ends_on=campaign.ends_on,
                               to="ana@example.com", business="Café Anker", unsubscribe="https://x.example/u/1",
                               sender="hello@cafe.example", language="de", locale="de_DE")
    html = message.alternatives[0][0]
    assert message.subject == "Ein Geschenk von Café Anker: Ein Latte"
    assert "hat ein Geschenk für Sie" in message.body and "Gültig bis 30. Juni 2099." in message.body
    assert '<html lang="de">' in html and "Meinen Gutschein öffnen" in html and "Mit einem Klick abmelden" in html
    [code] = issue_batch(campaign, 1, "flyer")
    letter = voucher_letter(db.session.scalar(db.select(Voucher).where(Voucher.code == code)), "ana@example.com",
                            "Café Anker", "fr", "fr_FR")
    assert letter.subject == "Votre bon de Café Anker : Ein Latte" and "Valable jusqu'au 30 juin 2099." in letter.body


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(BytesIO(pdf))
    return " ".join(page.get_textpage().get_text_range() for page in document)


def test_the_poster_and_cards_speak_the_customers_language_and_never_show_the_internal_name(ctx, make_campaign):
    campaign = db.session.get(Campaign, make_campaign(name="Gratis Latte Dezember", offer="Ein Latte, gratis",
                                                      status="active", claim_page=True, ends_on="2099-12-31"))
    issue_batch(campaign, 2, "flyer")
    cards = _pdf_text(sheets.voucher_sheet(campaign, campaign.vouchers, lambda code: f"https://x.example/v/{code}",
                                           "a4", sheets.expiry_text(campaign, "de", "de_DE"), "Café Anker", "de"))
    assert "Gültig bis 31. Dez. 2099" in cards and "An der Theke zeigen oder scannen" in cards
    assert "Ein Latte, gratis" in cards and "Gratis Latte Dezember" not in cards
    poster = _pdf_text(sheets.claim_poster(campaign, "https://x.example/claim/x", "a4",
                                           sheets.expiry_text(campaign, "fr", "fr_FR"), "Café Anker", "fr"))
    assert "Scannez pour avoir le vôtre, gratuitement" in poster and "Valable jusqu'au 31 déc. 2099" in poster
    assert "Gratis Latte Dezember" not in poster
