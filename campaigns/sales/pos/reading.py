"""Read an uploaded file as a sheet of text cells, or refuse it whole when it is not CSV.

Encodings: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), else
Windows-1252. Delimiter: comma, semicolon, tab or pipe, sniffed from the first records (or Excel's "sep=;" line).
Each row keeps the line of the file it starts on, for reports.

A file of two million rows is kept while it is imported, chunk by chunk: as its UTF-8 bytes and where each row
starts (`Rows`, about 8 bytes a row beside the file itself), each row's cells read again when asked for, never
as millions of small Python strings (about 450 bytes a row, which the process then keeps for good).
"""
import csv
import io
import re
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate, compress
from operator import methodcaller
from dataclasses import dataclass, field

from campaigns.core.errors import ValidationError

DELIMITERS = (",", ";", "\t", "|")
SNIFF_RECORDS = 50
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image"), (b"\xff\xd8\xff", "an image"), (b"GIF8", "an image"),
    (b"{\\rtf", "a rich-text document"),
    (b"\x1f\x8b", "a gzip archive"),
)
_VALUE = re.compile(r"[\s$€£¥()+\-\u2212.,:/\d]*\d[\s$€£¥()+\-\u2212.,:/\d]*|[^@\s]+@[^@\s]+\.[^@\s]+")
SAVE_AS = "Save it from the till or spreadsheet as CSV (comma- or semicolon-separated values) and upload that."


class Rows(Sequence):
    """A file's data rows, each read into its cells when asked for: the file's UTF-8 bytes and the byte offset
    each row starts at (a row ends where the next begins; blank lines between are skipped by the reader)."""

    def __init__(self, blob: bytes, starts: array, delimiter: str):
        self._blob, self._starts, self._delimiter = blob, starts, delimiter

    def __len__(self) -> int:
        return len(self._starts)

    def _row(self, index: int) -> list[str]:
        end = self._starts[index + 1] if index + 1 < len(self._starts) else len(self._blob)
        text = self._blob[self._starts[index]:end].decode("utf-8")
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter, strict=False))

    def _span(self, start: int, stop: int) -> list[list[str]]:
        """Read rows [start, stop) with one reader: from a row's start the records follow as the file was first
        read, the blank ones it skipped included (skipped again here by the same rule)."""
        end = self._starts[stop] if stop < len(self._starts) else len(self._blob)
        text = self._blob[self._starts[start]:end].decode("utf-8")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter, strict=False)
        return [cells for cells in reader if not _blank(cells)][:stop - start]

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._span(start, stop) if start < stop else []
            return [self._row(i) for i in range(start, stop, step)]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._row(index)

    def __iter__(self) -> Iterator[list[str]]:
        return (self._row(i) for i in range(len(self)))


@dataclass
class Sheet:
    """A file read as text: its header cells, its data rows (cells as written) and the line each row starts on."""

    headers: list[str]
    rows: Sequence[list[str]]
    lines: Sequence[int]
    encoding: str
    delimiter: str
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # per-source work shared by chunks


def _refuse(message: str):
    raise ValidationError({"file": message})


