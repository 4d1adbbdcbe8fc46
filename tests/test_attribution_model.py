"""Attribution against a model: random small histories made through the services, checked against METRICS.md.

Hypothesis writes a history: 2-3 active campaigns with 1-5 day windows, 1-3 customers, a pool of vouchers issued
in a random interleaving (so voucher ids say nothing about the order of anything else), and a sequence of events
in random ARRIVAL order whose own times sit on a 12-hour grid (so ties and window ends fall exactly on each other)
nudged by +-1 microsecond or +1 second now and then. Events: redemptions (identified or anonymous, of a fresh or
an undone voucher), purchases (some naming a voucher), refunds (up to what is left of the original), undone
redemptions, voided purchases and refunds, changed windows, customers attached to anonymous vouchers, and checks.
At every check, and at the end, the SQL of campaigns.reports.attribution must agree with `reference()` below, and
so must the report's figures read from the stored attribution (reports/attribution_store.py) twice: first with the
customers the history's writes marked computed afresh, then after a refresh, when the stored rows, brought up to
date one check after another, must also equal the same rows computed from scratch:
plain loops over what the test itself wrote down, read straight from METRICS.md ("attributed purchase",
"refund", `revenue`, `converted_customers`). Nothing here commits: each example ends by rolling back.
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, select

from campaigns.accounts.users import create_user
from campaigns.contacts.contact import make_contact
from campaigns.contacts.matching import find_or_create
from campaigns.desk import redemption, undo
from campaigns.extensions import db
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import attach_customer, issue_batch
from campaigns.models import Campaign, Purchase, Voucher
from campaigns.reports import attribution_store
from campaigns.reports.attribution import campaign_of, customer_revenue
from campaigns.sales.corrections import refund_purchase, void_purchase
from tests.designs import change, design
from tests.figures_read import attribution_from_scratch, campaign_revenue, revenue_by_campaign, stored_attribution
from tests.ledger_rows import record_purchase

# 06:59:59.999999 puts a whole second one microsecond away; 8 March 2026 is the US change to summer time.
BASES = [datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC), datetime(2026, 3, 6, 6, 59, 59, 999999, tzinfo=UTC),
         datetime(2026, 3, 2, 0, 0, 0, 123456, tzinfo=UTC)]
STEP = timedelta(hours=12)
GRID = 12                      # event times are base + k * 12 hours, k in 0..GRID (6 days: past any window)
NUDGES = [timedelta(0)] * 4 + [timedelta(microseconds=1), timedelta(microseconds=-1), timedelta(seconds=1)]
POOL = 5                       # vouchers issued per campaign before anything happens
EXAMPLES = 30  # each run draws new histories (CI runs at every stop); 80 cost the suite a minute

PICK = st.integers(0, 63)      # which of the candidates an event acts on (modulo how many there are)
WHO = st.sampled_from([0, 0, 1, 2, None])   # a customer (modulo how many there are), or anonymous
WHEN = st.tuples(st.integers(0, GRID), st.sampled_from(NUDGES))
# A redemption on the grid, or at the very moment of an earlier one (a tie); a purchase on the grid, or a whole
# number of 12-hour steps after some redemption (0..5 days: on, inside and just past every window's end), or at
# the end of some redemption's window as it stands (nudged, so just inside or just past it).
REDEEM_WHEN = st.one_of(st.tuples(st.just("at"), st.integers(0, GRID), st.sampled_from(NUDGES[:5])),
                        st.tuples(st.just("tie"), PICK))
BUY_WHEN = st.one_of(st.tuples(st.just("at"), st.integers(0, GRID), st.sampled_from(NUDGES)),
                     st.tuples(st.just("after"), PICK, st.integers(0, 10), st.sampled_from(NUDGES)),
                     st.tuples(st.just("end"), PICK, st.sampled_from(NUDGES)))
EVENTS = {
    "redeem": st.tuples(st.just("redeem"), st.integers(0, 2), PICK, WHO, REDEEM_WHEN),
    "buy": st.tuples(st.just("buy"), WHO, BUY_WHEN, st.integers(1, 5000), st.one_of(st.none(), st.none(), PICK)),
    "refund": st.tuples(st.just("refund"), PICK, st.one_of(st.just("all"), st.integers(0, 10_000)), WHEN,
                        st.sampled_from(["service", "same", "other"]), WHO),
    "undo": st.tuples(st.just("undo"), PICK),
    "void": st.tuples(st.just("void"), PICK),
    "window": st.tuples(st.just("window"), st.integers(0, 2), st.integers(1, 5)),
    "attach": st.tuples(st.just("attach"), PICK, st.integers(0, 2)),
    "check": st.tuples(st.just("check")),
}
# "check" first: it is what the shrinker turns events into, so a shrunk history keeps only what matters.
WEIGHTS = ["check"] + ["redeem"] * 4 + ["buy"] * 5 + ["refund"] * 2 + ["undo", "void", "window", "attach"]
EVENT = st.sampled_from(WEIGHTS).flatmap(EVENTS.__getitem__)
HISTORY = st.fixed_dictionaries({
    "base": st.sampled_from(BASES),
    "windows": st.lists(st.integers(1, 5), min_size=2, max_size=3),
    "customers": st.integers(1, 3),
    "issue_order": st.lists(st.integers(0, 2), min_size=3 * POOL, max_size=3 * POOL),
    "events": st.lists(EVENT, min_size=6, max_size=30),
})


# What the test itself wrote down: the model the reference reads.

@dataclass
class VoucherRow:
    id: int
    code: str
    campaign: int                      # index into Model.campaign_ids
    customer: int | None = None        # customer id


@dataclass
class RedemptionRow:
    id: int
    voucher: VoucherRow
    at: datetime
    customer: int | None
    live: bool = True


@dataclass
class PurchaseRow:
    id: int
    obj: Purchase
    customer: int | None
    voucher_id: int | None
    at: datetime
    amount: int
    refund_of: int | None = None
    voided: bool = False


@dataclass
class Model:
    campaign_ids: list = field(default_factory=list)
    windows: list = field(default_factory=list)          # days, by campaign index
    customer_ids: list = field(default_factory=list)
    vouchers: list = field(default_factory=list)
    redemptions: list = field(default_factory=list)
    purchases: dict = field(default_factory=dict)        # id -> PurchaseRow, in arrival order


def reference(model: Model) -> dict[int, int]:
    """METRICS.md in loops: purchase id -> campaign id for every attributed live purchase and live refund."""
    found = {}
    for p in model.purchases.values():
        if p.voided or p.refund_of is not None or p.customer is None:
            continue
        best = None
        for r in model.redemptions:
            window = timedelta(days=model.windows[r.voucher.campaign])
            if r.live and r.customer == p.customer and r.at < p.at <= r.at + window:
                # last touch: the latest R wins; ties go to the lower voucher id
                if best is None or r.at > best.at or (r.at == best.at and r.voucher.id < best.voucher.id):
                    best = r
        if best is not None:
            found[p.id] = model.campaign_ids[best.voucher.campaign]
    for p in model.purchases.values():
        # a refund is attributed wherever its original was, whatever its own date (or customer)
        if not p.voided and p.refund_of is not None and p.refund_of in found:
            found[p.id] = found[p.refund_of]
    return found


def reference_figures(model: Model, found: dict[int, int]) -> tuple[dict, dict, dict]:
    """Revenue by campaign, each campaign's (revenue, purchases, converted customers), revenue by customer."""
    revenue, sales, net = {}, {}, {}
    for pid, campaign_id in found.items():
        p = model.purchases[pid]
        buyer = model.purchases[p.refund_of].customer if p.refund_of is not None else p.customer
        revenue[campaign_id] = revenue.get(campaign_id, 0) + p.amount
        sales[campaign_id] = sales.get(campaign_id, 0) + (p.refund_of is None)
        net[campaign_id, buyer] = net.get((campaign_id, buyer), 0) + p.amount
    figures = {}
    for campaign_id in model.campaign_ids:
        converted = sum(1 for (c, _), total in net.items() if c == campaign_id and total > 0)
        figures[campaign_id] = {"revenue_cents": revenue.get(campaign_id, 0), "purchases": sales.get(campaign_id, 0),
                                "customers": converted}
    by_customer = {}
    for (campaign_id, buyer), total in net.items():
        by_customer.setdefault(buyer, {})[campaign_id] = total
    return revenue, figures, by_customer


