"""Take phone and desktop screenshots of the running app's pages, for people to look at.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR] [--redeem]
(run `make run` first, for the demo log-ins; needs the test packages, which `make test` installs)
Reads the same database as the app (DATABASE_URL or the default SQLite file) to find vouchers and a
claim page to show. It redeems nothing unless --redeem is given: then the desk redeems two unredeemed
demo vouchers (green) and scans each again (red).
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app import create_app  # noqa: E402
from campaigns.extensions import db  # noqa: E402
from campaigns.models import Campaign, Voucher  # noqa: E402

ARGV = [a for a in sys.argv[1:] if not a.startswith("--")]
REDEEM = "--redeem" in sys.argv
BASE = ARGV[0] if ARGV else "http://127.0.0.1:5000"
OUT = Path(ARGV[1] if len(ARGV) > 1 else "test-artifacts/screenshots/demo")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def demo_targets() -> dict:
    """Find an active campaign, three of its unredeemed vouchers (two for the desk), a redeemed voucher and a claim page."""
    app = create_app()
    with app.app_context():
        active = db.session.scalar(select(Campaign).where(Campaign.status == "active").order_by(Campaign.id))
        fresh = db.session.scalars(select(Voucher.code).where(Voucher.campaign_id == active.id,
                                                              Voucher.redeemed_at.is_(None)).limit(3)).all()
        used = db.session.scalar(select(Voucher.code).where(Voucher.redeemed_at.is_not(None)))
        slug = db.session.scalar(select(Campaign.claim_slug).where(Campaign.claim_slug.is_not(None)))
        return {"campaign": active.id, "fresh": fresh, "used": used, "slug": slug}


def pages(targets: dict) -> dict:
    """Which pages each demo user is shown, and the public pages (no log-in)."""
    return {
        "owner@example.com": ("demo-espresso-crema", ["/dashboard/", "/settings/", "/settings/users",
                                                   "/settings/locations", "/settings/tokens"]),
        "marketer@example.com": ("demo-flat-white-poster", ["/campaigns/", "/campaigns/new",
                                                         f"/campaigns/{targets['campaign']}"]),
        "staff@example.com": ("demo-oat-milk-latte", ["/desk/", f"/desk/v/{targets['used']}"]),
        None: (None, [f"/v/{targets['fresh'][2]}", f"/v/{targets['used']}"]
               + ([f"/claim/{targets['slug']}"] if targets["slug"] else [])),
    }


def shoot(page, name: str) -> None:
    """Save a full-page screenshot and say where."""
    page.screenshot(path=str(OUT / name), full_page=True)
    print(OUT / name)


def desk_answers(page, targets: dict, size: str) -> None:
    """Redeem a fresh demo code at the desk (green), then scan it again (red)."""
    code = targets["fresh"][0 if size == "phone" else 1]
    page.goto("/desk/")
    choice = page.locator("[data-location]").first
    if choice.is_visible():  # a new device says once which location it is at
        choice.click()
    page.locator("#scan-input").fill(code)
    page.keyboard.press("Enter")
    page.locator("#result.result-ok").wait_for()
    shoot(page, f"desk-green-{size}.png")
    page.locator("#scan-input").fill(code)
    page.keyboard.press("Enter")
    page.locator("#result.result-bad").wait_for()
    shoot(page, f"desk-red-{size}.png")


def main() -> None:
    """Log in as each demo user and capture each of their pages at each size."""
    OUT.mkdir(parents=True, exist_ok=True)
    targets = demo_targets()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, base_url=BASE)
            page = context.new_page()
            page.goto("/login")
            shoot(page, f"login-{size}.png")
            for email, (password, paths) in pages(targets).items():
                context.clear_cookies()
                if email:
                    page.goto("/login")
                    page.get_by_label("E-mail").fill(email)
                    page.get_by_label("Password").fill(password)
                    page.get_by_role("button", name="Log in").click()
                    page.wait_for_load_state()
                for path in paths:
                    page.goto(path)
                    who = email.split("@")[0] if email else "public"
                    shoot(page, f"{who}{path.replace('/', '-').rstrip('-')}-{size}.png")
                if email == "staff@example.com" and REDEEM:
                    desk_answers(page, targets, size)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
