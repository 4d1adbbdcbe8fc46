"""Running a confirmed point-of-sale import: store it in chunks, each chunk one transaction of the caller's.

The file's bytes are kept on the import, so any request (or the command line) can take the next chunk from
where the last one stopped (`done_rows`: data rows consumed). Storing goes through the ledger, which is
idempotent: running a file again, or an overlapping one, adds only what is new.
"""
import json
from collections.abc import Iterator

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.accounts.business import get_settings
from campaigns.core import audit, collector
from campaigns.core.bulk_sql import chunked
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.models import Purchase, PurchaseImport, utcnow
from campaigns.sales import ledger
from campaigns.sales import pos as imports
from campaigns.sales.directory import store_customers
from campaigns.sales.import_files import let_go, sheet_of
from campaigns.sales.import_mapping import proposal
from campaigns.sales.rows import CustomerRow, PurchaseRow, reason

CHUNK_ROWS = 2000  # a page's chunk: one request, one transaction, a second or so, so the bar moves
BATCH_ROWS = 10000  # the command line's chunk: no one watches a bar, and bigger statements cost less per row
MAX_STORED_ERRORS = 1000  # bad rows kept for the report; the count goes on past it


def progress(record: PurchaseImport) -> dict:
    """Return how far an import has gone."""
    return {"done_rows": record.done_rows, "total_rows": record.total_rows, "created": record.created,
            "duplicates": record.duplicates, "failed": record.failed, "status": record.status}


def problems(record: PurchaseImport) -> list[dict]:
    """Return the bad rows kept for the report: [{line, reason}], in file order."""
    return sorted(json.loads(record.errors or "[]"), key=lambda problem: problem["line"] or 0)


def run_chunk(record: PurchaseImport, size: int | None = None, *, now=None) -> dict:
    """Store the next chunk of a confirmed import and return its progress, with this chunk's bad rows under
    "problems". A chunk already taken by another request raises DomainError("busy")."""
    if record.status == "uploaded":
        raise DomainError("import_not_confirmed", "Confirm the columns before importing.")
    if record.status == "done":
        return progress(record) | {"problems": []}
    with collector.held_off():
        return _run_chunk(record, size, now)


def _run_chunk(record: PurchaseImport, size: int | None, now) -> dict:
    start = record.done_rows
    settings = get_settings()  # held, so that the store's many reads of the settings find them in the session
    source, columns, options = proposal(record)
    converted = imports.convert(sheet_of(record), source, columns, options, start=start, limit=size or CHUNK_ROWS)
    end = record.total_rows if converted.next_start is None else converted.next_start
    _claim(record, start, end)
    if start == 0:  # the chunk that claimed the first rows starts the import: once, whoever runs it
        audit.record("purchase_import", "started", user_id=record.created_by_id, subject=("import", record.id),
                     details={"file": record.filename, "source": record.source, "rows": record.total_rows}, now=now)
    counts, found = _store(record, converted.rows)
    record.deferred += counts["deferred"]
    if converted.next_start is None and record.deferred:
        found += _deferred_refunds(record, source, columns, options)
    found = _note(record, counts, found, converted.problems)
    if converted.next_start is None:
        record.status, record.finished_at = "done", now or utcnow()
        let_go(record)
        audit.record("purchase_import", "finished", user_id=record.created_by_id, subject=("import", record.id),
                     details={"file": record.filename, "added": record.created, "already_there": record.duplicates,
                              "refused": record.failed}, now=record.finished_at)
    db.session.flush()
    del settings
    return progress(record) | {"problems": found}


def _note(record: PurchaseImport, counts: dict, found: list[dict], problems: list) -> list[dict]:
    """Add a chunk's outcomes to the import's counts and its kept bad rows; return the chunk's bad rows."""
    found = sorted([{"line": line, "reason": reason} for line, reason in problems] + found,
                   key=lambda problem: problem["line"] or 0)
    kept = json.loads(record.errors or "[]")
    record.errors = json.dumps(kept + found[:max(0, MAX_STORED_ERRORS - len(kept))])
    record.created += counts["created"]
    record.duplicates += counts["duplicate"]
    record.failed += counts["error"] + len(problems)
    return found


def _deferred_refunds(record: PurchaseImport, source: str, columns: dict, options) -> list[dict]:
    """Store once more the refunds that came before their sale in the file, now that every sale is in; those
    whose sale is still missing are refused. Return the refused ones."""
    rows, start, sheet = [], 0, sheet_of(record)
    while start is not None:  # a chunk at a time: never the whole file converted at once
        converted = imports.convert(sheet, source, columns, options, start=start, limit=BATCH_ROWS)
        rows += [row for row in converted.rows if isinstance(row, PurchaseRow) and row.refund_of is not None
                 and row.refunded_total_cents is None]
        start = converted.next_start
    stored = set()
    for part in chunked(sorted({row.external_id for row in rows})):
        stored.update(db.session.scalars(select(Purchase.external_id).where(Purchase.external_id.in_(part))))
    waiting = [row for row in rows if row.external_id not in stored]
    counts, refused = _store(record, waiting, last_try=True)
    counts["duplicate"] = 0  # stored meanwhile by another writer: not a row of this file counted twice
    record.created += counts["created"]
    record.failed += counts["error"]
    record.deferred = 0
    return refused


def run_all(record: PurchaseImport, size: int | None = None) -> Iterator[dict]:
    """Run a confirmed import to its end, yielding each chunk's progress (the caller commits between chunks)."""
    while record.status != "done":
        yield run_chunk(record, size or BATCH_ROWS)


def _store(record: PurchaseImport, rows: list, last_try: bool = False) -> tuple[dict, list[dict]]:
    """Store a chunk's rows; return the outcome counts and the rows refused, as {line, reason}. A refund whose
    sale is not stored yet is counted as deferred, not refused, unless this is the last try."""
    customers = [row for row in rows if isinstance(row, CustomerRow)]
    sales = [row for row in rows if not isinstance(row, CustomerRow)]
    outcomes = []
    if customers:
        outcomes += [(customers, outcome) for outcome in
                     store_customers(customers, source=record.source.split("_")[0])]
    if sales:
        stored = ledger.store_purchases(sales, source="import", import_id=record.id)
        outcomes += [(sales, outcome) for outcome in stored]
    counts = {"created": 0, "duplicate": 0, "error": 0, "deferred": 0}
    refused = []
    for batch, outcome in outcomes:
        if outcome.missing_original and not last_try:
            counts["deferred"] += 1
            continue
        counts[outcome.status] += 1
        if outcome.status == "error":
            line = outcome.line if outcome.line is not None else batch[outcome.index].line
            refused.append({"line": line, "reason": reason(outcome.error)})
    return counts, refused


def _claim(record: PurchaseImport, start: int, end: int) -> None:
    """Move the import past this chunk, unless another request got there first (settled by the database)."""
    claimed = db.session.execute(
        update(PurchaseImport).where(PurchaseImport.id == record.id, PurchaseImport.done_rows == start,
                                     PurchaseImport.status == "running").values(done_rows=end)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise DomainError("busy", "This import is being run elsewhere at the same time; its page shows how far it is.")
    set_committed_value(record, "done_rows", end)  # as the claim stored it: no second UPDATE of the file's row
