"""Seeding the demo: a believable café's six months, lived through the services in time order as the app would have.

Nothing is written around the services and no counter is set by hand: campaigns are designed, printed,
opened and ended, vouchers claimed, mailed to a holdout audience and redeemed at the desk, and purchases
rung up, each at its moment in the past (`now=`), so every figure the demo shows is one the app could make.
"""
import heapq
import itertools
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from campaigns.accounts import business, first_steps
from campaigns.accounts import users as accounts
from campaigns.contacts.contact import Contact, make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.demo.plans import (
    ANSWER_SHARE,
    BASELINE_SHARE,
    BASKETS,
    BRING_BACK,
    CAMPAIGNS,
    CLAIMERS,
    DESK,
    HOLDOUT_PCT,
    LIKED,
    LOCATIONS,
    MAILING_LIST,
    REFUND_SHARE,
    REGULARS,
    SCORES_NOT,
    SCORES_WON,
    VISITS,
    WALK_INS,
    Plan,
)
from campaigns.desk.redemption import Attempt, redeem
from campaigns.extensions import db
from campaigns.feedback import answers as feedback
from campaigns.giving import audiences, vouchers
from campaigns.giving.designs import create_campaign, set_status
from campaigns.models import Campaign, Customer, Feedback, Purchase, Redemption, Voucher, utcnow
from campaigns.sales.ledger import store_purchases
from campaigns.sales.rows import PurchaseRow

DEMO_USERS = (
    ("owner@example.com", "Olivia Owner", "owner", "demo-espresso-crema"),
    ("marketer@example.com", "Marco Marketer", "marketer", "demo-flat-white-poster"),
    ("staff@example.com", "Ana Staff", "staff", "demo-oat-milk-latte"),
    ("ben@example.com", "Ben Staff", "staff", "demo-oat-milk-latte"),
)
FIRST = ("Ana", "Ben", "Carla", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jin", "Kai", "Lena", "Mia", "Noor",
         "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wes", "Yara", "Zoe")
LAST = ("Silva", "Moreau", "Khan", "Okafor", "Nguyen", "Rossi", "Schmidt", "Tanaka", "Lopez", "Novak", "Berg")


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
    first_steps.note_report_read(next(u.id for u in users if u.role == "owner"), now=now)  # the owner reads the reports
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
        self.till: list[PurchaseRow] = []  # today's sales and refunds, stored together at the day's end
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
        self.close_till()

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
        set_status(campaign, status, now=when)

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
        sale = PurchaseRow(external_id=f"demo-{self.sales:06d}", amount_cents=self.rng.choice(BASKETS),
                           occurred_at=when, customer_id=customer_id, location=self.location()[0])
        self.ring_up(sale)
        if self.rng.random() < REFUND_SHARE:
            self.at(when + timedelta(hours=self.rng.uniform(0.2, 3)), self.refund, sale)
        if visits > 1:
            self.at(self.later(when, 14), self.buy, customer_id, visits - 1)

    def refund(self, when: datetime, sale: PurchaseRow) -> None:
        """Refund a sale in full (its customer and location are the original's, as the ledger reads a refund)."""
        self.ring_up(PurchaseRow(external_id=f"{sale.external_id}-refund", amount_cents=-sale.amount_cents,
                                       occurred_at=when, refund_of=sale.external_id))

    def ring_up(self, row: PurchaseRow) -> None:
        """Keep a sale or refund on the till; each local day's are stored together that evening, as a till's
        nightly export would be (through the one writer of purchases)."""
        if self.till and self.local_day(row.occurred_at) != self.local_day(self.till[-1].occurred_at):
            self.close_till()
        self.till.append(row)

    def close_till(self) -> None:
        """Store the day's sales and refunds in one call of the ledger; the demo is exact, so any refusal is a bug."""
        if not self.till:
            return
        outcomes = store_purchases(self.till, source="demo", now=self.till[-1].occurred_at)
        refused = [outcome.error for outcome in outcomes if outcome.status != "created"]
        if refused:
            raise RuntimeError(f"the demo's till was refused: {refused[0]}")
        self.till = []