def _decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name), or refuse a file that is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            _refuse(f"The file says it is UTF-16 text but is not. {SAVE_AS}")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            _refuse(f"This is {what}, not a CSV file. {SAVE_AS}")
    if b"\x00" in data[:65536]:
        _refuse(f"This is not a text file. {SAVE_AS}")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            _refuse("The file starts as UTF-8 text but holds bytes that are not UTF-8.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        _refuse(f"The file is neither UTF-8 nor Windows-1252 text. {SAVE_AS}")


def _check_text(text: str) -> None:
    sample = text[:65536]
    controls = sum(1 for char in sample if unicodedata.category(char) == "Cc" and char not in "\t\r\n")
    if controls > max(2, len(sample) // 1000):
        _refuse(f"This is not a text file. {SAVE_AS}")
    start = sample.lstrip()[:20].casefold()
    if start.startswith(("<!doctype", "<html", "<?xml", "<table")):
        _refuse(f"This is a web page or XML, not a CSV file. {SAVE_AS}")
    if start.startswith(("{", "[")):
        _refuse(f"This looks like JSON, not a CSV file. {SAVE_AS}")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _lines(text: str, starts: array | None, ascii_only: bool) -> Iterator[str]:
    """Yield the text's lines with their endings (split as io.StringIO(newline="") splits them), noting in
    `starts` the UTF-8 byte offset each line begins at."""
    offset = 0
    for match in _LINE.finditer(text):
        line = match.group()
        if not line:
            return
        if starts is not None:
            starts.append(offset)
            offset += len(line) if ascii_only else len(line.encode("utf-8"))
        yield line


def _blank(cells: list[str]) -> bool:
    """Tell whether a record holds nothing (a blank line, or only empty cells): it is no row."""
    return not cells or not (cells[0].strip() or any(cell.strip() for cell in cells))


def _records(text: str, delimiter: str, limit: int | None = None, starts: array | None = None,
             ascii_only: bool = True) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, cells) for each record, skipping blank lines; csv.Error propagates. With `starts`, the
    byte offset of each line is noted there as it is read (index: line number - 1)."""
    reader = csv.reader(_lines(text, starts, ascii_only), delimiter=delimiter, strict=False)
    end = 0
    for cells in reader:
        start, end = end + 1, reader.line_num
        if _blank(cells):
            continue
        yield start, cells
        if limit is not None:
            limit -= 1
            if limit <= 0:
                return


def _sniff(text: str) -> str:
    """Return the delimiter that splits the first records into the most columns, consistently."""
    best, best_key = None, None
    for delimiter in DELIMITERS:
        try:
            sample = [cells for _, cells in _records(text, delimiter, SNIFF_RECORDS)]
        except csv.Error:
            continue
        if not sample or len(sample[0]) < 2:
            continue
        width, data = len(sample[0]), sample[1:]
        steady = sum(1 for cells in data if len(cells) == width) / len(data) if data else 1.0
        key = (steady >= 0.6, width if steady >= 0.6 else steady, width)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    if best is None:
        _refuse("The file has a single column: it is not a CSV export with columns such as a date and an "
                f"amount separated by commas or semicolons. {SAVE_AS}")
    return best


def decode_text(data: bytes) -> str:
    """Return a file's text, read in the encodings read_sheet() reads; refuse a file that is not text."""
    return _decode(data)[0]


def _layout(text: str, delimiter: str, skipped: int) -> tuple[list[str] | None, array, array]:
    """Return the header's cells (None when there is no record), and each data row's byte offset and line."""
    line_starts = array("Q")
    starts, lines, headers = array("Q"), array("L"), None
    try:
        for line, cells in _records(text, delimiter, starts=line_starts, ascii_only=text.isascii()):
            if headers is None:
                headers = cells
                continue
            starts.append(line_starts[line - 1])
            lines.append(line + skipped)
    except csv.Error as error:
        _refuse(f"The file cannot be read as CSV ({error}).")
    return headers, starts, lines


def _unquoted_layout(text: str, delimiter: str, skipped: int) -> tuple[list[str] | None, array, array] | None:
    """_layout of a file without quotes, where each line is one record and a line of nothing but delimiters and
    spaces is blank, found with C loops instead of the reader's steps per line and cell; None for another file
    (quotes, a NUL, or a line longer than a cell may be, which the reader refuses)."""
    if '"' in text or "\x00" in text or delimiter in '"\r\n':
        return None
    pieces = _LINE.findall(text)[:-1]  # each line with its ending; the last match is the empty one at the end
    if max(map(len, pieces), default=0) > csv.field_size_limit():
        return None
    offsets = list(accumulate(map(len, pieces if text.isascii() else map(str.encode, pieces)), initial=0))
    kept = list(compress(range(len(pieces)), map(str.strip, map(methodcaller("replace", delimiter, ""), pieces))))
    if not kept:
        return None, array("Q"), array("L")
    headers = next(csv.reader([pieces[kept[0]]], delimiter=delimiter, strict=False))
    return (headers, array("Q", map(offsets.__getitem__, kept[1:])),
            array("L", map((1 + skipped).__add__, kept[1:])))


def read_sheet(data: bytes) -> Sheet:
    """Read an uploaded file as a sheet; raise ValidationError({"file": ...}) when it is not CSV."""
    if not data or not data.strip():
        _refuse("The file is empty.")
    text, encoding = _decode(data)
    _check_text(text)
    skipped = 0
    declared = re.match(r"\ufeff?sep=(.)\r?\n", text[:8])
    if declared:  # Excel's hint line: "sep=;"
        text, skipped, delimiter = text[declared.end():], 1, declared.group(1)
    else:
        delimiter = _sniff(text)
    headers, starts, lines = _unquoted_layout(text, delimiter, skipped) or _layout(text, delimiter, skipped)
    if headers is None:
        _refuse("The file is empty.")
    headers = [cell.replace("\ufeff", "").strip() for cell in headers]
    named = [cell for cell in headers if cell]
    if len(named) < 2:
        _refuse(f"The first line names fewer than two columns: this is not a CSV export. {SAVE_AS}")
    if all(_VALUE.fullmatch(cell) for cell in named):
        _refuse("The first line holds values, not column names: add a line naming the columns "
                "(for example Date, Amount, Email, Id).")
    if not starts:
        _refuse("The file names its columns but has no rows to import.")
    blob = text.encode("utf-8")
    del text
    return Sheet(headers=headers, rows=Rows(blob, starts, delimiter), lines=lines, encoding=encoding,
                 delimiter=delimiter)
