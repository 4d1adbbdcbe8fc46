"""Demo data: a believable café with six months of campaigns, vouchers, redemptions and purchases."""
import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from . import accounts, business, codes
from .extensions import db
from .models import AudienceAssignment, Campaign, Customer, Feedback, Purchase, Redemption, Voucher, utcnow

DEMO_USERS = (
    ("owner@example.com", "Olivia Owner", "owner", "demo-owner-pass"),
    ("marketer@example.com", "Marco Marketer", "marketer", "demo-marketer-pass"),
    ("staff@example.com", "Ana Staff", "staff", "demo-staff-pass"),
    ("ben@example.com", "Ben Staff", "staff", "demo-staff-pass"),
)
FIRST = ("Ana", "Ben", "Carla", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jin", "Kai", "Lena", "Mia", "Noor",
         "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wes", "Yara", "Zoe")
LAST = ("Silva", "Moreau", "Khan", "Okafor", "Nguyen", "Rossi", "Schmidt", "Tanaka", "Lopez", "Novak", "Berg")
# name, kind, offer, unit cost, retail value, fixed cost, margin bp, start (days ago), end (days ago, None
# for open), status, batches as (label, count), redeem share, conversion share
CAMPAIGNS = (
    ("Free latte for new neighbours", "sample", "One free latte, any size", 85, 450, 12000, 6800, 180, 30, "ended",
     (("flyer A", 800), ("flyer B", 700)), 0.36, 0.45),
    ("Free pastry with your coffee", "sample", "One free pastry of your choice", 60, 350, 4000, 6500, 90, -60,
     "active", (("market stall", 1000),), 0.30, 0.35),
    ("Free coffee tasting class", "service", "A free 45-minute coffee tasting class", 600, 2500, 8000, 7000, 120,
     None, "active", (), 0.42, 0.55),
    ("Cold brew for the mailing list", "sample", "One free cold brew", 70, 400, 0, 6800, 75, -15, "active", (),
     0.38, 0.40),
    ("Holiday cookie box", "sample", "A free box of four holiday cookies", 150, 900, 5000, 6000, -10, -40, "draft",
     (), 0, 0),
)
FEEDBACK = ("Loved the flavour, will be back", "Friendly staff", "A bit too sweet for me", "Great value",
            "Nice place to work from", "Quick service", "I didn't know you did classes!", "Will bring friends")


def seed(seed: int = 7, now: datetime | None = None) -> dict:
    """Create demo users, locations, settings and data; return counts of what was made."""
    rng = random.Random(seed)
    now = now or utcnow()
    settings = business.get_settings()
    settings.business_name, settings.currency, settings.time_zone = "Corner Bean Café", "USD", "America/New_York"
    settings.default_gross_margin_bp, settings.default_phone_region = 6800, "US"
    users = [accounts.create_user(email, name, role, password) for email, name, role, password in DEMO_USERS]
    staff_ids = [u.id for u in users if u.role == "staff"]
    locations = [business.create_location("Main St", "12 Main St"),
                 business.create_location("Harbour kiosk", "Pier 3")]
    customers = _make_customers(rng, now, 2200)
    summary = {"users": len(users), "customers": len(customers), "vouchers": 0, "redemptions": 0, "purchases": 0}
    redeemed_by = []  # (customer_id, redeemed_at, converts)
    pool = list(customers)
    rng.shuffle(pool)
    for spec in CAMPAIGNS:
        campaign = _make_campaign(spec, now, users[1].id)
        made, redeemed, redeemers = _campaign_vouchers(rng, campaign, spec, now, pool, staff_ids, locations)
        summary["vouchers"] += made
        summary["redemptions"] += redeemed
        redeemed_by.extend(redeemers)
    summary["purchases"] = _make_purchases(rng, now, customers, redeemed_by, [loc.id for loc in locations])
    return summary


def describe(summary: dict) -> str:
    """Return what seed() made and how to log in, for people."""
    lines = [f"Demo data: {summary['vouchers']} vouchers, {summary['redemptions']} redemptions, "
             f"{summary['customers']} customers, {summary['purchases']} purchases.", "Demo log-ins:"]
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


