"""How an exported table's values become cells: text for a CSV in the business's locale, or typed XLSX values.

Every text cell passes the formula guard (`safe_cell`, OWASP's rule); numbers stay numbers: money as a plain
decimal in the locale's decimal sign (no currency sign, no grouping), rates as percentages with one decimal.
A moment is two cells: the business's local time to the second, and beside it the same moment in UTC (ISO 8601).
"""
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import get_decimal_symbol
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from campaigns.core.exports import safe_cell
from campaigns.core.money import LOCALES, exponent, to_decimal
from campaigns.giving.codes import format_code

TEXT, WHOLE, MONEY, PERCENT, MOMENT, DAY, FLAG, CODE, DETAILS = (
    "text", "whole", "money", "percent", "moment", "day", "flag", "code", "details")
LOCAL_TIME = "%Y-%m-%d %H:%M:%S"
UTC_TIME = "%Y-%m-%dT%H:%M:%SZ"
XLSX_TEXT_MAX = 32_767  # the most characters a spreadsheet cell holds
_ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Column:
    """One column of an exported table: its name and the kind of value the query gives for it."""

    name: str
    kind: str = TEXT

    def headers(self) -> list[str]:
        """Return the header cells: a moment has its local time and, beside it, `<name>_utc`."""
        return [self.name, f"{self.name}_utc"] if self.kind == MOMENT else [self.name]


@dataclass(frozen=True)
class Layout:
    """How one file writes values: the list separator and decimal sign, the business zone and its currency."""

    separator: str
    decimal: str
    zone: ZoneInfo
    currency: str


def layout_for(locale: str, time_zone: str, currency: str, machine: bool = False) -> Layout:
    """Return the layout a spreadsheet in this locale reads (`;` where the decimal sign is `,`), or with `machine`
    the comma and point every program reads."""
    if machine:
        return Layout(",", ".", ZoneInfo(time_zone), currency)
    decimal = get_decimal_symbol(Locale.parse(locale if locale in LOCALES else "en_US"))
    return Layout(";" if decimal == "," else ",", decimal, ZoneInfo(time_zone), currency)


def header_row(columns: tuple[Column, ...]) -> list[str]:
    """Return a table's header cells."""
    return [header for column in columns for header in column.headers()]


def _percent(fraction) -> Decimal:
    """A fraction (0.625) as a percentage with one decimal (62.5)."""
    return (Decimal(fraction) * 100).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _text(kind: str, value) -> str:
    """A text-like value as it reads: a code in groups of four, details as JSON, a flag as yes or no."""
    if kind == CODE:
        return format_code(value)
    if kind == DETAILS:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if kind == FLAG:
        return "yes" if value else "no"
    return str(value)


def csv_cells(columns: tuple[Column, ...], values, layout: Layout) -> list[str]:
    """Return one row's CSV cells in this layout."""
    cells: list[str] = []
    for column, value in zip(columns, values, strict=True):
        kind = column.kind
        if kind == MOMENT:
            cells += ["", ""] if value is None else [value.astimezone(layout.zone).strftime(LOCAL_TIME),
                                                     value.astimezone(UTC).strftime(UTC_TIME)]
        elif value is None and kind != FLAG:
            cells.append("")
        elif kind == WHOLE:
            cells.append(str(int(value)))
        elif kind in (MONEY, PERCENT):
            number = to_decimal(value, layout.currency) if kind == MONEY else _percent(value)
            cells.append(format(number, "f").replace(".", layout.decimal))
        elif kind == DAY:
            cells.append(value.isoformat())
        else:
            cells.append(safe_cell(_text(kind, value)))
    return cells


def xlsx_cells(sheet, columns: tuple[Column, ...], values, layout: Layout) -> list:
    """Return one row's XLSX cells: numbers and times as numbers with their display format, text never a formula."""
    cells: list = []
    for column, value in zip(columns, values, strict=True):
        kind = column.kind
        if kind == MOMENT:
            if value is None:
                cells += [None, None]
                continue
            local = value.astimezone(layout.zone).replace(tzinfo=None, microsecond=0)
            cells += [_formatted(sheet, local, "yyyy-mm-dd hh:mm:ss"), text_cell(sheet, value.astimezone(UTC)
                                                                                 .strftime(UTC_TIME))]
        elif value is None and kind != FLAG:
            cells.append(None)
        elif kind == WHOLE:
            cells.append(int(value))
        elif kind == MONEY:
            places = exponent(layout.currency)
            cells.append(_formatted(sheet, to_decimal(value, layout.currency), "0" + ("." + "0" * places
                                                                                      if places else "")))
        elif kind == PERCENT:
            cells.append(_formatted(sheet, _percent(value), "0.0"))
        elif kind == DAY:
            cells.append(_formatted(sheet, value if isinstance(value, date) else date.fromisoformat(value),
                                    "yyyy-mm-dd"))
        else:
            cells.append(text_cell(sheet, _text(kind, value)))
    return cells


def text_cell(sheet, text: str) -> WriteOnlyCell:
    """Return a text cell that no spreadsheet runs: the formula guard, then characters XML cannot carry dropped."""
    cell = WriteOnlyCell(sheet, value=safe_cell(ILLEGAL_CHARACTERS_RE.sub("", text))[:XLSX_TEXT_MAX])
    cell.data_type = "s"  # text, whatever it starts with: never a formula
    return cell


def _formatted(sheet, value, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell



@dataclass(frozen=True)
class Table:
    """An exportable table: what it is for, its columns, the model whose rows it counts, and its one query
    (given the filters, which only the audit log reads); `shape` turns a query row into the columns' values."""

    name: str
    description: str
    columns: tuple[Column, ...]
    model: type
    query: Callable
    shape: Callable | None = None
