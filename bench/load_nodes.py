"""The load test (issue 30): two nodes as two machines would run them (scripts/nodes.py: gunicorn with 2 workers
each, production mode behind a pretend TLS proxy, one PostgreSQL, one Redis) take, all at once and for a bounded
time, a burst of redemptions (some codes scanned twice, at either node), purchase posts with retries (each sent
again, to the other node, as a till that lost the answer would) and refunds of them (some asking more than is
left), and report reads. Afterwards the database must show: no voucher redeemed twice, every purchase stored
exactly once, no refund above its sale. It prints throughput and p50/p99 per route, and exits 1 when an invariant
does not hold. Not part of `make test` (it loads the machine); CI runs it after (`make load`).

    scripts/with-postgres.sh .venv/bin/python bench/load_nodes.py --seconds 20
"""
import argparse
import json
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fresh_database
from scripts.nodes import PROXY, _own_redis, start_nodes, stop

VOUCHERS = 3000
SALE_CENTS = 1000


def _prepare(url: str, key: str) -> tuple[str, int, list[str]]:
    """A staff-and-more token (owner), an active campaign with VOUCHERS vouchers; return token, campaign, codes."""
    from app import create_app
    from campaigns.accounts import tokens
    from campaigns.extensions import db
    from campaigns.giving import designs, vouchers
    from tests.designs import design

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": key, "BASE_URL": "https://vouchers.example.com"})
    with app.app_context():
        _, token = tokens.create_token("load", "owner")
        campaign = designs.create_campaign(design({"name": "Load", "unit_cost": "1", "offer": "A free latte"}))
        designs.set_status(campaign, "active")
        codes = vouchers.issue_batch(campaign, VOUCHERS, "load")
        db.session.commit()
        campaign_id = campaign.id
        db.engine.dispose()
    return token, campaign_id, codes


class Load:
    """The clients' shared record: latencies and statuses per route, and what the server said it stored."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.sales: list[str] = []  # external ids of sales the server answered as stored

    def call(self, session: requests.Session, route: str, method: str, url: str, **kwargs) -> requests.Response:
        started = time.perf_counter()
        response = session.request(method, url, timeout=60, **kwargs)
        with self.lock:
            self.latency[route].append(time.perf_counter() - started)
            self.status[route][response.status_code] += 1
        return response


def _client(number: int, bases: list[str], token: str, campaign_id: int, codes: list[str], load: Load,
            deadline: float) -> None:
    rng = random.Random(number)
    session = requests.Session()
    session.headers.update({**PROXY, "Authorization": f"Bearer {token}",
                            "X-Forwarded-For": f"198.51.100.{number % 250 + 1}"})
    made = 0
    while time.monotonic() < deadline:
        base, other = rng.sample(bases, 2)
        kind = rng.random()
        if kind < 0.45:  # a scan: a fresh code mostly, now and then one already used
            code = rng.choice(codes)
            load.call(session, "POST /redemptions", "POST", base + "/api/v1/redemptions", json={"code": code})
        elif kind < 0.80:  # a sale, posted again to the other node as a till whose answer was lost
            made += 1
            sale = {"external_id": f"c{number}-{made}", "amount": f"{SALE_CENTS / 100:.2f}",
                    "occurred_at": "2026-11-20T12:00:00+00:00", "customer": {"email": f"p{rng.randrange(500)}@ex.com"}}
            first = load.call(session, "POST /purchases", "POST", base + "/api/v1/purchases", json=sale)
            again = load.call(session, "POST /purchases", "POST", other + "/api/v1/purchases", json=sale)
            if first.status_code in (200, 201) or again.status_code in (200, 201):
                with load.lock:
                    load.sales.append(sale["external_id"])
        elif kind < 0.92:  # a refund of an earlier sale, at most 7.00 each: the second of two goes over
            with load.lock:
                original = rng.choice(load.sales) if load.sales else None
            if original:
                made += 1
                refund = {"external_id": f"r{number}-{made}", "amount": "-7.00", "refund_of": original,
                          "occurred_at": "2026-11-21T12:00:00+00:00"}
                load.call(session, "POST /purchases (refund)", "POST", base + "/api/v1/purchases", json=refund)
        else:
            load.call(session, "GET /campaigns/{id}/report", "GET", f"{base}/api/v1/campaigns/{campaign_id}/report")


def _check(url: str, load: Load) -> list[str]:
    engine = create_engine(url)
    problems = []
    with engine.connect() as conn:
        twice = conn.execute(text("SELECT count(*) FROM (SELECT voucher_id FROM redemption WHERE undone_at IS NULL "
                                  "GROUP BY voucher_id HAVING count(*) > 1) AS twice")).scalar()
        if twice:
            problems.append(f"{twice} vouchers redeemed twice")
        stored = dict(conn.execute(text("SELECT external_id, count(*) FROM purchase GROUP BY external_id")).all())
        missing = [eid for eid in load.sales if stored.get(eid) != 1]
        if missing:
            problems.append(f"{len(missing)} sales answered as stored are not stored exactly once: {missing[:5]}")
        over = conn.execute(text(
            "SELECT count(*) FROM purchase s JOIN (SELECT refund_of_id, -sum(amount_cents) AS back FROM purchase "
            "WHERE refund_of_id IS NOT NULL AND voided_at IS NULL GROUP BY refund_of_id) r ON r.refund_of_id = s.id "
            "WHERE r.back > s.amount_cents")).scalar()
        if over:
            problems.append(f"{over} sales refunded above their amount")
    engine.dispose()
    return problems


def _pick(times: list[float], quantile: float) -> float:
    """The latency at `quantile` of sorted `times`, in milliseconds."""
    return times[min(len(times) - 1, int(quantile * len(times)))] * 1000


def main() -> int:
    """Run the load and print its figures and verdict."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    url = fresh_database(postgres=True)
    key = secrets.token_urlsafe(48)
    token, campaign_id, codes = _prepare(url, key)
    folder = Path(tempfile.mkdtemp(prefix="reciprocate-load."))
    redis_url, redis = _own_redis(folder)
    ports = [8101, 8102]
    nodes = start_nodes(url, redis_url, ports, folder, consumers=False, SECRET_KEY=key,
                        REDEEM_FAILURE_LIMIT="100000 per minute")
    load = Load()
    try:
        deadline = time.monotonic() + args.seconds
        started = time.perf_counter()
        threads = [threading.Thread(target=_client, args=(n, [f"http://127.0.0.1:{p}" for p in ports], token,
                                                           campaign_id, codes, load, deadline))
                   for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        stop(nodes + [redis])
    print(f"Two nodes (gunicorn, 2 workers each), one PostgreSQL, one Redis; {args.clients} clients for "
          f"{seconds:.1f} s")
    print(f"{'route':32} {'requests':>8} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for route in sorted(load.latency):
        times = sorted(load.latency[route])
        print(f"{route:32} {len(times):8} {len(times) / seconds:7.1f} {_pick(times, 0.5):8.1f} "
              f"{_pick(times, 0.99):8.1f}  "
              f"{json.dumps(dict(sorted(load.status[route].items())))}")
    total = sum(len(times) for times in load.latency.values())
    print(f"{'all':32} {total:8} {total / seconds:7.1f}")
    errors = sum(count for statuses in load.status.values() for status, count in statuses.items() if status >= 500)
    problems = _check(url, load) + ([f"{errors} answers were 5xx"] if errors else [])
    print("Invariants: " + ("all hold (no voucher twice, each sale once, no refund above its sale)" if not problems
                            else "BROKEN: " + "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
