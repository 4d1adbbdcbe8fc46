"""Turn a sheet's rows into purchases or customers, a chunk at a time: each bad row becomes (line, reason) and
the rest go on. In grouped files (Square item details, Shopify line items) a sale is never split across chunks:
it belongs to the chunk holding its first row, which gathers its other rows wherever they are."""
from dataclasses import dataclass

from campaigns.core.errors import FieldErrors, ValidationError
from campaigns.sales.pos.columns import FIELDS, GROUPED, SOURCES, header_for, normal
from campaigns.sales.pos.formats import CONVERTERS, Cells, RowProblem
from campaigns.sales.pos.options import Options
from campaigns.sales.pos.reading import Sheet
from campaigns.sales.pos.timezones import ZoneError, zone
from campaigns.sales.rows import CustomerRow, PurchaseRow


@dataclass
class Converted:
    """What one chunk became: rows for the store, problems as (line, reason), and where the next chunk starts
    (None after the last)."""

    rows: list[PurchaseRow | CustomerRow]
    problems: list[tuple[int, str]]
    next_start: int | None


def _index(sheet: Sheet, source: str, columns: dict) -> dict[str, int | None]:
    """Return field -> column index, or raise ValidationError naming each field whose column is missing."""
    wrong, index = FieldErrors(), {}
    for field, label, required in FIELDS[source]:
        wanted = columns.get(field)
        index[field] = header_for(sheet.headers, wanted)
        if wanted and index[field] is None:
            wrong.add(field, f"This file has no column “{wanted}”.")
        elif required and index[field] is None:
            wrong.add(field, f"Choose the column that holds the {label[0].lower() + label[1:]}.")
    if source in ("square_transactions", "square_items") and index["payment_id"] is None \
            and index["transaction_id"] is None and not wrong.fields:
        wrong.add("payment_id", "Choose the Payment ID column (or the Transaction ID column).")
    wrong.raise_any()
    return index


def _key(cells: Cells, source: str, row: list[str]) -> tuple | None:
    """Return the group a row belongs to (None when nothing identifies it)."""
    if source == "shopify_orders":
        order = cells.get(row, "order") or cells.get(row, "order_id")
        return (order,) if order else None
    sale = cells.get(row, "transaction_id") or cells.get(row, "payment_id")
    if not sale:
        return None
    return (sale, normal(cells.get(row, "event_type")), cells.get(row, "date"), cells.get(row, "time"))


def _groups(sheet: Sheet, source: str, cells: Cells) -> tuple[list, dict]:
    """Return each row's group key and key -> its rows' indexes, computed once per sheet and mapping."""
    cache_key = (source, tuple(sorted((f, i) for f, i in cells.index.items() if i is not None)))
    if cache_key not in sheet.cache:
        keys = [_key(cells, source, row) for row in sheet.rows]
        members: dict[tuple, list[int]] = {}
        for position, key in enumerate(keys):
            if key is not None:
                members.setdefault(key, []).append(position)
        sheet.cache.clear()
        sheet.cache[cache_key] = (keys, members)
    return sheet.cache[cache_key]


def convert(sheet: Sheet, source: str, columns: dict, options: Options, start: int = 0,
            limit: int | None = None) -> Converted:
    """Convert data rows [start, start + limit) into PurchaseRow/CustomerRow objects, each with its line; a bad
    row becomes (line, reason). Raise ValidationError when a required column is unmapped or the zone unknown."""
    if source not in SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    index = _index(sheet, source, columns or {})
    if options.decimal_mark not in (".", ","):
        raise ValidationError({"decimal_mark": "The decimal mark is “.” or “,”."})
    try:
        where = zone(options.time_zone)
    except ZoneError as error:
        raise ValidationError({"time_zone": f"“{options.time_zone}”: {error}."}) from None
    cells, make = Cells(sheet.headers, index, options, where), CONVERTERS[source]
    total = len(sheet.rows)
    end = total if limit is None else min(total, max(start, 0) + max(limit, 1))
    grouped = source in GROUPED
    keys, members = _groups(sheet, source, cells) if grouped else (None, None)
    rows, problems = [], []
    for position in range(max(start, 0), end):
        group = [position]
        if grouped:
            key = keys[position]
            if key is None:
                field = "order" if source == "shopify_orders" else \
                    "transaction_id" if cells.mapped("transaction_id") else "payment_id"
                problems.append((sheet.lines[position], f"{cells.name(field)} is empty: this row belongs to no sale."))
                continue
            group = members[key]
            if group[0] != position:
                continue  # the chunk holding the group's first row took it
        lines = [sheet.lines[k] for k in group]
        try:
            rows.extend(make(cells, [sheet.rows[k] for k in group], lines))
        except RowProblem as problem:
            problems.append((problem.line or lines[0], problem.message))
    return Converted(rows=rows, problems=sorted(problems), next_start=end if end < total else None)
