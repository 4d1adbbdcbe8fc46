"""Writing an exported table as a file a piece at a time: CSV (UTF-8, a BOM for spreadsheets) or an XLSX workbook.

Neither holds the whole file in memory: the CSV is written a few hundred rows at a time; the workbook is written by
openpyxl in write-only mode (its rows go to a temporary file as they come), zipped into another temporary file,
and that file is read out in chunks.
"""
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from campaigns.core.exports import safe_cell
from campaigns.reports.spreadsheet_cells import MOMENT, Column, Layout, csv_cells, header_row, text_cell, xlsx_cells

BOM = "\ufeff"
ROWS_PER_CHUNK = 500
BYTES_PER_CHUNK = 64 * 1024


def csv_chunks(columns: tuple[Column, ...], rows: Iterable, layout: Layout, bom: bool = True) -> Iterator[bytes]:
    """Yield a CSV of the rows in UTF-8, a few hundred rows a chunk: the header first (after a BOM when asked)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=layout.separator, lineterminator="\r\n")
    buffer.write(BOM if bom else "")
    writer.writerow([safe_cell(header) for header in header_row(columns)])
    waiting = 0
    for row in rows:
        writer.writerow(csv_cells(columns, row, layout))
        waiting += 1
        if waiting == ROWS_PER_CHUNK:
            yield _drain(buffer)
            waiting = 0
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    """Return what the buffer holds as UTF-8 and empty it."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def xlsx_chunks(title: str, columns: tuple[Column, ...], rows: Iterable, layout: Layout) -> Iterator[bytes]:
    """Yield an XLSX workbook of one sheet: a frozen header row, then the rows with typed cells."""
    with tempfile.TemporaryFile() as file:
        _write_workbook(file, title, columns, rows, layout)
        file.seek(0)
        while chunk := file.read(BYTES_PER_CHUNK):
            yield chunk


def _write_workbook(file, title: str, columns: tuple[Column, ...], rows: Iterable, layout: Layout) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    position = 1
    for column in columns:
        for _ in column.headers():
            width = 20 if column.kind == MOMENT else max(10, min(40, len(column.name) + 2))
            sheet.column_dimensions[get_column_letter(position)].width = width
            position += 1
    sheet.append([text_cell(sheet, header) for header in header_row(columns)])
    for row in rows:
        sheet.append(xlsx_cells(sheet, columns, row, layout))
    workbook.save(file)
