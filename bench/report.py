"""Benchmark: the overview's and one campaign report's data on 100,000 customers, 200,000 vouchers and 1,000,000
purchases, against one hand-written aggregate query over the same tables (last-touch attribution per campaign).

Usage:
  .venv/bin/python -m bench.report [--scale 0.1] [--repeat 5]                           # SQLite
  scripts/with-postgres.sh .venv/bin/python -m bench.report --postgres                  # PostgreSQL
  .venv/bin/python -m bench.report --database-url URL   # time a database this script built before (no rebuild)
Goal (issues 18 and 33): each page's data under 1 s and at most 3x the bare query.

The data is drawn from a fixed seed, so both databases hold the same rows: 20 campaigns over two years (windows of
30 to 180 days, varied margins and costs, two of them sent to an audience with a holdout), about 60% of the
vouchers redeemed (some at a location, about 15% anonymous, 1% undone), purchases mostly by the 40% of
redeemers who come back, 2% refunds naming their original, 0.5% voided. Rows go in set-based (one executemany
on SQLite, COPY on PostgreSQL, then VACUUM ANALYZE as autovacuum would). The page data is timed through
`campaigns.reports.assemble` (overview() and campaign_report() of the campaign with the most redemptions); the bare
query ranks every purchase's redemptions once and sums revenue, purchases and converted customers per campaign.
"""
import argparse
import random
import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import make_url, text

from campaigns.extensions import db
from campaigns.reports import attribution_store

from .common import bench_app, fresh_database

START = datetime(2024, 11, 1, 8, 0)  # naive UTC: the data runs two years from here
DAYS = 730
DAY = 86400.0
WINDOWS = (30, 45, 60, 90, 120, 180)
HOLDOUTS = {16: 20, 18: 30}  # campaign id -> holdout_pct of its audience
LABELS = ("flyers", "poster", "street team")
GOAL_SECONDS, GOAL_RATIO = 1.0, 3.0

BARE = """
WITH candidates AS (
  SELECT p.id AS purchase_id, p.customer_id, p.amount_cents, r.campaign_id,
         row_number() OVER (PARTITION BY p.id ORDER BY r.redeemed_at DESC, r.voucher_id) AS rank
  FROM purchase p
  JOIN redemption r ON r.customer_id = p.customer_id AND r.undone_at IS NULL AND r.redeemed_at < p.occurred_at
  JOIN campaign c ON c.id = r.campaign_id
  WHERE p.voided_at IS NULL AND p.refund_of_id IS NULL AND p.occurred_at <= {window_end}{customers}
), won AS (SELECT purchase_id, customer_id, amount_cents, campaign_id FROM candidates WHERE rank = 1),
lines AS (
  SELECT campaign_id, customer_id, amount_cents, 1 AS sale FROM won
  UNION ALL
  SELECT w.campaign_id, w.customer_id, f.amount_cents, 0 FROM won w JOIN purchase f ON f.refund_of_id = w.purchase_id
  WHERE f.voided_at IS NULL
), per_customer AS (
  SELECT campaign_id, customer_id, sum(amount_cents) AS net, sum(sale) AS sales FROM lines
  GROUP BY campaign_id, customer_id
)
SELECT campaign_id, sum(net) AS revenue_cents, sum(sales) AS purchases,
       sum(CASE WHEN net > 0 THEN 1 ELSE 0 END) AS converted_customers
FROM per_customer{campaign} GROUP BY campaign_id ORDER BY campaign_id
"""
WINDOW_END = {  # redeemed_at + the campaign's window in 24-hour days, as attribution.plus_days writes it
    "postgresql": "r.redeemed_at + make_interval(hours => 24 * c.attribution_window_days)",
    "sqlite": "datetime(substr(r.redeemed_at, 1, 19), '+' || c.attribution_window_days || ' days') "
              "|| substr(r.redeemed_at, 20)",
}


def bare_sql(dialect: str, campaign_id: int | None = None) -> str:
    """The hand-written aggregate query for one database (with a campaign: only that campaign's customers)."""
    if campaign_id is None:
        return BARE.format(window_end=WINDOW_END[dialect], customers="", campaign="")
    chosen = int(campaign_id)
    customers = (f"\n    AND p.customer_id IN (SELECT customer_id FROM redemption WHERE campaign_id = {chosen} "
                 "AND undone_at IS NULL)")
    return BARE.format(window_end=WINDOW_END[dialect], customers=customers, campaign=f" WHERE campaign_id = {chosen}")


