"""What a campaign costs: the budget it commits and what it has spent (METRICS.md `cost`)."""
from campaigns.models import Campaign
from campaigns.reports.counts import redeemed_count


def budget(campaign: Campaign, redeemed: int | None = None) -> dict:
    """Return what the campaign commits (fixed + unit × voucher limit, None without a limit) and what it has
    spent so far (unit × redeemed, plus the fixed cost once it has gone live: METRICS.md)."""
    if redeemed is None:
        redeemed = redeemed_count(campaign.id) if campaign.id else 0
    committed = None
    if campaign.voucher_limit is not None:
        committed = campaign.fixed_cost_cents + campaign.unit_cost_cents * campaign.voucher_limit
    spent = (campaign.fixed_cost_cents if campaign.went_live_at else 0) + campaign.unit_cost_cents * redeemed
    return {"committed_cents": committed, "spent_cents": spent,
            "redeemed": redeemed}
