"""The API's resources as JSON (API.md): one serialiser for each, used by every endpoint and page that answers it."""
from campaigns.accounts.business import get_settings
from campaigns.core import money
from campaigns.desk import redemption
from campaigns.desk.redemption_feed import RedemptionRow
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.links import claim_url, qr_svg_url, voucher_url
from campaigns.models import Customer, Voucher
from campaigns.sales.listing import PurchaseDetails, purchase_details


def customer_json(customer: Customer | None) -> dict | None:
    """Return a customer as the API shows it."""
    if customer is None:
        return None
    return {"id": customer.id, "email": customer.email, "phone": customer.phone, "name": customer.name}


def redemption_json(made: redemption.Redeemed) -> dict:
    """Return a redemption as the API answers it."""
    customer = db.session.get(Customer, made.customer_id) if made.customer_id else None
    return {"code": made.code, "formatted": codes.format_code(made.code), "redeemed_at": made.redeemed_at.isoformat(),
            "redemption_id": made.id, "campaign": {"id": made.campaign_id, "name": made.campaign_name,
                                                   "offer": made.offer},
            "give": f"Give: {made.offer or made.campaign_name}", "customer": customer_json(customer),
            "location": made.location_name, "repeated": made.repeated}


def voucher_json(code: str) -> dict:
    """Return a voucher's code, as printed, with its page and its QR code."""
    return {"code": code, "formatted": codes.format_code(code), "url": voucher_url(code),
            "qr_svg_url": qr_svg_url(code)}


def voucher_state_json(voucher: Voucher, state: str, first_redemption: dict | None) -> dict:
    """Return a voucher looked up: its state, campaign, customer and (when redeemed) its redemption."""
    campaign = voucher.campaign
    return {**voucher_json(voucher.code), "state": state, "issued_at": voucher.issued_at.isoformat(),
            "batch_label": voucher.batch_label,
            "campaign": {"id": campaign.id, "name": campaign.name, "offer": campaign.offer, "status": campaign.status,
                         "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
                         "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None},
            "customer": customer_json(voucher.customer), "redemption": first_redemption}


def synced_redemption_json(row: RedemptionRow) -> dict:
    """Return a redemption as the sync API hands it out (undone ones too, with when and why)."""
    return {"id": row.id, "code": row.code, "formatted": codes.format_code(row.code),
            "redeemed_at": row.redeemed_at.isoformat(), "recorded_at": row.recorded_at.isoformat(),
            "campaign": {"id": row.campaign_id, "name": row.campaign_name}, "customer": customer_json(row.customer),
            "location": row.location, "undone_at": row.undone_at.isoformat() if row.undone_at else None,
            "undo_reason": row.undo_reason}


def purchase_json(purchase_id: int) -> dict:
    """Return a stored purchase as the API shows it."""
    return sale_json(purchase_details(purchase_id))


def sale_json(sale: PurchaseDetails) -> dict:
    """Return a purchase read with what it names as the API shows it."""
    return {"id": sale.id, "external_id": sale.external_id,
            "amount": money.to_json(sale.amount_cents, get_settings().currency),
            "occurred_at": sale.occurred_at.isoformat(), "customer": customer_json(sale.customer),
            "voucher_code": sale.voucher_code, "refund_of": sale.refund_of, "location": sale.location,
            "attributed_campaign_id": sale.campaign_id, "voided": sale.voided}


def campaign_json(campaign) -> dict:
    """Return a campaign as the API shows it (money as decimal strings)."""
    currency = get_settings().currency
    margin = campaign.gross_margin_bp / 100
    return {
        "id": campaign.id, "name": campaign.name, "kind": campaign.kind, "offer": campaign.offer,
        "unit_cost": money.to_json(campaign.unit_cost_cents, currency),
        "retail_value": money.to_json(campaign.retail_value_cents, currency),
        "fixed_cost": money.to_json(campaign.fixed_cost_cents, currency),
        "gross_margin_pct": int(margin) if margin == int(margin) else margin,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "voucher_limit": campaign.voucher_limit, "per_customer_limit": campaign.per_customer_limit,
        "attribution_window_days": campaign.attribution_window_days,
        "unreturned_gift_limit": campaign.unreturned_gift_limit, "status": campaign.status,
        "feedback_question": campaign.feedback_question, "feedback_question_2": campaign.feedback_question_2,
        "feedback_mail_delay_hours": campaign.feedback_mail_delay_hours, "claim_url": claim_url(campaign),
        "vouchers_issued": campaign.vouchers_issued, "currency": currency,
        "archived_at": campaign.archived_at.isoformat() if campaign.archived_at else None,
        "created_at": campaign.created_at.isoformat(), "updated_at": campaign.updated_at.isoformat(),
    }
