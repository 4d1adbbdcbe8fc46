"""The data model; importing this package registers every table."""
from campaigns.models.accounts import ROLES, ApiToken, BusinessSettings, Location, User
from campaigns.models.stored_attribution import AttributedPurchase, AttributedRedemption, AttributionStale
from campaigns.models.audit import AuditEntry
from campaigns.models.campaign import CAMPAIGN_KINDS, CAMPAIGN_STATUSES, VOUCHER_CHANNELS, Campaign, Voucher
from campaigns.models.customer import AudienceAssignment, Customer, Feedback, FeedbackInvite
from campaigns.models.delivery import DELIVERY_KINDS, DELIVERY_STATUSES, CampaignSend, Delivery, MailServer
from campaigns.models.imports import IMPORT_STATUSES, CustomerLink, ImportMapping, PurchaseImport, PurchaseImportFile
from campaigns.models.purchase import Purchase
from campaigns.models.redemption import Redemption
from campaigns.models.types import UTCDateTime, utcnow
from campaigns.models.webhook import HOOK_STATUSES, WEBHOOK_EVENTS, Webhook, WebhookDelivery

__all__ = [
    "ROLES", "ApiToken", "BusinessSettings", "Location", "User", "AuditEntry",
    "AttributedPurchase", "AttributedRedemption", "AttributionStale",
    "CAMPAIGN_KINDS", "CAMPAIGN_STATUSES", "VOUCHER_CHANNELS", "Campaign", "Voucher",
    "DELIVERY_KINDS", "DELIVERY_STATUSES", "CampaignSend", "Delivery", "MailServer",
    "AudienceAssignment", "Customer", "Feedback", "FeedbackInvite", "IMPORT_STATUSES", "CustomerLink", "ImportMapping",
    "PurchaseImport", "PurchaseImportFile", "Purchase", "Redemption", "UTCDateTime", "utcnow",
    "HOOK_STATUSES", "WEBHOOK_EVENTS", "Webhook", "WebhookDelivery",
]
