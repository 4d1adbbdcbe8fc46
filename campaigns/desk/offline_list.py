"""What a desk may keep for going offline: the vouchers still valid, each as a short salted hash of its code.

Nothing about customers, and no code can be read back: a hash keeps HASH_CHARS hex characters (32 bits) of
SHA-256, so each one fits some 2^28 codes of the 2^60 possible and names none of them. A code that is not
one of the vouchers matches a hash by chance about once in 40,000 scans when 100,000 vouchers are valid:
an offline answer is a "looks valid", confirmed when the device is back online.
"""
import hashlib
from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select

from campaigns.extensions import db
from campaigns.models import Campaign, Voucher

HASH_CHARS = 8


def code_hash(salt: str, code: str) -> str:
    """The short hash of a normalised code, as the desk's script computes it (SHA-256 of salt + code)."""
    return hashlib.sha256((salt + code).encode()).hexdigest()[:HASH_CHARS]


def valid_vouchers(salt: str, today: date) -> list[dict]:
    """Every active campaign not yet over on `today` with its dates, offer and its unredeemed, unvoided
    vouchers' hashes concatenated (HASH_CHARS each), in campaign order."""
    rows = db.session.execute(
        select(Campaign.id, Campaign.name, Campaign.offer, Campaign.starts_on, Campaign.ends_on, Voucher.code)
        .join(Voucher, Voucher.campaign_id == Campaign.id)
        .where(Campaign.status == "active", or_(Campaign.ends_on.is_(None), Campaign.ends_on >= today),
               Voucher.redeemed_at.is_(None), Voucher.void_at.is_(None))
        .order_by(Campaign.id)
    )
    campaigns, hashes = {}, defaultdict(list)
    for campaign_id, name, offer, starts_on, ends_on, code in rows:
        if campaign_id not in campaigns:
            campaigns[campaign_id] = {"id": campaign_id, "name": name, "give": f"Give: {offer or name}",
                                      "starts_on": starts_on.isoformat() if starts_on else None,
                                      "ends_on": ends_on.isoformat() if ends_on else None}
        hashes[campaign_id].append(code_hash(salt, code))
    return [{**campaign, "hashes": "".join(hashes[campaign_id])} for campaign_id, campaign in campaigns.items()]
