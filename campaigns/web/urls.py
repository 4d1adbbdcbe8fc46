"""Absolute addresses that leave the app: in QR codes, CSV files, posters and API answers."""
from flask import current_app

from ..models import Campaign


def voucher_url(code: str) -> str:
    """Return the absolute URL a voucher's QR code holds: {BASE_URL}/v/{CODE}."""
    return f"{current_app.config['BASE_URL']}/v/{code}"


def qr_svg_url(code: str) -> str:
    """Return the absolute URL of a voucher's QR code as SVG."""
    return f"{current_app.config['BASE_URL']}/v/{code}.svg"


def claim_url(campaign: Campaign) -> str | None:
    """Return the absolute URL of a campaign's claim page ({BASE_URL}/claim/{slug}), or None when it has none."""
    return f"{current_app.config['BASE_URL']}/claim/{campaign.claim_slug}" if campaign.claim_slug else None
