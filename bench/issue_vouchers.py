"""Benchmark: 100,000 vouchers through the service against a bare executemany; a 1,000-card PDF.

Usage:
  .venv/bin/python -m bench.issue_vouchers                         # SQLite
  scripts/with-postgres.sh .venv/bin/python -m bench.issue_vouchers --postgres
Goal (issue 3): the service within 2x of the bare insert; the PDF under 5 s here.
"""
import argparse
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal

from campaigns.extensions import db
from campaigns.giving import codes, sheets
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch, vouchers_of
from campaigns.links import voucher_url

from .common import bench_app, fresh_database


def time_service(count: int) -> float:
    """Make `count` vouchers through the service, committed; return seconds."""
    made = campaigns.create_campaign(campaigns.CampaignDesign(name="Bench service", unit_cost=Decimal(1)))
    db.session.commit()
    started = time.perf_counter()
    issue_batch(made, count, "bench")
    db.session.commit()
    return time.perf_counter() - started


def time_bare(count: int) -> float:
    """Insert the same rows with one bare DBAPI executemany, committed; return seconds (codes made beforehand)."""
    made = campaigns.create_campaign(campaigns.CampaignDesign(name="Bench bare", unit_cost=Decimal(1)))
    db.session.commit()
    now = datetime.now(UTC)
    sqlite = db.engine.dialect.name == "sqlite"
    stamp = now.replace(tzinfo=None) if sqlite else now
    rows = [(made.id, code, "batch", "bench", stamp) for code in codes.generate_many(count)]
    marker = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO voucher (campaign_id, code, channel, batch_label, issued_at) "
           f"VALUES ({', '.join([marker] * 5)})")
    connection = db.engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = connection.cursor()
        cursor.executemany(sql, rows)
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def time_pdf(cards: int) -> float:
    """Render a voucher sheet of `cards` cards; return seconds."""
    made = campaigns.create_campaign(campaigns.CampaignDesign(name="Bench print", unit_cost=Decimal(1),
                                                              offer="One free latte, any size"))
    issue_batch(made, cards, "print")
    db.session.commit()
    chosen = vouchers_of(made.id)
    started = time.perf_counter()
    pdf = sheets.voucher_sheet(made, chosen, voucher_url, "a4", "Valid until 31 Dec 2026", "Corner Bean Café")
    elapsed = time.perf_counter() - started
    print(f"  PDF of {cards:,} cards: {len(pdf) / 1e6:.1f} MB")
    return elapsed


def main() -> None:
    """Run each measurement a few times on a fresh database and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use the server in TEST_DATABASE_URL")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = fresh_database(args.postgres)
    app = bench_app(url)
    with app.app_context():
        print(f"database: {db.engine.dialect.name}; {args.count:,} vouchers, best and median of {args.repeat}")
        service = [time_service(args.count) for _ in range(args.repeat)]
        bare = [time_bare(args.count) for _ in range(args.repeat)]
        pdf = [time_pdf(args.cards) for _ in range(args.repeat)]
        db.session.remove()
        db.engine.dispose()
    for name, runs in (("service issue_batch", service), ("bare executemany", bare), (f"{args.cards}-card PDF", pdf)):
        print(f"{name:>22}: best {min(runs):.3f} s, median {statistics.median(runs):.3f} s")
    ratio = min(service) / min(bare)
    print(f"{'ratio service/bare':>22}: {ratio:.2f}x (goal <= 2x) {'OK' if ratio <= 2 else 'OVER GOAL'}")
    print(f"{'PDF goal':>22}: {'OK' if min(pdf) < 5 else 'OVER GOAL'} (< 5 s)")


if __name__ == "__main__":
    main()
