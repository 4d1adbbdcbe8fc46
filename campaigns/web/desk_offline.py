"""The desk as an installable web app that keeps scanning offline: its manifest, its service worker, and the
list of still-valid vouchers (as short hashes) a device may keep. The scanning itself is in desk.py."""
import hashlib
import hmac
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_login import current_user

from campaigns.accounts.business import business_zone
from campaigns.desk.offline_list import HASH_CHARS, valid_vouchers
from campaigns.models import utcnow
from campaigns.web.access import public, requires

bp = Blueprint("desk_offline", __name__, url_prefix="/desk")
# What the desk page needs with no network (the page itself is kept when it is opened).
ASSETS = ("css/app.css", "img/logo.svg", "img/desk-192.png", "img/desk-512.png", "js/confirm.js", "js/desk.js",
          "js/desk_offline.js", "vendor/barcode-detector.js", "vendor/zxing_reader.wasm")


@bp.route("/offline-list")
@requires("staff")
def offline_list():
    """The vouchers still valid for the active campaigns, as short salted hashes, for a device going offline.

    Campaigns are valid at every location, so every location's desk gets the same list."""
    salt = _salt()
    now = utcnow()
    campaigns = valid_vouchers(salt, now.astimezone(business_zone()).date())
    return jsonify({"salt": salt, "hash_chars": HASH_CHARS, "generated_at": now.isoformat(),
                    "count": sum(len(campaign["hashes"]) // HASH_CHARS for campaign in campaigns),
                    "campaigns": campaigns, "user": current_user.id})


def _salt() -> str:
    """The business's salt for the list: the same at every download, so a device's list changes only as vouchers do."""
    secret = str(current_app.secret_key).encode()
    return hmac.new(secret, b"reciprocate desk offline list", hashlib.sha256).hexdigest()[:32]


@bp.route("/sw.js")
@public
def service_worker():
    """The desk's service worker: keeps the page and its assets, and serves them when the network is gone."""
    assets = [url_for("static", filename=name) for name in ASSETS]
    body = render_template("desk/sw.js", assets=assets, page=url_for("desk.index"),
                           version=_version(current_app.static_folder, current_app.template_folder))
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}


@cache
def _version(static_folder: str, template_folder: str) -> str:
    """A digest of the kept assets and the worker itself: a new one makes browsers fetch everything again."""
    digest = hashlib.sha256()
    for path in [Path(static_folder, name) for name in ASSETS] + [Path(template_folder, "desk", "sw.js")]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@bp.route("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest: the desk installs on a phone or tablet's home screen and opens full screen."""
    icons = [{"src": url_for("static", filename=f"img/desk-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": "any maskable"} for size in (192, 512)]
    body = {"name": "Reciprocate front desk", "short_name": "Desk", "start_url": url_for("desk.index"),
            "scope": url_for("desk.index"), "display": "standalone", "background_color": "#ffffff",
            "theme_color": "#0f766e", "icons": icons}
    response = jsonify(body)
    response.headers["Content-Type"] = "application/manifest+json"
    return response