def check(model: Model, every_one_alone: bool = False) -> None:
    """The SQL answers exactly what the reference does."""
    found = reference(model)
    ids = list(model.purchases)
    assert campaign_of(ids) == found
    if every_one_alone:  # asked one at a time (a refund alone must find its original)
        for pid in ids:
            assert campaign_of([pid]) == ({pid: found[pid]} if pid in found else {}), pid
    revenue, figures, by_customer = reference_figures(model, found)
    assert revenue_by_campaign() == {cid: cents for cid, cents in revenue.items() if cents}
    for campaign_id in model.campaign_ids:
        assert campaign_revenue(campaign_id) == figures[campaign_id], campaign_id
    for customer_id in model.customer_ids:
        assert customer_revenue(customer_id) == by_customer.get(customer_id, {}), customer_id
    for refreshed in (False, True):  # marked customers computed afresh; then everything read from the store
        if refreshed:
            attribution_store.recompute(db.session.connection())
            assert stored_attribution() == attribution_from_scratch()
        stored = attribution_store.current()
        assert isinstance(stored.purchases, Table) or not refreshed  # after a refresh, the store alone is read
        for campaign_id in model.campaign_ids:
            assert campaign_revenue(campaign_id, stored) == figures[campaign_id], (campaign_id, refreshed)


