"""Turn a sheet's rows into purchases or customers, a chunk at a time: each bad row becomes (line, reason) and
the rest go on. In grouped files (Square item details, Shopify line items) a sale is never split across chunks:
it belongs to the chunk holding its first row, which gathers its other rows wherever they are."""
from dataclasses import dataclass

from campaigns.core.errors import ValidationError
from campaigns.sales.pos.columns import FIELDS, GROUPED, NEEDS, SOURCES, header_for, missing, normal
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
    """Return field -> column index, or raise ValidationError naming each field whose column is missing, in the
    words the mapping page marks it with (NEEDS)."""
    wrong, index = {}, {}
    for field, _, _ in FIELDS[source]:
        wanted = columns.get(field)
        index[field] = header_for(sheet.headers, wanted)
        if wanted and index[field] is None:
            wrong[field] = f"This file has no column “{wanted}”."
    needed = missing(NEEDS[source], {field: sheet.headers[at] for field, at in index.items() if at is not None})
    for need in needed:
        wrong.setdefault(need.fields[0], need.text)
    if wrong:
        raise ValidationError(wrong, f"Still to choose: {', '.join(need.short for need in needed)}." if needed
                              else "A column chosen is not in this file: choose another.")
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
    first = max(start, 0)
    rows, problems = [], []
    if not grouped:  # one row a sale: the chunk's rows read at once, each converted on its own
        for row, line in zip(sheet.rows[first:end], sheet.lines[first:end]):
            try:
                rows.extend(make(cells, [row], [line]))
            except RowProblem as problem:
                problems.append((problem.line or line, problem.message))
        return Converted(rows=rows, problems=sorted(problems), next_start=end if end < total else None)
    for position in range(first, end):
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
