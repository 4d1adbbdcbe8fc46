"""Every page each role can reach, and every customer page, fits a 390 px phone and runs without a script error.

The pages are found by walking the app's routes, so a page added later is visited too: a GET route whose
arguments have no sample value here fails the walk until one is added to `samples`.
"""
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.accounts import business, tokens
from campaigns.accounts import users as accounts
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.contacts.subscriptions import unsubscribe_token
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving import qr, vouchers
from campaigns.jobs import webhooks
from campaigns.models import User
from campaigns.sales import import_files, import_mapping, import_runs
from campaigns.web.access import allows
from tests.browser.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.designs import design
from tests.ledger_rows import record_purchase

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

LONG_LABEL = "Flyers for the office towers on Harbour Road, spring, second print run with the new logo"
LONG_EMAIL = "maximiliana.featherstonehaugh-worthington@neighbourhood-coffee-collective.example.com"

# Name the element that sticks out furthest past the screen's right edge, and the outermost element that
# does (its parent fits), ignoring anything clipped by a box that scrolls or hides its own overflow.
FIND_WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const path = (el) => { const parts = []; for (let e = el; e && e !== document.body; e = e.parentElement) parts.unshift(name(e)); return parts.join(' > '); };
  const clipped = (el) => {
    for (let e = el.parentElement; e && e !== document.body && e !== document.documentElement; e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible' && e.getBoundingClientRect().right <= limit + 0.5) return true;
    }
    return false;
  };
  let widest = null, outermost = null;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 0.5 || clipped(el)) continue;
    if (!widest || box.right > widest.box.right) widest = {el, box};
    if (!outermost && el.parentElement.getBoundingClientRect().right <= limit + 0.5) outermost = {el, box};
  }
  const tell = (found) => found && `${path(found.el)} (${Math.round(found.box.width)} px wide, right edge at ` +
      `${Math.round(found.box.right)} px): "${found.el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60)}"`;
  return {scrollWidth: document.documentElement.scrollWidth, widest: tell(widest), outermost: tell(outermost)};
}"""


FILE_SUFFIXES = {"csv", "pdf", "png", "svg", "json", "xlsx", "js", "webmanifest"}
NOT_PAGES = {"/logo", "/desk/today", "/desk/offline-list"}


class PageWatch:
    """Follow one browser page: its script errors, console errors and how wide each visited document is."""

    def __init__(self, page, viewport: dict):
        self.page, self.viewport, self.problems, self.current = page, viewport, [], None
        page.on("pageerror", lambda error: self.problems.append(f"{self.current}: page error {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # A page answering 404 or 410 on purpose is reported by Chromium as a failed load: that is not a bug.
        own_status = message.text.startswith("Failed to load resource") and \
            message.location.get("url", "").split("#")[0] == self.page.url.split("#")[0]
        if not own_status:
            self.problems.append(f"{self.current}: console error {message.text} at {message.location.get('url')}")

    def visit(self, path: str, expect_status: int | None = 200) -> None:
        """Open a page and note any problem (wider than the screen, an error, an unexpected status)."""
        self.current = path
        response = self.page.goto(path)
        self.page.wait_for_load_state("load")
        self.check(response.status if response else None, expect_status)

    def check(self, status: int | None = None, expect_status: int | None = None) -> None:
        """Note whether the page now shown is wider than the screen, or answered with the wrong status."""
        if expect_status is not None and status != expect_status:
            self.problems.append(f"{self.current}: answered {status}, expected {expect_status}")
        if status is not None and status >= 500:
            self.problems.append(f"{self.current}: answered {status}")
        found = self.page.evaluate(FIND_WIDEST)
        if found["scrollWidth"] > self.viewport["width"]:
            self.problems.append(f"{self.current} ({self.page.url}): {found['scrollWidth']} px wide on a "
                                 f"{self.viewport['width']} px screen; widest: {found['widest']}; "
                                 f"outermost: {found['outermost']}")

    def is_html(self, path: str) -> bool:
        """Tell whether a path answers with a web page: files (PDF, CSV, images, the logo) and the desk's JSON are
        named by their paths, so no page is asked for twice (once to look, once to show)."""
        if path.rsplit("/", 1)[-1].rpartition(".")[2] in FILE_SUFFIXES or path in NOT_PAGES:
            return False
        return True


def size_name(viewport: dict) -> str:
    return "phone" if viewport == PHONE else "desktop"


def fill_business(app, people: dict) -> dict:
    """Give the business what a café has after some weeks (campaigns in each state, batches with long labels,
    redemptions, a purchase, users, tokens, locations); return a sample value for each route argument."""
    today = datetime.now(UTC).date()
    with app.app_context():
        owner_id = people["owner"].id
        settings = business.get_settings()
        settings.business_name = "Corner Bean Café and Neighbourhood Roastery"
        business.update_customer_page("12 Main Street, corner of Harbour Road\nSpringfield 01234",
                                      "Mon–Fri 7:00–18:00\nSat 8:00–14:00, Sundays and public holidays closed")
        business.set_logo(qr.png("https://corner-bean.example.com"), "image/png")
        main = business.create_location("Main St", "12 Main Street, corner of Harbour Road, Springfield 01234")
        kiosk = business.create_location("Harbour kiosk at the old ferry terminal", "Pier 3, north entrance")
        business.update_location(kiosk, name=kiosk.name, address=kiosk.address, active=False)
        accounts.create_user(LONG_EMAIL, "Maximiliana Featherstonehaugh-Worthington", "staff", "a long password 123")
        tokens.create_token("Main Street point-of-sale till by the window", "staff", owner_id)
        revoked, _ = tokens.create_token("Old tablet at the harbour kiosk (lost in March)", "marketer", owner_id)
        tokens.revoke_token(revoked.id)

        def made(status: str, **fields):
            payload = {"name": "Free flat white for office neighbours", "offer": "One free flat white, any milk",
                       "unit_cost": "0.90", "fixed_cost": "60.00", "retail_value": "4.20", "claim_page": True}
            payload.update(fields)
            campaign = campaigns.create_campaign(design(payload), owner_id)
            for step in {"draft": [], "active": ["active"], "paused": ["active", "paused"],
                         "ended": ["active", "ended"]}[status]:
                campaigns.set_status(campaign, step)
            return campaign

        hook, _ = webhooks.create_webhook("http://127.0.0.1:9/hooks/catch/1234567/abcdefghijklmnopqrstuvwxyz-reciprocate",
                                          ["voucher.redeemed", "purchase.recorded"], owner_id)
        open_ = made("active")
        codes = vouchers.issue_batch(open_, 40, LONG_LABEL)
        vouchers.issue_batch(open_, 12_345 // 100, "market stall")
        vouchers.issue_batch(open_, 5)
        for code in codes[:7]:
            redeem(code, Attempt(user_id=people["staff"].id, location=main.name))
        customer = find_or_create(make_contact("ana@example.com", None, "Ana"))
        held = vouchers.issue_personal(open_, customer, channel="claim", batch_label="claim page")
        redeem(held.code, Attempt(user_id=people["staff"].id, location=main.name))
        record_purchase("till-1", 1250, datetime.now(UTC), customer_id=customer.id, location_id=main.id)
        namesake = find_or_create(make_contact(LONG_EMAIL, "+1 415 555 0199",
                                               "Maximiliana Featherstonehaugh-Worthington"))
        limited = made("active", name="Free pastry with a limit of vouchers, for the farmers' market weekend",
                       voucher_limit=500, claim_page=False)
        vouchers.issue_batch(limited, 120, "market stall, Saturday and Sunday, both entrances")
        paused = made("paused", name="Cold brew for the mailing list")
        paused_code = vouchers.issue_batch(paused, 3, "mailing list")[0]
        ended = made("ended", name="Free latte for new neighbours")
        expired = made("active", name="Summer iced tea", starts_on=str(today - timedelta(days=30)),
                       ends_on=str(today - timedelta(days=1)))
        expired_code = vouchers.issue_batch(expired, 2, "summer flyer")[0]
        draft = made("draft", name="Holiday cookie box: a free box of four cookies for every regular customer")
        sales = ("Date,Amount,Email,Phone,ID,Name\n2026-04-01 09:00,12.50,ana@example.com,,till-9,Ana\n"
                 f"2026-04-02 10:30,not money,{LONG_EMAIL},,till-10,Maximiliana Featherstonehaugh-Worthington\n")
        waiting = import_files.upload("square-and-shopify-sales-export-for-the-whole-of-april-2026.csv",
                                          sales.encode(), owner_id)
        finished = import_files.upload("april.csv", sales.encode(), owner_id)
        import_mapping.confirm_proposed(finished)
        list(import_runs.run_all(finished))
        db.session.commit()
        samples = {
            "campaign_id": [open_.id, limited.id, paused.id, ended.id, draft.id],
            "user_id": [people["owner"].id, db.session.scalar(db.select(User.id).where(User.email == LONG_EMAIL))],
            "location_id": [main.id, kiosk.id],
            "code_text": [codes[20], codes[0], held.code, expired_code, paused_code, "NOT-A-CODE"],
            "slug": [open_.claim_slug, paused.claim_slug, ended.claim_slug],
            "token_id": [revoked.id],
            "customer_id": [customer.id, namesake.id],
            "other_id": [namesake.id, customer.id],
            "import_id": [waiting.id, finished.id],
            "token": [unsubscribe_token(customer.id, app.config["SECRET_KEY"])],  # the unsubscribe page
            "table": ["customers", "audit"], "fmt": ["csv", "xlsx"],  # the exports: files, not pages
            "webhook_id": [hook.id],
        }
    return samples


def reachable_pages(app, role: str | None, samples: dict | None, most: int | None = None) -> list[str]:
    """Every GET path a role may open (None: someone not logged in), with sample values for the arguments
    (samples None: only the paths without arguments; `most`: at most that many samples of each route)."""
    paths, missing = [], []
    with app.test_request_context():
        from flask import url_for
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            needed = getattr(app.view_functions[rule.endpoint], "required_role", None)
            if "GET" not in rule.methods or needed is None or rule.rule.startswith("/api/"):
                continue
            if not allows(role, needed):
                continue
            arguments = sorted(rule.arguments)
            if arguments and samples is None:
                continue
            if any(name not in samples for name in arguments):
                missing.append(f"{rule.rule} ({', '.join(a for a in arguments if a not in samples)})")
                continue
            if not arguments:
                paths.append(url_for(rule.endpoint))
                continue
            for index in range(min(max(len(samples[name]) for name in arguments), most or 1000)):
                values = {name: samples[name][index % len(samples[name])] for name in arguments}
                paths.append(url_for(rule.endpoint, **values))
    assert not missing, f"GET routes with arguments that have no sample value here: {missing}"
    return list(dict.fromkeys(paths))


@pytest.fixture
def people(make_user):
    return {role: make_user(role, name=f"{role.title()} Person") for role in ("owner", "marketer", "staff")}


# The owner (whose pages hold every marketer's and staff member's page) at both sizes, and the staff on a phone (the
# desk as it is used). A marketer's walk, or the staff's on a desktop, would only repeat pages the owner's has just
# checked at that size (the suite's 10 minutes; the desk's desktop layout has tests of its own in test_desk.py).
@pytest.mark.parametrize("role, viewport", [("owner", PHONE), ("staff", PHONE), ("owner", DESKTOP)],
                         ids=["owner-phone", "staff-phone", "owner-desktop"])
def test_every_page_a_role_can_reach_fits_the_screen(app, open_page, people, role, viewport):
    samples = fill_business(app, people)
    page = open_page(viewport)
    watch = PageWatch(page, viewport)
    sign_in(page, people[role].email)
    pages = reachable_pages(app, role, samples, most=1 if viewport == DESKTOP else None)  # the phone walk sees each state
    assert any(path.startswith("/desk") for path in pages)  # the walk found the role's pages
    visited = 0
    for path in pages:
        if watch.is_html(path):
            watch.visit(path, expect_status=None)
            visited += 1
            shot = {("owner", f"/campaigns/{samples['campaign_id'][0]}"): "campaign",
                    ("owner", "/dashboard/"): "dashboard", ("owner", "/settings/users"): "settings-users",
                    ("owner", "/settings/tokens"): "settings-tokens",
                    ("owner", "/settings/customer-page"): "settings-customer-page"}.get((role, path))
            if shot:
                screenshot(page, f"layout-{shot}-{size_name(viewport)}")
    assert visited >= {"owner": 25, "marketer": 20, "staff": 10}[role], pages
    assert not watch.problems, "\n".join(watch.problems)


# The claim form's words in each language the walk reads it in: German on the phone (its long words are the ones
# that break a narrow screen), English on the desktop.
CLAIM_WORDS = {"en": ("E-mail", "Get my free voucher", "You already have this voucher"),
               "de": ("E-Mail", "Meinen Gratis-Gutschein holen", "Sie haben diesen Gutschein schon")}


@pytest.mark.parametrize("viewport, language", [(PHONE, "de"), (DESKTOP, "en")], ids=["phone-de", "desktop-en"])
def test_every_customer_page_fits_the_screen(app, open_page, people, viewport, language):
    samples = fill_business(app, people)
    fresh, used, held, expired, paused, _ = samples["code_text"]
    open_slug, paused_slug, ended_slug = samples["slug"]
    page = open_page(viewport)
    page.set_extra_http_headers({"Accept-Language": language})
    email_label, claim_button, held_heading = CLAIM_WORDS[language]
    watch = PageWatch(page, viewport)
    for path, status in [(f"/v/{fresh}", 200), (f"/v/{used}", 200), (f"/v/{expired}", 200), (f"/v/{paused}", 200),
                         ("/v/NOT-A-CODE", 422), ("/v/0000-0000-0000-0", 404), (f"/claim/{open_slug}", 200),
                         (f"/claim/{paused_slug}", 200), (f"/claim/{ended_slug}", 410), ("/claim/no-such-page", 404),
                         ("/login", 200)]:
        watch.visit(path, status)
        shot = {f"/v/{fresh}": "voucher", f"/v/{used}": "voucher-used", f"/claim/{open_slug}": "claim",
                f"/claim/{paused_slug}": "claim-paused", "/v/NOT-A-CODE": "voucher-mistyped"}.get(path)
        if shot:
            screenshot(page, f"layout-{shot}-{size_name(viewport)}-{language}")
    for attempt in ("new", "held"):  # the same address twice: a new voucher, then the held-voucher answer
        watch.visit(f"/claim/{open_slug}")
        watch.current = f"claim answer ({attempt})"
        page.get_by_label(email_label, exact=True).fill("carla.with.a.long.address@neighbourhood-example.com")
        page.get_by_role("button", name=claim_button).click()
        page.wait_for_load_state("load")
        watch.check()
    assert page.get_by_role("heading", level=1).inner_text() == held_heading
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_first_run_pages_fit_the_screen(app, open_page, viewport):
    page = open_page(viewport)
    watch = PageWatch(page, viewport)
    paths = reachable_pages(app, None, None)
    assert "/setup" in paths and "/login" in paths
    for path in filter(watch.is_html, paths):
        watch.visit(path)
    assert not watch.problems, "\n".join(watch.problems)
