"""Demo data: a believable café's six months, lived through the services in time order as the app would have.

Nothing is written around the services and no counter is set by hand: campaigns are designed, printed,
opened and ended, vouchers claimed, mailed to a holdout audience and redeemed at the desk, and purchases
rung up, each at its moment in the past (`now=`), so every figure the demo shows is one the app could make.
"""
import heapq
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from campaigns.accounts import business
from campaigns.accounts import users as accounts
from campaigns.contacts.contact import Contact, make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.feedback import answers as feedback
from campaigns.giving import audiences, vouchers
from campaigns.giving.designs import CampaignDesign, create_campaign, set_status
from campaigns.models import Campaign, Customer, Feedback, Purchase, Redemption, Voucher, utcnow
from campaigns.sales.ledger import record_purchase

DEMO_USERS = (
    ("owner@example.com", "Olivia Owner", "owner", "demo-espresso-crema"),
    ("marketer@example.com", "Marco Marketer", "marketer", "demo-flat-white-poster"),
    ("staff@example.com", "Ana Staff", "staff", "demo-oat-milk-latte"),
    ("ben@example.com", "Ben Staff", "staff", "demo-oat-milk-latte"),
)
FIRST = ("Ana", "Ben", "Carla", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jin", "Kai", "Lena", "Mia", "Noor",
         "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wes", "Yara", "Zoe")
LAST = ("Silva", "Moreau", "Khan", "Okafor", "Nguyen", "Rossi", "Schmidt", "Tanaka", "Lopez", "Novak", "Berg")
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


def seed(seed: int = 7, now: datetime | None = None) -> dict:
    """Create demo users, locations, settings and six months of the café's life; return counts of what was made."""
    rng = random.Random(seed)
    now = now or utcnow()
    business.update_settings(business_name="Corner Bean Café", currency="USD", time_zone="America/New_York",
                             default_gross_margin_bp=6800, default_phone_region="US")
    users = [accounts.create_user(email, name, role, password) for email, name, role, password in DEMO_USERS]
    locations = [business.create_location(name, address) for name, address, _ in LOCATIONS]
    story = _Story(rng, now, [u.id for u in users if u.role == "staff"], locations, _neighbourhood(rng))
    story.voices.seed(f"feedback {seed}")
    marketer = next(u.id for u in users if u.role == "marketer")
    for plan in CAMPAIGNS:
        created = min(story.today, story.today - timedelta(days=plan.starts)) - timedelta(days=7)
        story.at(story.moment(created, 9), story.design, plan, marketer)
    story.play()
    return {"users": len(users), "customers": _count(Customer), "vouchers": _count(Voucher),
            "redemptions": _count(Redemption, Redemption.undone_at.is_(None)), "purchases": _count(Purchase),
            "answers": _count(Feedback)}


def describe(summary: dict) -> str:
    """Return what seed() made and how to log in, for people."""
    lines = [f"Demo data: {summary['vouchers']} vouchers, {summary['redemptions']} redemptions, "
             f"{summary['customers']} customers, {summary['purchases']} purchases, {summary['answers']} feedback answers.",
             "Demo log-ins:"]
    lines += [f"  {role:<8} {email}  password: {password}" for email, _, role, password in DEMO_USERS]
    return "\n".join(lines)


