"""A campaign's revenue read as the pages read it: from the report's figures (campaigns/reports/figures.py)."""
from campaigns.reports import assemble


def revenue_by_campaign() -> dict[int, int]:
    """The campaign list's revenue, campaigns with none left out."""
    return {cid: cents for cid, cents in assemble.revenue_by_campaign().items() if cents}


def campaign_revenue(campaign_id: int) -> dict:
    """The campaign page's revenue tile: revenue, purchases and paying customers."""
    found = assemble.figures([campaign_id]).get(campaign_id)
    if found is None:
        return {"revenue_cents": 0, "purchases": 0, "customers": 0}
    return {"revenue_cents": found["revenue_cents"], "purchases": found["purchases"],
            "customers": found["converted_customers"]}
