"""Running a point-of-sale file's import: upload it, map its columns (remembered per kind of file), preview
what its first rows become, then store it in chunks, each chunk one transaction of the caller's.

The file's bytes are kept on the import, so any request (or the command line) can take the next chunk from
where the last one stopped (`done_rows`: data rows consumed). Storing goes through campaigns.purchase_store,
which is idempotent: running a file again, or an overlapping one, adds only what is new.
"""
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import imports
from .business import get_settings
from .errors import DomainError, ValidationError
from .extensions import db
from .inputs import bad_character
from .models import ImportMapping, Purchase, PurchaseImport, utcnow
from .purchase_store import CustomerRow, PurchaseRow, store_customers, store_purchases
from .store_sql import chunked

CHUNK_ROWS = 2000  # a page's chunk: one request, one transaction, a second or so, so the bar moves
BATCH_ROWS = 10000  # the command line's chunk: no one watches a bar, and bigger statements cost less per row
MAX_STORED_ERRORS = 1000  # bad rows kept for the report; the count goes on past it
PAGE_SIZE = 50
DECIMAL_MARKS = {".": "Point (12.50)", ",": "Comma (12,50)"}
DATE_ORDERS = {"ymd": "Year first (2026-05-12)", "mdy": "Month first (05/12/2026)", "dmy": "Day first (12/05/2026)"}
_SHEETS: dict[tuple, imports.Sheet] = {}  # the last file read, so that each chunk does not read it again


@dataclass(frozen=True)
class PreviewRow:
    """What one of the file's first rows will become, or what is wrong with it."""

    line: int
    kind: str | None = None  # "sale" | "refund" | "customer"; None for a problem
    when: datetime | None = None  # in the business's time zone
    amount_cents: int | None = None
    contact: str = ""
    external_id: str = ""
    problem: str | None = None
    stored_before: bool = False  # already imported (this file, or one overlapping it): adds nothing


def upload(filename: str, data: bytes, user_id: int | None) -> PurchaseImport:
    """Keep an uploaded file as a new import, its kind of file detected; a file that is not CSV is refused."""
    sheet = imports.read_sheet(data)
    if not sheet.rows:
        raise ValidationError({"file": "The file has no rows below its header: there is nothing to import."})
    record = PurchaseImport(filename=_clean_name(filename), source=imports.detect_source(sheet.headers),
                            content=data, size=len(data), total_rows=len(sheet.rows), created_by_id=user_id)
    db.session.add(record)
    db.session.flush()
    _SHEETS.clear()
    _SHEETS[_key(record)] = sheet
    return record


def recent_imports(limit: int = PAGE_SIZE) -> list[PurchaseImport]:
    """Return the latest imports, newest first (without their files' bytes)."""
    return list(db.session.scalars(select(PurchaseImport).order_by(PurchaseImport.id.desc()).limit(limit)))


def headers(record: PurchaseImport) -> list[str]:
    """Return the column headers of an import's file."""
    return _sheet(record).headers


def proposal(record: PurchaseImport, source: str | None = None) -> tuple[str, dict, imports.Options]:
    """Return (source, columns, options) to offer: what this import was given, else what was last confirmed
    for that kind of file, else what the file suggests."""
    source = source or record.source
    own = json.loads(record.columns or "{}")
    if own and source == record.source:
        return source, own, _options(json.loads(record.options or "{}"))
    sheet = _sheet(record)
    mapping = db.session.scalar(select(ImportMapping).where(ImportMapping.source == source))
    remembered = json.loads(mapping.columns) if mapping else None
    columns = imports.suggest_columns(source, sheet.headers, remembered)
    settings = get_settings()
    options = imports.suggest_options(sheet, source, columns, locale=settings.locale or "en_US",
                                      time_zone=settings.time_zone, currency=settings.currency,
                                      remembered=json.loads(mapping.options) if mapping else None)
    return source, columns, options


def choose(record: PurchaseImport, source: str, columns: dict, options: dict) -> PurchaseImport:
    """Keep a mapping on an import not yet started, for its preview; another kind of file gets its own
    suggested columns. Raise ValidationError for an unknown kind, column or option."""
    _not_started(record)
    if source not in imports.SOURCES:
        raise ValidationError({"source": "Choose one of the kinds of file offered."})
    chosen = imports.check_options({**options, "currency": get_settings().currency})
    if source != record.source:
        source, columns, _ = proposal(record, source)
    else:
        columns = _check_columns(record, source, columns)
    record.source = source
    record.columns = json.dumps(columns)
    record.options = json.dumps(chosen.as_dict())
    db.session.flush()
    return record