class Writer:
    """Rows into a table set-based: one executemany on SQLite, COPY on PostgreSQL (times as UTC text)."""

    def __init__(self, connection, sqlite: bool):
        self.connection, self.sqlite = connection, sqlite
        self.zone = "" if sqlite else "+00"

    def stamp(self, seconds: float | None) -> str | None:
        """A moment `seconds` after START as the database's text."""
        if seconds is None:
            return None
        return (START + timedelta(seconds=seconds)).isoformat(" ", "microseconds") + self.zone

    def write(self, table: str, columns: str, rows) -> None:
        """Insert `rows` (tuples in the order of `columns`)."""
        cursor = self.connection.cursor()
        if self.sqlite:
            marks = ", ".join("?" * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        else:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def _campaigns(pick: random.Random, vouchers: int) -> list[dict]:
    """Twenty campaigns a month apart, with their voucher counts (varied sizes summing to `vouchers`)."""
    weights = [pick.uniform(0.4, 1.6) for _ in range(20)]
    counts = [int(vouchers * w / sum(weights)) for w in weights]
    counts[-1] += vouchers - sum(counts)
    made = []
    for n, count in enumerate(counts):
        start = n * 30 + pick.randint(0, 10)
        made.append({"id": n + 1, "start": start * DAY, "count": count, "window": pick.choice(WINDOWS),
                     "margin_bp": pick.randrange(3000, 8001, 250), "unit_cost": pick.randrange(80, 601, 10),
                     "fixed_cost": pick.choice((0, 0, 5000, 20000, 50000)), "redeem": pick.uniform(0.45, 0.75),
                     "ends": start + 90, "holdout": HOLDOUTS.get(n + 1)})
    return made


def build(writer: Writer, scale: float, seed: int) -> None:
    """Generate the whole data set from `seed` and write it."""
    pick = random.Random(seed)
    customers, end = round(100_000 * scale), DAYS * DAY
    stamp = writer.stamp
    db.session.execute(text("INSERT INTO business_settings (id, business_name, currency, time_zone, "
                            "default_gross_margin_bp, default_phone_region, locale) VALUES "
                            "(1, 'Bench', 'USD', 'America/New_York', 6000, 'US', 'en_US')"))
    for n, name in enumerate(("Main St", "Harbour", "Station"), 1):
        db.session.execute(text("INSERT INTO location (id, name, address, active) VALUES (:i, :n, '', true)"),
                           {"i": n, "n": name})
    campaigns = _campaigns(pick, round(200_000 * scale))
    for c in campaigns:
        day = lambda days: (START.date() + timedelta(days=days)).isoformat()  # noqa: E731
        db.session.execute(text(
            "INSERT INTO campaign (id, name, kind, offer, unit_cost_cents, fixed_cost_cents, gross_margin_bp, "
            "starts_on, ends_on, per_customer_limit, attribution_window_days, status, vouchers_issued, "
            "feedback_question, created_at, updated_at) VALUES (:id, :name, 'sample', 'A free coffee', :unit, "
            ":fixed, :margin, :starts, :ends, 1, :window, :status, :count, '', :created, :created)"),
            {"id": c["id"], "name": f"Bench campaign {c['id']}", "unit": c["unit_cost"], "fixed": c["fixed_cost"],
             "margin": c["margin_bp"], "starts": day(c["start"] / DAY), "ends": day(c["ends"]),
             "window": c["window"], "status": "ended" if c["ends"] < DAYS else "active", "count": c["count"],
             "created": stamp(c["start"] - 7 * DAY)})
    db.session.commit()
    writer.write("customer", "id, email, created_at",
                 ((n, f"customer{n}@example.com", stamp(0)) for n in range(1, customers + 1)))
    vouchers, redemptions, assignments = [], [], []
    identified = []  # (customer, redeemed at) of live identified redemptions: who buys afterwards
    for c in campaigns:
        members = pick.sample(range(1, customers + 1), round(c["count"] * 100 / (100 - c["holdout"]))) \
            if c["holdout"] else []
        for member in members[c["count"]:]:
            assignments.append((len(assignments) + 1, c["id"], member, "control", c["holdout"], stamp(c["start"]),
                                None))
        for k in range(c["count"]):
            vid = len(vouchers) + 1
            issued = c["start"] + pick.uniform(0, 14 * DAY)
            owner = members[k] if members else None
            if owner:
                assignments.append((len(assignments) + 1, c["id"], owner, "treatment", c["holdout"],
                                    stamp(c["start"]), vid))
            redeemed = None
            if pick.random() < c["redeem"]:
                redeemed = min(issued + pick.expovariate(1 / (20 * DAY)), issued + 120 * DAY, end - DAY)
                who = owner or (None if pick.random() < 0.15 else int(customers * pick.random() ** 1.3) + 1)
                where = pick.randint(1, 3) if pick.random() < 0.7 else None
                if pick.random() < 0.01:  # recorded by mistake and undone; half are redeemed again later
                    redemptions.append((len(redemptions) + 1, vid, c["id"], who, stamp(redeemed), stamp(redeemed),
                                        where, stamp(redeemed + 600), "wrong voucher"))
                    redeemed = redeemed + pick.uniform(DAY, 10 * DAY) if pick.random() < 0.5 else None
                if redeemed is not None:
                    redemptions.append((len(redemptions) + 1, vid, c["id"], who, stamp(redeemed), stamp(redeemed),
                                        where, None, None))
                    if who:
                        identified.append((who, redeemed))
            void = stamp(issued + DAY) if redeemed is None and pick.random() < 0.005 else None
            channel = "audience" if owner else ("api" if k % 10 == 9 else "batch")
            vouchers.append((vid, c["id"], f"BENCH{vid:09d}", channel, None if owner else LABELS[k % 3], owner,
                             1 if owner else None, stamp(issued), void, stamp(redeemed)))
    writer.write("voucher", "id, campaign_id, code, channel, batch_label, customer_id, customer_slot, issued_at, "
                 "void_at, redeemed_at", vouchers)
    writer.write("redemption", "id, voucher_id, campaign_id, customer_id, redeemed_at, recorded_at, location_id, "
                 "undone_at, undo_reason", redemptions)
    writer.write("audience_assignment", "id, campaign_id, customer_id, group_name, holdout_pct, assigned_at, "
                 "voucher_id", assignments)
    _purchases(writer, pick, identified, customers, round(1_000_000 * scale))


def _purchases(writer: Writer, pick: random.Random, identified: list, customers: int, count: int) -> None:
    """Sales (75% by the 40% of redeemers who come back, after their redemption; 20% by anyone; 5% anonymous),
    numbered in time order, 0.5% voided; then 2% refunds of known customers' sales, each naming its original."""
    end = DAYS * DAY
    refunds = count // 50
    returning = [redemption for redemption in identified if pick.random() < 0.4]
    sales = []
    for _ in range(count - refunds):
        chance = pick.random()
        if chance < 0.75:
            who, redeemed = pick.choice(returning)
            when = redeemed + pick.expovariate(1 / (60 * DAY))
            when = when if when < end else pick.uniform(0, end)
        else:
            who, when = (pick.randint(1, customers) if chance < 0.95 else None), pick.uniform(0, end)
        sales.append((when, who, max(100, int(pick.lognormvariate(7.3, 0.6)))))
    sales.sort(key=lambda sale: sale[0])
    stamp = writer.stamp
    columns = ("id, external_id, amount_cents, occurred_at, customer_id, refund_of_id, location_id, source, "
               "content_hash, recorded_at, voided_at, void_reason")

    def rows():
        for n, (when, who, amount) in enumerate(sales, 1):
            voided = pick.random() < 0.005
            moment = stamp(when)
            yield (n, f"bench-{n}", amount, moment, who, None, pick.randint(1, 3) if n % 2 else None, "import",
                   f"{n:064x}", moment, stamp(when + DAY) if voided else None, "entered twice" if voided else None)
        for n in range(len(sales) + 1, len(sales) + refunds + 1):
            original = pick.randrange(len(sales))
            while sales[original][1] is None:
                original = pick.randrange(len(sales))
            when, who, amount = sales[original]
            moment = stamp(when + pick.uniform(0, 14 * DAY))
            yield (n, f"bench-{n}", -pick.randint(1, amount), moment, who, original + 1, None, "import",
                   f"{n:064x}", moment, None, None)
    writer.write("purchase", columns, rows())


def load(url: str, scale: float, seed: int) -> None:
    """Fill a freshly migrated database, then refresh the planner's statistics (PostgreSQL) and sequences."""
    app = bench_app(url)
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        connection = db.engine.raw_connection()
        try:
            build(Writer(connection, sqlite), scale, seed)
            connection.commit()
        finally:
            connection.close()
        if not sqlite:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("customer", "campaign", "voucher", "redemption", "audience_assignment", "purchase",
                              "location"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))"))
                conn.execute(text("VACUUM ANALYZE"))
        started = time.perf_counter()
        customers = attribution_store.refresh()  # the store the triggers marked while the rows went in
        if not sqlite:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE attributed_purchase, attributed_redemption, attribution_stale"))
        print(f"stored attribution of {customers:,} customers refreshed in {time.perf_counter() - started:.1f} s "
              "(untimed below: writes keep it up to date as they happen)")
        db.engine.dispose()


