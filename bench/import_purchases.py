"""Benchmark: a generated 100,000-row plain CSV through the app's importer, against the same rows read with `csv`
and written with one bare `executemany` (customers made beforehand) on a fresh database of the same kind.

Usage:
  .venv/bin/python -m bench.import_purchases                         # SQLite
  scripts/with-postgres.sh .venv/bin/python -m bench.import_purchases --postgres
Goal (issues 17 and 33): the importer within 3x of the bare insert (moonshot 1.5x).

The importer's time covers everything a person waits for: reading and checking the file (upload), the
suggested mapping, then every chunk converted, its customers found or created, its purchases written set-based
and committed. The bare time covers reading the same file with `csv`, turning dates and amounts into values
and one executemany of the purchases, with the customers' ids looked up in a dict made beforehand (untimed).
"""
import argparse
import csv
import hashlib
import io
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from campaigns.extensions import db
from campaigns.sales import import_files, import_mapping, import_runs

from .common import bench_app, fresh_database

HEADER = ["Date", "Amount", "Email", "Phone", "ID"]
AREAS = (202, 212, 312, 415, 617)


def _phone(n: int) -> str:
    """A distinct valid North American number for each n (area code, exchange and line drawn from n)."""
    return f"+1{AREAS[n % len(AREAS)]}{234 + (n // 5) % 600}{n // 3000:04d}"


def generate(rows: int, seed: int = 17) -> bytes:
    """Return a plain CSV of `rows` sales over a year; about a third of the customers come back more than once."""
    pick = random.Random(seed)
    people = [(f"customer{n}@example.com", "") if n % 3 else ("", _phone(n)) for n in range(max(1, rows // 3))]
    start = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for n in range(rows):
        email, phone = people[min(int(pick.paretovariate(1.2)) - 1, len(people) - 1) if n % 2 else n % len(people)]
        when = start + timedelta(seconds=n * 311)
        writer.writerow([when.strftime("%Y-%m-%d %H:%M:%S"), f"{pick.randint(150, 9000) / 100:.2f}", email, phone,
                         f"sale-{n:07d}"])
    return out.getvalue().encode()


def time_importer(data: bytes) -> tuple[float, dict]:
    """Import the file through the app's importer, a commit per chunk; return seconds and the final progress."""
    started = time.perf_counter()
    record = import_files.upload("bench.csv", data, None)
    import_mapping.confirm_proposed(record)
    db.session.commit()
    progress = import_runs.progress(record)
    for progress in import_runs.run_all(record):
        db.session.commit()
    return time.perf_counter() - started, progress


def _customers(data: bytes) -> dict[str, int]:
    """Make one customer per distinct e-mail or phone of the file (untimed); return contact -> id."""
    contacts = sorted({row[2] or row[3] for row in csv.reader(io.StringIO(data.decode())) if row[0] != "Date"})
    now = datetime.now(UTC)
    rows = [{"email": c if "@" in c else None, "phone": None if "@" in c else c, "created_at": now} for c in contacts]
    db.session.execute(db.metadata.tables["customer"].insert(), rows)
    db.session.commit()
    table = db.metadata.tables["customer"]
    return {(email or phone): cid for cid, email, phone in db.session.execute(
        db.select(table.c.id, table.c.email, table.c.phone))}


def time_bare(data: bytes) -> float:
    """Read the file with csv and insert its purchases with one DBAPI executemany, committed; return seconds."""
    ids = _customers(data)
    sqlite = db.engine.dialect.name == "sqlite"
    marker = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO purchase (external_id, amount_cents, occurred_at, customer_id, content_hash, recorded_at, "
           f"source) VALUES ({', '.join([marker] * 7)})")
    connection = db.engine.raw_connection()
    try:
        started = time.perf_counter()
        now = datetime.now(UTC)
        rows = []
        reader = csv.reader(io.StringIO(data.decode()))
        next(reader)
        for date, amount, email, phone, external_id in reader:
            when = datetime.fromisoformat(date).replace(tzinfo=UTC)
            digest = hashlib.sha256(f"{external_id}|{amount}|{date}".encode()).hexdigest()
            rows.append((external_id, int(Decimal(amount) * 100), when.replace(tzinfo=None) if sqlite else when,
                         ids[email or phone], digest, now.replace(tzinfo=None) if sqlite else now, "import"))
        cursor = connection.cursor()
        cursor.executemany(sql, rows)
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def run(postgres: bool, data: bytes, label: str):
    """Time both on fresh databases of one kind; return (importer seconds, bare seconds, progress)."""
    app = bench_app(fresh_database(postgres))
    with app.app_context():
        importer, progress = time_importer(data)
        db.session.remove()
        db.engine.dispose()
    app = bench_app(fresh_database(postgres))
    with app.app_context():
        bare = time_bare(data)
        db.session.remove()
        db.engine.dispose()
    print(f"  {label}: importer {importer:.2f} s; bare {bare:.2f} s")
    return importer, bare, progress


def main() -> None:
    """Generate the file, time the importer and the bare insert, and print both with the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use the server in TEST_DATABASE_URL")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    data = generate(args.rows)
    kind = "postgresql" if args.postgres else "sqlite"
    print(f"database: {kind}; {args.rows:,} rows, {len(data) / 1e6:.1f} MB of CSV")
    runs = [run(args.postgres, data, f"run {n + 1}") for n in range(args.repeat)]
    importer = min(r[0] for r in runs)
    bare = min(r[1] for r in runs)
    progress = runs[-1][2]
    print(f"{'importer (run_all)':>22}: {importer:.2f} s, {args.rows / importer:,.0f} rows/s "
          f"({progress['created']:,} added, {progress['duplicates']:,} duplicates, {progress['failed']:,} refused)")
    print(f"{'csv + executemany':>22}: {bare:.2f} s, {args.rows / bare:,.0f} rows/s")
    ratio = importer / bare
    verdict = "OK" if ratio <= 3 else "OVER GOAL"
    print(f"{'ratio importer/bare':>22}: {ratio:.2f}x (goal <= 3x, moonshot 1.5x) {verdict}")


if __name__ == "__main__":
    main()