def confirm(record: PurchaseImport, source: str, columns: dict, options: dict) -> PurchaseImport:
    """Settle an import's mapping (every required field mapped), remember it for this kind of file and
    start the import."""
    if source != record.source:
        raise ValidationError({"source": "The kind of file changed: look at the new columns, then import."})
    choose(record, source, columns, options)
    # Reading the first row checks the mapping as every chunk will (each required field has its column).
    imports.convert(_sheet(record), source, json.loads(record.columns), _options(json.loads(record.options)), 0, 1)
    _remember(source, record.columns, record.options)
    record.status = "running"
    db.session.flush()
    return record


def confirm_proposed(record: PurchaseImport, source: str | None = None) -> PurchaseImport:
    """Confirm the mapping offered for an import (as another kind of file when `source` is given): for the
    command line, where nobody looks at a mapping screen."""
    source, columns, options = proposal(record, source)
    choose(record, source, columns, options.as_dict())
    return confirm(record, source, columns, options.as_dict())


def preview(record: PurchaseImport, count: int = 10) -> list[PreviewRow]:
    """Return what each of the file's first `count` rows will become, or its problem, in file order."""
    source, columns, options = proposal(record)
    converted = imports.convert(_sheet(record), source, columns, options, start=0, limit=count)
    zone = ZoneInfo(get_settings().time_zone)
    verdicts = _dry_run(record, converted.rows)
    shown = []
    for row in converted.rows:
        status, reason = verdicts.get(id(row), ("created", None))
        shown.append(PreviewRow(line=row.line, problem=reason) if status == "error"
                     else replace(_preview_row(row, zone), stored_before=status == "duplicate"))
    shown += [PreviewRow(line=line, problem=reason) for line, reason in converted.problems]
    return sorted(shown, key=lambda row: row.line)


def _dry_run(record: PurchaseImport, rows: list) -> dict[int, tuple[str, str | None]]:
    """Store the previewed rows inside a savepoint that is then rolled back, so that the preview says exactly
    what the import will do with them (an unknown location, a customer without e-mail or phone, a conflict);
    return id(row) -> (status, reason). A refund whose sale comes later in the file is fine."""
    verdicts = {}
    savepoint = db.session.begin_nested()
    try:
        customers = [row for row in rows if isinstance(row, CustomerRow)]
        sales = [row for row in rows if not isinstance(row, CustomerRow)]
        outcomes = [(customers, o) for o in store_customers(customers, source=record.source.split("_")[0])] \
            if customers else []
        outcomes += [(sales, o) for o in store_purchases(sales, source="import")] if sales else []
        for batch, outcome in outcomes:
            refused = outcome.status == "error" and not outcome.missing_original
            verdicts[id(batch[outcome.index])] = ("error", _reason(outcome.error)) if refused \
                else (outcome.status if outcome.status != "error" else "created", None)
    finally:
        savepoint.rollback()
    return verdicts


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
    start = record.done_rows
    settings = get_settings()  # held, so that the store's many reads of the settings find them in the session
    source, columns, options = proposal(record)
    converted = imports.convert(_sheet(record), source, columns, options, start=start, limit=size or CHUNK_ROWS)
    end = record.total_rows if converted.next_start is None else converted.next_start
    _claim(record, start, end)
    counts, found = _store(record, converted.rows)
    record.deferred += counts["deferred"]
    if converted.next_start is None and record.deferred:
        found += _deferred_refunds(record, source, columns, options)
    found = _note(record, counts, found, converted.problems)
    if converted.next_start is None:
        record.status, record.finished_at = "done", now or utcnow()
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
    rows = [row for row in imports.convert(_sheet(record), source, columns, options).rows
            if isinstance(row, PurchaseRow) and row.refund_of is not None and row.refunded_total_cents is None]
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
        outcomes += [(sales, outcome) for outcome in store_purchases(sales, source="import", import_id=record.id)]
    counts = {"created": 0, "duplicate": 0, "error": 0, "deferred": 0}
    refused = []
    for batch, outcome in outcomes:
        if outcome.missing_original and not last_try:
            counts["deferred"] += 1
            continue
        counts[outcome.status] += 1
        if outcome.status == "error":
            line = outcome.line if outcome.line is not None else batch[outcome.index].line
            refused.append({"line": line, "reason": _reason(outcome.error)})
    return counts, refused