def page_functions(campaign_id: int):
    """The functions that make each page's data: the overview's and one campaign report's."""
    from campaigns.reports import assemble as report
    return (("report.overview()", report.overview),
            (f"report.campaign_report({campaign_id})", lambda: report.campaign_report(campaign_id)))


def measure(work, repeat: int) -> tuple[list[float], object]:
    """Run `work` `repeat` times on a fresh session each time; return the seconds and the last result."""
    times, result = [], None
    for _ in range(repeat):
        db.session.remove()
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    db.session.remove()
    return times, result


def check(bare_rows: list, overview) -> str:
    """Compare the bare query's revenue, purchases and converted customers with the overview's."""
    bare = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in bare_rows}
    page = {row["campaign"].id: (int(row["revenue_cents"]), int(row["purchases"]),
                                 int(row["converted_customers"])) for row in overview["rows"]}
    page = {key: value for key, value in page.items() if any(value)}
    return "agree" if page == bare else f"DIFFER: page {page} bare {bare}"


def report_times(repeat: int, campaign: int | None) -> None:
    """Time the page data and the bare query, and print the figures, the ratios and the goal."""
    counts = db.session.execute(text(
        "SELECT (SELECT count(*) FROM customer), (SELECT count(*) FROM campaign), (SELECT count(*) FROM voucher), "
        "(SELECT count(*) FROM voucher WHERE redeemed_at IS NOT NULL), (SELECT count(*) FROM purchase)")).one()
    print(f"database: {db.engine.dialect.name}; {counts[0]:,} customers, {counts[1]} campaigns, {counts[2]:,} "
          f"vouchers ({counts[3]:,} redeemed), {counts[4]:,} purchases; median of {repeat}")
    if campaign is None:
        campaign = db.session.execute(text("SELECT campaign_id FROM redemption WHERE undone_at IS NULL GROUP BY "
                                           "campaign_id ORDER BY count(*) DESC, campaign_id LIMIT 1")).scalar()
    overview, report = page_functions(campaign)
    bare_times, bare_rows = measure(lambda: db.session.execute(text(bare_sql(db.engine.dialect.name))).all(), repeat)
    bare = statistics.median(bare_times)
    print(f"  {'bare aggregate query':<44} {bare:6.2f} s  ({min(bare_times):.2f}-{max(bare_times):.2f})")
    results = {}
    for label, work in (overview, report):
        times, results[label] = measure(work, repeat)
        seconds = statistics.median(times)
        ratio = seconds / bare
        met = seconds < GOAL_SECONDS and ratio <= GOAL_RATIO
        print(f"  {label:<44} {seconds:6.2f} s  ({min(times):.2f}-{max(times):.2f}), {ratio:.2f}x the bare query; "
              f"goal < {GOAL_SECONDS:g} s and <= {GOAL_RATIO:g}x: {'met' if met else 'NOT MET'}")
    one_times, one_rows = measure(lambda: db.session.execute(text(bare_sql(db.engine.dialect.name, campaign))).all(),
                                  repeat)
    print(f"  for scale, the bare query on campaign {campaign}'s customers only: {statistics.median(one_times):.2f} s")
    print(f"  overview's revenue, purchases and converted customers against the bare query: "
          f"{check(bare_rows, results[overview[0]])}")
    total = sum(int(row[1]) for row in bare_rows)
    print(f"  bare query: {len(bare_rows)} campaigns with revenue, {total / 100:,.2f} attributed in all")


def main() -> None:
    """Build the data on a fresh database (unless given one), then time the page data and the bare query."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use the server in TEST_DATABASE_URL")
    parser.add_argument("--database-url", help="time a database built by this script before (no rebuild)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (0.1: 10,000 customers…)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--campaign", type=int, help="the report's campaign (default: the most redeemed)")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = fresh_database(args.postgres)
        started = time.perf_counter()
        load(url, args.scale, args.seed)
        print(f"built {make_url(url).render_as_string(hide_password=True)} in {time.perf_counter() - started:.1f} s")
    app = bench_app(url)
    with app.app_context():
        report_times(args.repeat, args.campaign)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