# Running a history through the services.

class Run:
    """Plays one history through the services and keeps the model up to date."""

    def __init__(self, history: dict):
        self.base = history["base"]
        self.model = Model()
        self.sales = 0
        self.boss = create_user("boss@example.com", "Boss", "owner", "long enough pw")
        self.campaigns = []
        for index, window in enumerate(history["windows"]):
            made = campaigns.create_campaign(design({"name": f"Free thing {index}", "offer": "One free thing",
                                                     "unit_cost": "0.85", "attribution_window_days": window,
                                                     "per_customer_limit": 100}))
            campaigns.set_status(made, "active")
            self.campaigns.append(made)
            self.model.campaign_ids.append(made.id)
            self.model.windows.append(window)
        self.emails = [f"customer{i}@example.com" for i in range(history["customers"])]
        self.customers = [find_or_create(make_contact(email)) for email in self.emails]
        self.model.customer_ids = [customer.id for customer in self.customers]
        for index in history["issue_order"]:
            index %= len(self.campaigns)
            code = issue_batch(self.campaigns[index], 1, "pool")[0]
            voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.code == code))
            self.model.vouchers.append(VoucherRow(voucher_id, code, index))
        note(f"base {self.base.isoformat()}; campaigns {self.model.campaign_ids} with windows {self.model.windows} "
             f"days; customers {self.model.customer_ids}; vouchers (id: campaign) "
             f"{ {v.id: self.model.campaign_ids[v.campaign] for v in self.model.vouchers} }")

    def when(self, moment: datetime) -> str:
        """A moment as the base plus whole hours, and its nudge off the grid in microseconds when it has one."""
        steps = round((moment - self.base) / STEP)
        nudge = (moment - self.base - steps * STEP) // timedelta(microseconds=1)
        return f"base+{steps * 12}h" + (f"{nudge:+d}us" if nudge else "")

    def at(self, k: int, nudge: timedelta) -> datetime:
        return self.base + k * STEP + nudge

    def who(self, choice: int | None) -> int | None:
        return None if choice is None else choice % len(self.customers)

    def play(self, event: tuple) -> None:
        getattr(self, "do_" + event[0])(*event[1:])

    def do_check(self) -> None:
        note("check")
        check(self.model)

    def do_redeem(self, campaign: int, pick: int, who: int | None, when: tuple) -> None:
        campaign %= len(self.campaigns)
        live = {r.voucher.id for r in self.model.redemptions if r.live}
        free = [v for v in self.model.vouchers if v.campaign == campaign and v.id not in live]
        if not free:
            return
        voucher = free[pick % len(free)]
        if voucher.customer is not None:  # a voucher that has its customer is redeemed by them
            who = self.model.customer_ids.index(voucher.customer)
        else:
            who = self.who(who)
        contact = None if who is None else make_contact(self.emails[who])
        if when[0] == "at":
            moment = self.at(*when[1:])
        else:  # at the moment of an earlier redemption
            earlier = [r.at for r in self.model.redemptions] or [self.base]
            moment = earlier[when[1] % len(earlier)]
        made = redemption.redeem(voucher.code, redemption.Attempt(customer=contact, scanned_at=moment),
                                 now=moment + timedelta(minutes=3))
        assert (made.voucher_id, made.redeemed_at) == (voucher.id, moment)
        note(f"redemption {made.id}: voucher {voucher.id} (campaign {made.campaign_id}) at {self.when(moment)} "
             f"by customer {made.customer_id}")
        self.model.redemptions.append(RedemptionRow(made.id, voucher, moment, voucher.customer))
        if who is not None and voucher.customer is None:  # the desk named the customer of an anonymous voucher:
            self.attached(voucher, self.model.customer_ids[who])  # attached to it as the redemption is made

    def _record(self, amount: int, moment: datetime, customer: int | None, voucher_id: int | None,
                refund_of: int | None = None) -> None:
        self.sales += 1
        made, new = record_purchase(f"till-{self.sales}", amount, moment, customer_id=customer,
                                    voucher_id=voucher_id, refund_of_id=refund_of, now=moment)
        assert new
        # The ledger names the customer as it does for every way in (a voucher's redeemer when none is named; a
        # refund's original's): the model holds what was stored, which is what attribution reads.
        customer = made.customer_id
        note(f"purchase {made.id}: {amount} cents at {self.when(moment)} by customer {customer}, voucher {voucher_id}"
             + (f", refunding purchase {refund_of}" if refund_of else ""))
        self.model.purchases[made.id] = PurchaseRow(made.id, made, customer, voucher_id, moment, amount, refund_of)

    def do_buy(self, who: int | None, when: tuple, cents: int, voucher: int | None) -> None:
        who = self.who(who)
        customer = None if who is None else self.model.customer_ids[who]
        if when[0] == "at" or not self.model.redemptions:
            moment = self.at(when[1] if when[0] == "at" else GRID // 2, when[-1])
        else:  # by whoever redeemed then, if anyone is known
            after = self.model.redemptions[when[1] % len(self.model.redemptions)]
            steps = when[2] * STEP if when[0] == "after" else timedelta(days=self.model.windows[after.voucher.campaign])
            moment = after.at + steps + when[-1]
            customer = after.customer if after.customer is not None else customer
        voucher_id = None if voucher is None else self.model.vouchers[voucher % len(self.model.vouchers)].id
        self._record(cents, moment, customer, voucher_id)

    def _refunded(self, pid: int) -> int:
        return -sum(p.amount for p in self.model.purchases.values() if p.refund_of == pid and not p.voided)

    def do_refund(self, pick: int, size: int | str, when: tuple, how: str, who: int | None) -> None:
        open_ = [p for p in self.model.purchases.values()
                 if p.refund_of is None and not p.voided and p.amount > self._refunded(p.id)]
        if not open_:
            return
        original = open_[pick % len(open_)]
        left = original.amount - self._refunded(original.id)
        cents = left if size == "all" else 1 + size % left
        moment = self.at(*when)
        if how == "service":  # dated when it is typed, for the original's customer and voucher
            db.session.refresh(original.obj)  # a customer attached since was written past the ORM
            made, new = refund_purchase(original.obj, cents, f"refund-{self.sales}", self.boss.id, now=moment)
            self.sales += 1
            assert new and made.customer_id == original.customer
            note(f"purchase {made.id}: refund_purchase of {cents} cents of purchase {original.id} "
                 f"at {self.when(moment)}")
            self.model.purchases[made.id] = PurchaseRow(made.id, made, original.customer, original.voucher_id,
                                                        moment, -cents, original.id)
            return
        customer = original.customer
        if how == "other":   # sent in by an import naming someone else, or nobody
            who = self.who(who)
            customer = None if who is None else self.model.customer_ids[who]
        self._record(-cents, moment, customer, original.voucher_id, refund_of=original.id)

    def do_undo(self, pick: int) -> None:
        live = [r for r in self.model.redemptions if r.live]
        if not live:
            return
        chosen = live[pick % len(live)]
        undo.undo(chosen.id, self.boss, "scanned the wrong voucher", now=chosen.at + timedelta(minutes=30))
        chosen.live = False
        note(f"undo redemption {chosen.id}")

    def do_void(self, pick: int) -> None:
        standing = [p for p in self.model.purchases.values() if not p.voided]
        if not standing:
            return
        chosen = standing[pick % len(standing)]
        note(f"void purchase {chosen.id}")
        void_purchase(chosen.obj, "rung up by mistake", self.boss.id, now=chosen.at + timedelta(hours=1))
        for p in self.model.purchases.values():
            if p is chosen or (p.refund_of == chosen.id and not p.voided):
                p.voided = True

    def do_window(self, campaign: int, days: int) -> None:
        campaign %= len(self.campaigns)
        change(self.campaigns[campaign], {"attribution_window_days": days})
        self.model.windows[campaign] = days
        note(f"campaign {self.model.campaign_ids[campaign]}: window {days} days")

    def do_attach(self, pick: int, who: int) -> None:
        anonymous = [v for v in self.model.vouchers if v.customer is None]
        if not anonymous:
            return
        voucher = anonymous[pick % len(anonymous)]
        customer = self.customers[who % len(self.customers)]
        attach_customer(db.session.get(Voucher, voucher.id), customer)
        note(f"attach customer {customer.id} to voucher {voucher.id}")
        self.attached(voucher, customer.id)

    def attached(self, voucher: VoucherRow, customer_id: int) -> None:
        """The model's side of attaching a customer to a voucher (vouchers.attach_customer)."""
        voucher.customer = customer_id
        for r in self.model.redemptions:   # its live redemption becomes theirs (an undone one stays as it was)
            if r.voucher is voucher and r.live:
                r.customer = customer_id
        for p in self.model.purchases.values():   # and so does anything rung up naming it, for nobody
            if p.voucher_id == voucher.id and p.customer is None:
                p.customer = customer_id


@settings(max_examples=EXAMPLES, deadline=None, phases=[p for p in Phase if p != Phase.explain],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=HISTORY)
@example(history={  # an anonymous sale naming a voucher, then the voucher redeemed for a named customer: theirs
    "base": BASES[0], "windows": [1, 1], "customers": 1, "issue_order": [0, 1] * 7 + [0],
    "events": [("buy", None, ("at", 0, timedelta(microseconds=1)), 100, 0), ("check",),
               ("redeem", 0, 0, 0, ("at", 0, timedelta(0)))]})
def test_attribution_agrees_with_a_plain_reading_of_metrics(ctx, history):
    # Each example starts from the empty database the last one rolled back to.
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
    try:
        run = Run(history)
        for event in history["events"]:
            run.play(event)
        check(run.model, every_one_alone=True)
    finally:
        db.session.rollback()
