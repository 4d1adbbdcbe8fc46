"""Every staff page says under its title what it is for, from one table (campaigns/web/page_purposes.py)."""
import pytest

from campaigns.web.access import PUBLIC
from campaigns.web.page_purposes import PURPOSES, WITHOUT_LINE
from tests.conftest import log_in

FILE_SUFFIXES = (".csv", ".pdf", ".png", ".svg", ".json", ".xlsx", ".js", ".webmanifest", ".<fmt>")

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _staff_pages(app) -> set[str]:
    """Every GET endpoint a signed-in role opens, without the API, static files, customers' pages and downloads."""
    found = set()
    for rule in app.url_map.iter_rules():
        role = getattr(app.view_functions[rule.endpoint], "required_role", None)
        if "GET" not in rule.methods or role in (None, PUBLIC) or rule.rule.startswith("/api/"):
            continue
        if not rule.rule.endswith(FILE_SUFFIXES):
            found.add(rule.endpoint)
    return found


def test_every_staff_page_has_a_line_that_says_what_it_is_for(app):
    pages = _staff_pages(app)
    assert len(pages) > 30  # the walk found the staff pages
    missing = pages - set(PURPOSES) - set(WITHOUT_LINE)
    assert not missing, f"Say in campaigns/web/page_purposes.py what these pages are for: {sorted(missing)}"
    assert set(PURPOSES) <= pages and set(WITHOUT_LINE) <= pages, "a line for a page that is not there"
    assert not set(PURPOSES) & set(WITHOUT_LINE)
    for endpoint, sentence in PURPOSES.items():
        assert sentence[0].isupper() and sentence.endswith((".", "?")) and len(sentence) <= 160, endpoint


def test_the_line_sits_under_the_title_and_an_error_page_has_none(client, make_user):
    log_in(client, make_user("owner"))
    with client.get("/purchases/") as page:
        html = page.get_data(as_text=True)
    title_end = html.index("</h1>")
    assert html.index('<p class="page-purpose">Every sale the till or the API sent') == title_end + len("</h1>")
    with client.get("/settings/") as page:  # once on the page, its apostrophe escaped once
        html = page.get_data(as_text=True)
    assert html.count('class="page-purpose"') == 1 and "Your business&#39;s name, currency" in html
    with client.get("/campaigns/999999") as missing:
        assert missing.status_code == 404 and "page-purpose" not in missing.get_data(as_text=True)
