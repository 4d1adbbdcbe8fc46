"""Campaign designs for tests, written the API's way (money as text) and read by the API's own parser."""
from campaigns.giving import designs as campaigns
from campaigns.web.payloads import campaign_changes, new_campaign_design


def design(payload: dict) -> campaigns.CampaignDesign:
    """Return the design an API payload of campaign fields describes."""
    return new_campaign_design(payload)


def change(campaign, payload: dict):
    """Change a campaign the way PATCH /campaigns/{id} does."""
    changes, status = campaign_changes(payload)
    return campaigns.update_campaign(campaign, campaigns.design_of(campaign).changed(**changes), status)
