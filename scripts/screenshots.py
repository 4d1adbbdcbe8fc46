"""Take phone and desktop screenshots of the running app's pages, for people to look at.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]   (run `make run` first; demo log-ins)
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "test-artifacts/screenshots/demo")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PAGES = {
    "owner@example.com": ("demo-owner-pass", ["/dashboard/", "/campaigns/", "/settings/", "/settings/users",
                                               "/settings/locations", "/settings/tokens"]),
    "staff@example.com": ("demo-staff-pass", ["/desk/", "/settings/"]),
}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def main() -> None:
    """Log in as each demo user and capture each of their pages at each size."""
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, base_url=BASE)
            page = context.new_page()
            page.goto("/login")
            page.screenshot(path=str(OUT / f"login-{size}.png"), full_page=True)
            for email, (password, paths) in PAGES.items():
                context.clear_cookies()
                page.goto("/login")
                page.get_by_label("E-mail").fill(email)
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_load_state()
                for path in paths:
                    page.goto(path)
                    name = f"{email.split('@')[0]}{path.replace('/', '-').rstrip('-')}-{size}.png"
                    page.screenshot(path=str(OUT / name), full_page=True)
                    print(OUT / name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