def _reason(error: DomainError | None) -> str:
    """Say why a row was refused: what is wrong with each of its fields, else the error's message."""
    if error is None:
        return "Refused."
    fields = error.details.get("fields") or {}
    return " ".join(f"{name.replace('_', ' ').capitalize()}: {problem}" for name, problem in fields.items()) \
        or error.message


def _claim(record: PurchaseImport, start: int, end: int) -> None:
    """Move the import past this chunk, unless another request got there first (settled by the database)."""
    claimed = db.session.execute(
        update(PurchaseImport).where(PurchaseImport.id == record.id, PurchaseImport.done_rows == start,
                                     PurchaseImport.status == "running").values(done_rows=end)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise DomainError("busy", "This import is being run elsewhere at the same time; its page shows how far it is.")
    record.done_rows = end
    db.session.flush()


def _remember(source: str, columns: str, options: str) -> None:
    """Keep this mapping as the one offered next time for this kind of file."""
    mapping = db.session.scalar(select(ImportMapping).where(ImportMapping.source == source))
    if mapping is None:
        try:
            with db.session.begin_nested():
                db.session.add(ImportMapping(source=source, columns=columns, options=options))
            return
        except IntegrityError:  # another confirmation made it meanwhile: update that one
            mapping = db.session.scalar(select(ImportMapping).where(ImportMapping.source == source))
    mapping.columns, mapping.options, mapping.updated_at = columns, options, utcnow()


def _check_columns(record: PurchaseImport, source: str, columns: dict) -> dict:
    """Return field -> header for the fields of this kind of file, each header one of the file's."""
    known = set(_sheet(record).headers)
    fields = [field for field, _, _ in imports.FIELDS[source]]
    wrong = {field: "Choose one of the file's columns." for field in fields
             if columns.get(field) and columns[field] not in known}
    if wrong:
        raise ValidationError(wrong)
    return {field: columns.get(field) or None for field in fields}


def _options(stored: dict) -> imports.Options:
    """Return the options kept on an import."""
    return imports.Options(**{**stored, "currency": stored.get("currency") or get_settings().currency})


def _not_started(record: PurchaseImport) -> None:
    if record.status != "uploaded":
        raise DomainError("import_started", "This import has started: its columns can no longer change.")


def _preview_row(row, zone: ZoneInfo) -> PreviewRow:
    """Describe one converted row as the preview shows it."""
    if isinstance(row, CustomerRow):
        return PreviewRow(line=row.line, kind="customer", contact=_contact(row), external_id=row.external_id)
    refund = (row.amount_cents or 0) < 0 or row.refund_of is not None or row.refunded_total_cents is not None
    amount = row.amount_cents if row.amount_cents is not None else -(row.refunded_total_cents or 0)
    return PreviewRow(line=row.line, kind="refund" if refund else "sale", when=row.occurred_at.astimezone(zone),
                      amount_cents=amount, contact=_contact(row), external_id=row.external_id)


def _contact(row) -> str:
    """Who a row names: e-mail, phone, name or the till's customer id, whichever it has."""
    parts = [row.name, row.email or row.phone or getattr(row, "customer_ref", None)]
    return " ".join(part for part in parts if part)


def _clean_name(filename: str) -> str:
    """Return an uploaded file's name fit to show: no path, no control characters, at most 255 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if bad_character(ch) is None)
    return name[:255] or "upload.csv"


def _key(record: PurchaseImport) -> tuple:
    return str(db.engine.url), record.id, record.size, record.created_at


def _sheet(record: PurchaseImport) -> imports.Sheet:
    """Return the import's file, read once per process and kept while it is the one being worked on."""
    key = _key(record)
    if key not in _SHEETS:
        sheet = imports.read_sheet(record.content)
        _SHEETS.clear()
        _SHEETS[key] = sheet
    return _SHEETS[key]
