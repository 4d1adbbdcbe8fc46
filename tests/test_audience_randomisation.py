"""The holdout draw is fair: over many members the control share is holdout_pct within a binomial 99.9% bound, it
does not drift with a member's place in the list, the same people listed backwards split the same way, and the
default source is the operating system's cryptographic one (seeding Python's own generator reproduces nothing).

The file makes about fifteen such checks, so each is held to 99.9% / 15 (4.1 standard deviations, Bonferroni):
a fair draw fails one of them about once in a thousand runs of the whole file, while a share off by one point in
100,000 draws (6.5 standard deviations) fails nearly always."""
import math
import random

import pytest
from sqlalchemy import select

from campaigns.contacts.contact import make_contact
from campaigns.extensions import db
from campaigns.giving import audiences
from campaigns.giving import designs as campaigns
from campaigns.models import AudienceAssignment
from tests.designs import design

Z_999 = 4.1  # two-sided 99.9% shared among about fifteen checks (0.999 ** (1 / 15) of the normal distribution)


def _within(count: int, trials: int, share: float) -> bool:
    """Tell whether `count` successes in `trials` fit a true share `share` (at the file's 99.9%)."""
    return abs(count - trials * share) <= Z_999 * math.sqrt(trials * share * (1 - share))


@pytest.mark.parametrize("holdout", [5, 10, 33, 50, 90])
def test_the_control_share_is_the_holdout_share_over_many_draws(holdout):
    groups = audiences.draw_groups(list(range(100_000)), holdout)
    control = sum(group == "control" for group in groups.values())
    assert _within(control, 100_000, holdout / 100), (control, holdout)


def test_the_draw_does_not_drift_along_the_list():
    ids = list(range(60_000))
    groups = audiences.draw_groups(ids, 30)
    for start in range(0, 60_000, 10_000):  # each sixth of the list, first to last
        control = sum(groups[i] == "control" for i in ids[start:start + 10_000])
        assert _within(control, 10_000, 0.30), (start, control)


def test_the_extremes_put_everyone_in_one_group():
    assert set(audiences.draw_groups(list(range(1000)), 0).values()) == {"treatment"}
    assert list(audiences.draw_groups([], 50).values()) == []


def test_the_default_source_is_cryptographic_not_pythons_seeded_generator():
    ids = list(range(256))
    random.seed(29)
    first = audiences.draw_groups(ids, 50)
    random.seed(29)
    second = audiences.draw_groups(ids, 50)
    assert first != second  # equal by chance once in 2**256 for a fair source
    assert audiences.draw_groups(ids, 50, rng=random.Random(29)) == audiences.draw_groups(ids, 50, rng=random.Random(29))


def test_the_same_people_listed_backwards_split_the_same_way(ctx):
    """Through the real service: a list and the same list reversed, each into its own campaign, give control shares
    that differ by no more than chance allows, and neither favours the people listed first."""
    people = [make_contact(f"member{i}@example.com") for i in range(1500)]
    shares = []
    for name, listed in (("Forward", people), ("Backward", people[::-1])):
        campaign = campaigns.create_campaign(design({"name": name, "unit_cost": "0.50"}))
        members = audiences.assign(campaign, listed, 40)
        groups = [group for _, group, _ in members]
        assert len(groups) == 1500
        first_half = sum(g == "control" for g in groups[:750])
        assert _within(first_half, 750, 0.40) and _within(sum(g == "control" for g in groups[750:]), 750, 0.40)
        stored = db.session.scalars(select(AudienceAssignment.group_name)
                                    .where(AudienceAssignment.campaign_id == campaign.id)).all()
        shares.append(sum(g == "control" for g in stored) / 1500)
    # Two independent shares of 1500 draws each at p = 0.4: their difference has sd sqrt(2 p (1-p) / 1500).
    assert abs(shares[0] - shares[1]) <= Z_999 * math.sqrt(2 * 0.4 * 0.6 / 1500), shares