def _make_customers(rng: random.Random, now: datetime, count: int) -> list[int]:
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        has_email, has_phone = rng.random() < 0.85, rng.random() < 0.5
        rows.append({
            "email": f"{first}.{last}.{i}@example.com".lower() if has_email or not has_phone else None,
            "phone": f"+1202555{i:04d}" if has_phone else None,
            "name": f"{first} {last}", "created_at": now - timedelta(days=rng.randint(1, 400)),
        })
    db.session.execute(insert(Customer), rows)
    return list(db.session.scalars(select(Customer.id).order_by(Customer.id)))


def _make_campaign(spec, now: datetime, marketer_id: int) -> Campaign:
    name, kind, offer, unit, retail, fixed, margin, start, end, status = spec[:10]
    campaign = Campaign(
        name=name, kind=kind, offer=offer, unit_cost_cents=unit, retail_value_cents=retail, fixed_cost_cents=fixed,
        gross_margin_bp=margin, starts_on=(now - timedelta(days=start)).date(),
        ends_on=(now - timedelta(days=end)).date() if end is not None else None,
        status=status, voucher_limit=None, per_customer_limit=1, attribution_window_days=60,
        created_by_id=marketer_id, created_at=now - timedelta(days=max(start, 0) + 7),
        claim_slug=secrets.token_urlsafe(9) if kind == "service" else None,  # its vouchers come from a claim page
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def _campaign_vouchers(rng, campaign, spec, now, pool, staff_ids, locations):
    """Issue, redeem and give feedback on one campaign's vouchers; return the redeeming customers."""
    batches, redeem_share, convert_share = spec[10], spec[11], spec[12]
    start_days = spec[7]
    issued_at = now - timedelta(days=max(start_days, 0) + 3)
    rows = []
    for label, count in batches:
        rows += [{"campaign_id": campaign.id, "code": code, "channel": "batch", "batch_label": label,
                  "issued_at": issued_at} for code in codes.generate_many(count)]
    personal = []
    if campaign.kind == "service":
        personal = [pool.pop() for _ in range(300)]
        rows += [{"campaign_id": campaign.id, "code": code, "channel": "claim", "batch_label": "claim page",
                  "customer_id": cid, "customer_slot": 1,
                  "issued_at": issued_at + timedelta(days=rng.randint(0, start_days - 5))}
                 for cid, code in zip(personal, codes.generate_many(len(personal)))]
    elif campaign.name.startswith("Cold brew"):
        members = [pool.pop() for _ in range(600)]
        _audience(rng, campaign, members, now - timedelta(days=start_days), rows)
    if not rows:
        return 0, 0, []
    db.session.execute(insert(Voucher), rows)
    campaign.vouchers_issued = len(rows)
    vouchers = db.session.execute(
        select(Voucher.id, Voucher.customer_id).where(Voucher.campaign_id == campaign.id).order_by(Voucher.id)).all()
    _link_audience_vouchers(campaign.id)
    redeemers, redemptions, feedback = [], [], []
    days_live = max(1, min(start_days, start_days - (spec[8] or 0)) - 1)
    for voucher_id, customer_id in vouchers:
        if rng.random() >= redeem_share:
            continue
        redeemed_at = now - timedelta(days=start_days) + timedelta(days=rng.uniform(0.5, days_live),
                                                                   hours=rng.uniform(0, 2))
        slot = None
        if customer_id is None and rng.random() < 0.7 and pool:
            customer_id, slot = pool.pop(), 1  # attached at the desk: a customer new to this campaign
        redemptions.append({"voucher_id": voucher_id, "campaign_id": campaign.id, "customer_id": customer_id,
                            "redeemed_at": redeemed_at, "recorded_at": redeemed_at, "slot": slot,
                            "location_id": rng.choice(locations).id, "user_id": rng.choice(staff_ids)})
        if customer_id is not None:
            redeemers.append((customer_id, redeemed_at, rng.random() < convert_share))
        if rng.random() < 0.25:
            feedback.append({"voucher_id": voucher_id, "campaign_id": campaign.id, "rating": rng.choice((3, 4, 4, 5, 5)),
                             "answer": rng.choice(FEEDBACK), "would_buy": rng.random() < 0.7,
                             "created_at": redeemed_at + timedelta(hours=2)})
    if redemptions:
        db.session.execute(insert(Redemption), [{k: v for k, v in r.items() if k != "slot"} for r in redemptions])
        for r in redemptions:
            attached = {"customer_id": r["customer_id"], "customer_slot": r["slot"]} if r["slot"] else {}
            db.session.execute(Voucher.__table__.update().where(Voucher.id == r["voucher_id"])
                               .values(redeemed_at=r["redeemed_at"], **attached))
    if feedback:
        db.session.execute(insert(Feedback), feedback)
    return len(rows), len(redemptions), redeemers


def _audience(rng, campaign, members, assigned_at, rows):
    """Assign members 80/20 to treatment and control; treatment members get personal vouchers."""
    assignments = []
    for cid, code in zip(members, codes.generate_many(len(members))):
        group = "control" if rng.random() < 0.2 else "treatment"
        assignments.append({"campaign_id": campaign.id, "customer_id": cid, "group_name": group,
                            "holdout_pct": 20, "assigned_at": assigned_at})
        if group == "treatment":
            rows.append({"campaign_id": campaign.id, "code": code, "channel": "audience",
                         "batch_label": "mailing list", "customer_id": cid, "customer_slot": 1,
                         "issued_at": assigned_at})
    db.session.execute(insert(AudienceAssignment), assignments)


def _link_audience_vouchers(campaign_id: int) -> None:
    for assignment_id, voucher_id in db.session.execute(
        select(AudienceAssignment.id, Voucher.id)
        .join(Voucher, (Voucher.customer_id == AudienceAssignment.customer_id)
              & (Voucher.campaign_id == AudienceAssignment.campaign_id))
        .where(AudienceAssignment.campaign_id == campaign_id)
    ).all():
        db.session.execute(AudienceAssignment.__table__.update().where(AudienceAssignment.id == assignment_id)
                           .values(voucher_id=voucher_id))


def _make_purchases(rng, now, customers, redeemed_by, location_ids) -> int:
    """Redeemers who convert buy repeatedly after their visit; everyone else buys now and then."""
    rows = []

    def buy(customer_id, when):
        if when < now:
            rows.append({"external_id": f"demo-{len(rows) + 1:06d}", "customer_id": customer_id,
                         "amount_cents": rng.choice((350, 420, 480, 650, 890, 1250, 1800, 2400)),
                         "occurred_at": when, "location_id": rng.choice(location_ids),
                         "content_hash": "demo", "recorded_at": when})

    for customer_id, redeemed_at, converts in redeemed_by:
        if converts:
            when = redeemed_at + timedelta(days=rng.expovariate(1 / 9) + 0.1)
            for _ in range(rng.choice((1, 1, 2, 3, 4, 6, 9))):
                buy(customer_id, when)
                when += timedelta(days=rng.expovariate(1 / 14) + 0.2)
    for customer_id in rng.sample(customers, len(customers) // 4):
        buy(customer_id, now - timedelta(days=rng.uniform(0, 180)))
    db.session.execute(insert(Purchase), rows)
    # A few refunds of earlier purchases.
    refunds = []
    for purchase_id, amount, occurred_at, customer_id in db.session.execute(
        select(Purchase.id, Purchase.amount_cents, Purchase.occurred_at, Purchase.customer_id).order_by(Purchase.id)
    ).all()[::60]:
        refunds.append({"external_id": f"demo-refund-{purchase_id}", "customer_id": customer_id,
                        "amount_cents": -amount, "occurred_at": occurred_at + timedelta(hours=3),
                        "refund_of_id": purchase_id, "content_hash": "demo", "recorded_at": now})
    if refunds:
        db.session.execute(insert(Purchase), refunds)
    return len(rows) + len(refunds)
