"""Mapping a point-of-sale file's columns: what to offer (remembered per kind of file), the choice kept on an
import not yet started, the confirmation that starts it, and a preview of what its first rows become."""
import json
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaigns.accounts.business import get_settings
from campaigns.core.errors import DomainError, ValidationError
from campaigns.extensions import db
from campaigns.models import ImportMapping, PurchaseImport, utcnow
from campaigns.sales import ledger
from campaigns.sales import pos as imports
from campaigns.sales.directory import store_customers
from campaigns.sales.import_files import sheet_of
from campaigns.sales.rows import CustomerRow, reason

DECIMAL_MARKS = {".": "Point (12.50)", ",": "Comma (12,50)"}
DATE_ORDERS = {"ymd": "Year first (2026-05-12)", "mdy": "Month first (05/12/2026)", "dmy": "Day first (12/05/2026)"}


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


def proposal(record: PurchaseImport, source: str | None = None) -> tuple[str, dict, imports.Options]:
    """Return (source, columns, options) to offer: what this import was given, else what was last confirmed
    for that kind of file, else what the file suggests."""
    source = source or record.source
    own = json.loads(record.columns or "{}")
    if own and source == record.source:
        return source, own, _options(json.loads(record.options or "{}"))
    sheet = sheet_of(record)
    mapping = db.session.scalar(select(ImportMapping).where(ImportMapping.source == source))
    remembered = json.loads(mapping.columns) if mapping else None
    columns = imports.suggest_columns(source, sheet.headers, remembered)
    settings = get_settings()
    options = imports.suggest_options(sheet, source, columns, locale=settings.locale,
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
    imports.convert(sheet_of(record), source, json.loads(record.columns), _options(json.loads(record.options)), 0, 1)
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
    converted = imports.convert(sheet_of(record), source, columns, options, start=0, limit=count)
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
        outcomes += [(sales, o) for o in ledger.store_purchases(sales, source="import")] if sales else []
        for batch, outcome in outcomes:
            refused = outcome.status == "error" and not outcome.missing_original
            verdicts[id(batch[outcome.index])] = ("error", reason(outcome.error)) if refused \
                else (outcome.status if outcome.status != "error" else "created", None)
    finally:
        savepoint.rollback()
    return verdicts


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
    known = set(sheet_of(record).headers)
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
