"""A point-of-sale file kept as an import: upload it (its kind of file detected), list the latest, and read it
once per process while it is being worked on.

Each chunk of an import is its own request, and reading a file of two million rows takes seconds: the file read
last is kept in memory, one per process, behind a lock (threads serve requests), until its import is done or
another file is read.
"""
import threading
from collections.abc import Callable

from sqlalchemy import select

from campaigns.core.errors import ValidationError
from campaigns.core.inputs import bad_character
from campaigns.extensions import db
from campaigns.models import PurchaseImport
from campaigns.sales import pos as imports

PAGE_SIZE = 50


class _OneFile:
    """The one file this process keeps, as (key, sheet), safe to share between threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._kept: tuple | None = None

    def get(self, key: tuple, read: Callable[[], imports.Sheet]) -> imports.Sheet:
        with self._lock:
            if self._kept is not None and self._kept[0] == key:
                return self._kept[1]
            self._kept = None  # let the old file go before reading the new one: never two in memory
            sheet = read()
            self._kept = (key, sheet)
            return sheet

    def keep(self, key: tuple, sheet: imports.Sheet) -> None:
        with self._lock:
            self._kept = (key, sheet)

    def drop(self, key: tuple | None = None) -> None:
        with self._lock:
            if self._kept is not None and (key is None or self._kept[0] == key):
                self._kept = None


_KEPT = _OneFile()


def upload(filename: str, data: bytes, user_id: int | None) -> PurchaseImport:
    """Keep an uploaded file as a new import, its kind of file detected; a file that is not CSV is refused."""
    sheet = imports.read_sheet(data)
    if not sheet.rows:
        raise ValidationError({"file": "The file has no rows below its header: there is nothing to import."})
    record = PurchaseImport(filename=_clean_name(filename), source=imports.detect_source(sheet.headers),
                            content=data, size=len(data), total_rows=len(sheet.rows), created_by_id=user_id)
    db.session.add(record)
    db.session.flush()
    _KEPT.keep(_key(record), sheet)
    return record


def recent_imports(limit: int = PAGE_SIZE) -> list[PurchaseImport]:
    """Return the latest imports, newest first (without their files' bytes)."""
    return list(db.session.scalars(select(PurchaseImport).order_by(PurchaseImport.id.desc()).limit(limit)))


def headers(record: PurchaseImport) -> list[str]:
    """Return the column headers of an import's file."""
    return sheet_of(record).headers


def _clean_name(filename: str) -> str:
    """Return an uploaded file's name fit to show: no path, no control characters, at most 255 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if bad_character(ch) is None)
    return name[:255] or "upload.csv"


def _key(record: PurchaseImport) -> tuple:
    return str(db.engine.url), record.id, record.size, record.created_at


def sheet_of(record: PurchaseImport) -> imports.Sheet:
    """Return the import's file, read once per process and kept while it is the one being worked on."""
    return _KEPT.get(_key(record), lambda: imports.read_sheet(record.content))


def let_go(record: PurchaseImport) -> None:
    """Drop the import's file from this process's memory (it is done, or failed)."""
    _KEPT.drop(_key(record))
