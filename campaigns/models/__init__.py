"""The data model; importing this package registers every table."""
from .accounts import ROLES, ApiToken, BusinessSettings, Location, User
from .audit import AuditEntry
from .campaign import CAMPAIGN_KINDS, CAMPAIGN_STATUSES, VOUCHER_CHANNELS, Campaign, Voucher
from .customer import AudienceAssignment, Customer, Feedback, FeedbackInvite
from .imports import IMPORT_STATUSES, CustomerLink, ImportMapping, PurchaseImport
from .sales import Purchase, Redemption
from .types import UTCDateTime, utcnow

__all__ = [
    "ROLES", "ApiToken", "BusinessSettings", "Location", "User", "AuditEntry",
    "CAMPAIGN_KINDS", "CAMPAIGN_STATUSES", "VOUCHER_CHANNELS", "Campaign", "Voucher",
    "AudienceAssignment", "Customer", "Feedback", "FeedbackInvite", "IMPORT_STATUSES", "CustomerLink", "ImportMapping",
    "PurchaseImport", "Purchase", "Redemption", "UTCDateTime", "utcnow",
]