def describe_logins() -> str:
    """Return the demo log-ins that still work, or say that none do."""
    working = [(email, role, password) for email, _, role, password in DEMO_USERS
               if accounts.authenticate(email, password) is not None]
    db.session.rollback()  # authenticate() stamps last_login_at: this was only a look.
    if not working:
        return "No demo log-ins work in this database (they were changed or never made)."
    return "\n".join(["Demo log-ins:"] + [f"  {role:<8} {email}  password: {password}" for email, role, password in working])


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _neighbourhood(rng: random.Random) -> dict[str, list[Contact]]:
    """Return the people of the story by how they first meet the café; the mailing list all have e-mails."""
    people = []
    for i in range(MAILING_LIST + CLAIMERS + DESK + WALK_INS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        has_email, has_phone = i < MAILING_LIST or rng.random() < 0.85, rng.random() < 0.5
        people.append(make_contact(f"{first}.{last}.{i}@example.com".lower() if has_email or not has_phone else None,
                                   f"+1202555{i:04d}" if has_phone else None, f"{first} {last}"))
    cuts = list(itertools.accumulate((MAILING_LIST, CLAIMERS, DESK)))
    return {"mailing list": people[:cuts[0]], "claimers": people[cuts[0]:cuts[1]], "desk": people[cuts[1]:cuts[2]],
            "walk-ins": people[cuts[2]:], "everyone": people}


class _Story:
    """The café's past as a queue of moments, played in time order through the services."""

    def __init__(self, rng: random.Random, now: datetime, staff_ids: list[int], locations, people: dict):
        self.rng, self.now, self.staff_ids, self.people = rng, now, staff_ids, people
        self.zone = business.business_zone()
        self.today = now.astimezone(self.zone).date()
        self.locations = [(location.name, location.id) for location in locations]
        self.location_weights = [share for _, _, share in LOCATIONS]
        self.queue: list = []
        self.voices = random.Random("feedback")  # its own numbers, so the rest of the story keeps its own
        self.order = itertools.count()
        self.sales = 0
        for contact in people["walk-ins"] + rng.sample(people["everyone"], REGULARS):
            self.at(self.visit(self.today - timedelta(days=180), self.yesterday), self.buy, contact, 1)

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    def at(self, when: datetime | None, action, *args) -> None:
        """Let action(when, *args) happen at `when`, unless that is not in the past."""
        if when is not None and when < self.now:
            heapq.heappush(self.queue, (when, next(self.order), action, args))

    def play(self) -> None:
        """Play every moment in time order; a moment may queue later ones."""
        while self.queue:
            when, _, action, args = heapq.heappop(self.queue)
            action(when, *args)

    def moment(self, day: date, hours: float | None = None) -> datetime:
        """Return a moment of a local day, by default while the café is open (7:00 to 19:00)."""
        hours = self.rng.uniform(7, 19) if hours is None else hours
        return (datetime.combine(day, time(), tzinfo=self.zone) + timedelta(hours=hours)).astimezone(UTC)

    def visit(self, first: date, last: date) -> datetime | None:
        """Return an opening-hours moment on a day from `first` to `last`, or None when there is no such day."""
        if last < first:
            return None
        return self.moment(first + timedelta(days=self.rng.randint(0, (last - first).days)))

    def local_day(self, when: datetime) -> date:
        return when.astimezone(self.zone).date()

    def last_day(self, campaign: Campaign) -> date:
        """Return the last day the campaign's vouchers can have been redeemed by now."""
        return min(campaign.ends_on or self.yesterday, self.yesterday)

    def location(self) -> tuple[str, int]:
        return self.rng.choices(self.locations, self.location_weights)[0]

    # The campaign's life: designed, printed ahead, opened, and (for some) ended.

    def design(self, when: datetime, plan: Plan, marketer_id: int) -> None:
        campaign = create_campaign(plan.design(self.today), marketer_id)
        starts_on = campaign.starts_on
        for label, count in plan.batches:
            self.at(self.moment(starts_on - timedelta(days=3), 10), self.print_batch, campaign, plan, label, count)
        if plan.status == "draft":
            return
        self.at(self.moment(starts_on, 0), self.change_status, campaign, "active")
        if plan.status != "active":
            self.at(self.moment(campaign.ends_on + timedelta(days=1), 0), self.change_status, campaign, plan.status)
        if plan.audience:
            self.at(self.moment(starts_on, 8), self.mail, campaign, plan)
        for contact in self.people["claimers"][:plan.claims]:
            self.at(self.visit(starts_on, self.yesterday), self.claim, campaign, plan, contact)

    def change_status(self, when: datetime, campaign: Campaign, status: str) -> None:
        set_status(campaign, status)

    def print_batch(self, when: datetime, campaign: Campaign, plan: Plan, label: str, count: int) -> None:
        first = max(campaign.starts_on, self.local_day(when) + timedelta(days=1))
        desk = self.people["desk"]
        for code in vouchers.issue_batch(campaign, count, label, now=when):
            if self.rng.random() < plan.redeem_share:
                contact = desk.pop() if desk and self.rng.random() < 0.7 else None  # gave an e-mail or phone
                self.at(self.visit(first, self.last_day(campaign)), self.redeem, plan, code, contact)

    def mail(self, when: datetime, campaign: Campaign, plan: Plan) -> None:
        first = self.local_day(when) + timedelta(days=1)
        for customer, _, voucher in audiences.assign(campaign, self.people["mailing list"][:plan.audience], HOLDOUT_PCT,
                                                     rng=self.rng, now=when, batch_label="mailing list"):
            if self.rng.random() < BASELINE_SHARE:
                self.at(self.later(when, 20), self.buy, customer.id, 1)
            if voucher is not None and self.rng.random() < plan.redeem_share:
                self.at(self.visit(first, self.last_day(campaign)), self.redeem, plan, voucher.code, None)

    def claim(self, when: datetime, campaign: Campaign, plan: Plan, contact: Contact) -> None:
        voucher, _ = vouchers.claim(campaign.claim_slug, contact, now=when)
        if self.rng.random() < plan.redeem_share:  # they come to the class within three weeks, if at all
            first = self.local_day(when) + timedelta(days=1)
            self.at(self.visit(first, min(first + timedelta(days=20), self.last_day(campaign))), self.redeem, plan,
                    voucher.code, None)

    # At the counter.

    def redeem(self, when: datetime, plan: Plan, code: str, contact: Contact | None) -> None:
        attempt = Attempt(user_id=self.rng.choice(self.staff_ids), location=self.location()[0], customer=contact)
        made = redeem(code, attempt, now=when)
        won = made.customer_id is not None and self.rng.random() < plan.convert_share
        if won:
            self.at(self.later(when, 9), self.buy, made.customer_id, self.rng.choice(VISITS))
        if self.voices.random() < ANSWER_SHARE[made.customer_id is not None]:
            self.at(when + timedelta(hours=self.voices.uniform(0.5, 30)), self.answer, code, won)

    def answer(self, when: datetime, code: str, won: bool) -> None:
        """The customer answers the feedback form on their voucher's page."""
        said = feedback.Answer(self.voices.choice(SCORES_WON if won else SCORES_NOT), self.voices.choice(LIKED),
                               self.voices.choice(BRING_BACK))
        feedback.give(code, said, now=when)

    def later(self, when: datetime, mean_days: float) -> datetime:
        """Return an opening-hours moment some days after `when` (about mean_days on average)."""
        day = self.local_day(when) + timedelta(days=1 + int(self.rng.expovariate(1 / mean_days)))
        return self.moment(day)

    def buy(self, when: datetime, customer: int | Contact, visits: int) -> None:
        customer_id = customer if isinstance(customer, int) else find_or_create(customer).id
        self.sales += 1
        purchase, _ = record_purchase(f"demo-{self.sales:06d}", self.rng.choice(BASKETS), when,
                                      customer_id=customer_id, location_id=self.location()[1], now=when,
                                      source="demo")
        if self.rng.random() < REFUND_SHARE:
            self.at(when + timedelta(hours=self.rng.uniform(0.2, 3)), self.refund, purchase)
        if visits > 1:
            self.at(self.later(when, 14), self.buy, customer_id, visits - 1)

    def refund(self, when: datetime, purchase: Purchase) -> None:
        record_purchase(f"{purchase.external_id}-refund", -purchase.amount_cents, when,
                        customer_id=purchase.customer_id, refund_of_id=purchase.id,
                        location_id=purchase.location_id, now=when, source="demo")
