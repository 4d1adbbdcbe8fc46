"""The demo café's story: its locations, baskets and neighbourhood, and the campaigns it ran, with how people took
them up (the numbers the seeding lives through)."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from campaigns.giving.designs import CampaignDesign

LOCATIONS = (("Main St", "12 Main St", 0.75), ("Harbour kiosk", "Pier 3", 0.25))  # name, address, share of visits
BASKETS = (350, 420, 480, 650, 890, 1250, 1800, 2400)  # cents
VISITS = (1, 1, 1, 2, 2, 3, 4, 6)  # how many times a customer the sample won over comes back to buy
HOLDOUT_PCT = 20
# Of the mailing list, voucher or not, the share who would have come in to buy within the window anyway: without
# it the holdout test's control group would never buy and the lift would be the whole treatment rate.
BASELINE_SHARE = 0.12
REFUND_SHARE = 1 / 60
# Who the neighbourhood is: the mailing list, people who claim the class online, people who give their
# e-mail or phone at the desk when they redeem a flyer, and walk-ins who only ever buy.
MAILING_LIST, CLAIMERS, DESK, WALK_INS = 600, 300, 600, 700
REGULARS = 150  # of everyone, people who also drop in for a coffee now and then
# Feedback: the share of redeemers who answer on their voucher's page (more of those who gave a contact), and
# what they say. Those the sample won over score higher, so the bands differ in conversion as a real shop's do.
ANSWER_SHARE = {True: 0.45, False: 0.12}
SCORES_WON = (6, 7, 8, 8, 9, 9, 9, 10, 10, 10)
SCORES_NOT = (2, 4, 5, 6, 6, 7, 7, 8, 8, 9, 10)
LIKED = ("The crema was lovely", "Friendly staff and a quick service", "Great coffee, really smooth",
         "The oat milk latte was perfect", "Cosy place, friendly staff", "Loved the pastry, very fresh",
         "Learned a lot, and fun", "Smooth and not bitter", "", "",
         "Quick service even when busy", "Great coffee and a cosy place")
BRING_BACK = ("A loyalty card", "Oat milk at no extra cost", "More seats by the window", "Opening earlier", "",
              "", "Another tasting class", "Nothing, I will be back", "Cheaper pastries", "A loyalty card")


@dataclass(frozen=True)
class Plan:
    """One campaign of the story: its design, its dates in days before today, and how people took it up."""

    name: str
    kind: str
    offer: str
    unit_cost: str
    retail_value: str
    fixed_cost: str
    margin_pct: int
    starts: int  # days ago (negative: still to come)
    ends: int | None  # days ago; None for open-ended
    status: str  # what it is today
    batches: tuple[tuple[str, int], ...] = ()  # printed vouchers: (label, count)
    claims: int = 0  # vouchers claimed on its public page
    audience: int = 0  # mailing-list members, HOLDOUT_PCT of them held out
    redeem_share: float = 0.0
    convert_share: float = 0.0  # of identified redeemers, those who come back to buy

    def design(self, today: date) -> CampaignDesign:
        """Return the campaign's design with its dates counted back from `today`."""
        return CampaignDesign(
            name=self.name, kind=self.kind, offer=self.offer, unit_cost=Decimal(self.unit_cost),
            retail_value=Decimal(self.retail_value), fixed_cost=Decimal(self.fixed_cost),
            gross_margin_pct=Decimal(self.margin_pct), starts_on=today - timedelta(days=self.starts),
            ends_on=None if self.ends is None else today - timedelta(days=self.ends), per_customer_limit=1,
            attribution_window_days=60, claim_page=self.claims > 0)


CAMPAIGNS = (
    Plan("Free latte for new neighbours", "sample", "One free latte, any size", "0.85", "4.50", "120.00", 68,
         180, 30, "ended", batches=(("flyer A", 800), ("flyer B", 700)), redeem_share=0.36, convert_share=0.45),
    Plan("Free coffee tasting class", "service", "A free 45-minute coffee tasting class", "8.50", "25.00", "80.00",
         70, 120, None, "active", claims=CLAIMERS, redeem_share=0.42, convert_share=0.55),
    Plan("Free pastry with your coffee", "sample", "One free pastry of your choice", "0.60", "3.50", "40.00", 65,
         90, -60, "active", batches=(("market stall", 1000),), redeem_share=0.30, convert_share=0.35),
    Plan("Cold brew for the mailing list", "sample", "One free cold brew", "0.70", "4.00", "0", 68, 75, -15,
         "active", audience=MAILING_LIST, redeem_share=0.38, convert_share=0.40),
    Plan("Holiday cookie box", "sample", "A free box of four holiday cookies", "1.50", "9.00", "50.00", 60, -10, -40,
         "draft"),
)
