"""Every table as a file the owner opens in a spreadsheet (issue 32): CSV or an XLSX workbook, streamed.

By default a file is written for the business's spreadsheet: UTF-8 with a BOM, the locale's list separator and
decimal sign (`;` and `,` in de_DE), times in the business's zone to the second with the same moment in UTC beside.
The machine-readable choice writes comma and point, and no BOM. The existing API and report CSVs are not these.
"""
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from campaigns.accounts.business import get_settings
from campaigns.core import inputs
from campaigns.core.errors import FieldErrors
from campaigns.extensions import db
from campaigns.models import utcnow
from campaigns.reports.audit_trail import AuditFilters
from campaigns.reports.export_ledger import CAMPAIGNS, PURCHASES, REDEMPTIONS, VOUCHERS
from campaigns.reports.export_people import AUDIT, CUSTOMERS, DELIVERIES, FEEDBACK
from campaigns.reports.spreadsheet_cells import layout_for
from campaigns.reports.spreadsheet_files import csv_chunks, xlsx_chunks

TABLES = {table.name: table for table in (CUSTOMERS, PURCHASES, REDEMPTIONS, VOUCHERS, CAMPAIGNS, FEEDBACK,
                                          DELIVERIES, AUDIT)}
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
STREAM_ROWS = 500  # rows fetched from the database at a time


@dataclass(frozen=True)
class TableSummary:
    """An exportable table as the exports page lists it."""

    name: str
    description: str
    rows: int


@dataclass(frozen=True)
class Download:
    """A file to hand out: its name, its media type and its bytes, produced a chunk at a time as it is read."""

    filename: str
    mimetype: str
    chunks: Iterator[bytes]


def overview() -> list[TableSummary]:
    """Return each exportable table with what it is for and how many rows it has."""
    counts = select(*(select(func.count()).select_from(table.model).scalar_subquery() for table in TABLES.values()))
    return [TableSummary(table.name, table.description, rows)
            for table, rows in zip(TABLES.values(), db.session.execute(counts).one(), strict=True)]


def read_audit_filter(args: Mapping[str, str]) -> AuditFilters:
    """Read the audit export's filters from query-string values (user, token, action, campaign, from, to: local
    dates YYYY-MM-DD, inclusive); an empty one filters nothing; raise ValidationError naming each wrong one."""
    errors = FieldErrors()
    given = {name: (args.get(name) or "").strip() for name in ("user", "token", "action", "campaign", "from", "to")}
    ids = {name: errors.check(inputs.whole, given[name], name, 1, inputs.ID_MAX) if given[name] else None
           for name in ("user", "token", "campaign")}
    action = errors.check(inputs.text, given["action"], "action", 64) if given["action"] else None
    first, last = (errors.check(inputs.day, given[name], name) if given[name] else None for name in ("from", "to"))
    if first and last and last < first:
        errors.add("to", "The last day comes on or after the first.")
    errors.raise_any()
    return AuditFilters(user_id=ids["user"], token_id=ids["token"], action=action, campaign_id=ids["campaign"],
                       day_from=first, day_to=last)


def table_rows(name: str, filters: AuditFilters | None = None, zone: ZoneInfo | None = None) -> Iterator[tuple]:
    """Yield a table's rows as its columns' values, streamed from its one query (filters: the audit log's)."""
    table = TABLES[name]
    zone = zone or ZoneInfo(get_settings().time_zone)
    result = db.session.execute(table.query(filters, zone).execution_options(yield_per=STREAM_ROWS))
    for row in result:
        yield table.shape(row) if table.shape else tuple(row)


def download(name: str, fmt: str, *, machine: bool = False, filters: AuditFilters | None = None,
             now: datetime | None = None) -> Download:
    """Return a table as a CSV or XLSX file in the business's locale (or, with `machine`, comma and point)."""
    table = TABLES[name]
    settings = get_settings()
    layout = layout_for(settings.locale, settings.time_zone, settings.currency, machine)
    day = (now or utcnow()).astimezone(layout.zone).date().isoformat()
    rows = table_rows(name, filters, layout.zone)
    if fmt == "xlsx":
        chunks = xlsx_chunks(name, table.columns, rows, layout)
    else:
        chunks = csv_chunks(table.columns, rows, layout, bom=not machine)
    return Download(f"{name}-{day}{'-machine' if machine and fmt == 'csv' else ''}.{fmt}", MIMETYPES[fmt], chunks)
