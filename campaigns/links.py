"""Absolute addresses that leave the app: in QR codes, CSV files, posters and API answers."""
import ipaddress
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from campaigns.contacts.subscriptions import unsubscribe_token
from campaigns.models import Campaign

_FALLBACK = "http://127.0.0.1:5000"  # only outside a request (the command line) with no BASE_URL set


def base_url() -> str:
    """Return the app's public address: BASE_URL, or in development the address it is being served on."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured
    return request.host_url.rstrip("/") if has_request_context() else _FALLBACK


def voucher_url(code: str) -> str:
    """Return the absolute URL a voucher's QR code holds: {base}/v/{CODE}."""
    return f"{base_url()}/v/{code}"


def unsubscribe_url(customer_id: int) -> str:
    """Return the absolute URL of a customer's one-click unsubscribe from campaign e-mails: {base}/u/{TOKEN}."""
    return f"{base_url()}/u/{unsubscribe_token(customer_id, current_app.config['SECRET_KEY'])}"


def qr_svg_url(code: str) -> str:
    """Return the absolute URL of a voucher's QR code as SVG."""
    return f"{base_url()}/v/{code}.svg"


def claim_url(campaign: Campaign) -> str | None:
    """Return the absolute URL of a campaign's claim page ({base}/claim/{slug}), or None when it has none."""
    return f"{base_url()}/claim/{campaign.claim_slug}" if campaign.claim_slug else None


def unreachable_address() -> str | None:
    """Return the public address when customers' phones could not open it (loopback, private or local), else None."""
    address = base_url()
    host = (urlsplit(address).hostname or "").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")) or "." not in host \
            and ":" not in host:
        return address
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified else None
