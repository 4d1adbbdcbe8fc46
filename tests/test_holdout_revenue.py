"""The holdout test's revenue (METRICS.md): a member's revenue is their purchases in (A, A + window] and those
purchases' live refunds, whenever the refund was made; so incremental revenue nets refunds on both sides."""
import random
from datetime import timedelta
from fractions import Fraction

from campaigns.accounts.users import create_user
from campaigns.contacts.contact import make_contact
from campaigns.giving import audiences
from campaigns.giving import designs as campaigns
from campaigns.models import utcnow
from campaigns.reports.holdout import holdout
from campaigns.sales.corrections import refund_purchase, void_purchase
from tests.designs import design
from tests.ledger_rows import record_purchase


def test_refunds_come_off_each_members_revenue_and_a_voided_refund_does_not(ctx):
    boss = create_user("boss@example.com", "Boss", "owner", "long enough pw")
    now = utcnow()
    soup = campaigns.create_campaign(design({"name": "Soup", "unit_cost": "1.00", "attribution_window_days": 30}))
    campaigns.set_status(soup, "active", now=now - timedelta(days=40))
    people = [make_contact(f"member{n}@example.com") for n in range(10)]
    members = audiences.assign(soup, people, 50, rng=random.Random(28), now=now - timedelta(days=20))
    treated = [customer for customer, group, _ in members if group == "treatment"]
    held = [customer for customer, group, _ in members if group == "control"]
    assert treated and held  # a seeded draw with both groups
    sale, _ = record_purchase("t-1", 3000, now - timedelta(days=18), customer_id=treated[0].id)
    refund_purchase(sale, 1000, "t-1-refund", boss.id, now=now - timedelta(days=1))  # after the window: still counts
    other, _ = record_purchase("c-1", 500, now - timedelta(days=18), customer_id=held[0].id)
    refund_purchase(other, 500, "c-1-refund", boss.id, now=now - timedelta(days=17))
    kept, _ = record_purchase("c-2", 800, now - timedelta(days=17), customer_id=held[-1].id)
    undone, _ = refund_purchase(kept, 300, "c-2-refund", boss.id, now=now - timedelta(days=16))
    void_purchase(undone, "refunded by mistake", boss.id)
    found = holdout(soup.id)
    per_treated, per_held = Fraction(3000 - 1000, len(treated)), Fraction(800, len(held))
    assert found["incremental_revenue"] == (per_treated - per_held) * len(treated)
    # A member whose only purchase was refunded in full bought something: they converted.
    assert found["control_converted"] == (2 if len(held) > 1 else 1)
