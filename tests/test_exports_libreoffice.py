"""The exports opened in LibreOffice, headless, as a German and an English spreadsheet would open them: every
table's CSV and workbook read back with the right columns, umlauts intact, numbers as numbers and times as times.
One soffice run per locale converts all sixteen files; REQUIRE_LIBREOFFICE=1 makes a missing soffice a failure."""
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app import create_app
from campaigns.accounts import users
from campaigns.extensions import db
from campaigns.reports import table_exports
from campaigns.reports.spreadsheet_cells import DAY, MOMENT, MONEY, PERCENT, WHOLE, header_row
from tests.conftest import app_config, missing
from tests.exports_data import CAMPAIGN, FORMULA, fill

SOFFICE = os.environ.get("SOFFICE_PATH", shutil.which("soffice") or "/usr/bin/soffice")
# LibreOffice's CSV filter options: separator, quote ("), UTF-8 (76), first line 1, no column types, the language
# numbers and dates are read in (1031 German, 1033 English US), no "quoted as text", detect special numbers (dates).
CSV_READ = {"de_DE": "CSV:59,34,76,1,,1031,false,true", "en_US": "CSV:44,34,76,1,,1033,false,true"}
NUMBERS = (WHOLE, MONEY, PERCENT)


def _write_files(template: Path, folder: Path, locale: str) -> None:
    """Fill the café in this locale on a copy of the migrated SQLite database; write every table in both formats
    (a workbook's name gets `-book`, as LibreOffice names what it writes after what it reads)."""
    shutil.copy(template, folder / "shop.db")
    app = create_app(app_config(f"sqlite:///{folder / 'shop.db'}"))
    with app.app_context():
        owner = users.create_user("owner@example.com", "Jürgen Größe", "owner", "correct horse battery staple 9")
        db.session.commit()
        fill(locale, owner.id)
        for name in table_exports.TABLES:
            for fmt, suffix in (("csv", ".csv"), ("xlsx", "-book.xlsx")):
                with open(folder / "in" / f"{name}{suffix}", "wb") as file:
                    file.writelines(table_exports.download(name, fmt).chunks)
        db.session.remove()
        db.engine.dispose()


def _open_in_libreoffice(folder: Path, locale: str) -> None:
    """Convert every file of `in/` to a workbook in `out/`, in one soffice run with a profile of its own."""
    files = sorted(str(path) for path in (folder / "in").iterdir())
    done = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless",
                           f"--infilter={CSV_READ[locale]}", "--convert-to", "xlsx", "--outdir", str(folder / "out"),
                           *files], check=False, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(folder)})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("locale", ["de_DE", "en_US"])
def test_every_export_opens_right_in_libreoffice(sqlite_template, tmp_path, locale):
    if not os.path.exists(SOFFICE):
        missing(f"LibreOffice (soffice at {SOFFICE})", "REQUIRE_LIBREOFFICE")
    (tmp_path / "in").mkdir()
    _write_files(sqlite_template, tmp_path, locale)
    _open_in_libreoffice(tmp_path, locale)
    for name, table in table_exports.TABLES.items():
        kinds = [column.kind if header == column.name else "utc" for column in table.columns
                 for header in column.headers()]
        for read in (f"{name}.xlsx", f"{name}-book.xlsx"):
            rows = _rows(tmp_path / "out" / read)
            assert list(rows[0]) == header_row(table.columns), read
            assert len(rows) > 1, read
            for row in rows[1:]:
                for kind, value in zip(kinds, row, strict=True):
                    if value is None:
                        continue
                    if kind in NUMBERS:
                        assert isinstance(value, int | float) and not isinstance(value, bool), (read, kind, value)
                    elif kind == MOMENT:
                        assert isinstance(value, datetime), (read, value)
                    elif kind == DAY:
                        assert isinstance(value, datetime | date), (read, value)
            _check_values(name, [dict(zip(rows[0], row, strict=True)) for row in rows[1:]])


def _rows(path: Path) -> list[tuple]:
    """A workbook's first sheet as rows of values."""
    workbook = load_workbook(path, read_only=True)
    try:
        return [row for row in workbook.active.iter_rows(values_only=True) if any(cell is not None for cell in row)]
    finally:
        workbook.close()


def _check_values(name: str, found: list[dict]) -> None:
    """The values a person would look at first, alike in the CSV and the workbook as LibreOffice read them."""
    if name == "customers":
        assert (found[0]["name"], found[0]["total_spent"], found[0]["purchases"]) == ("Jürgen Größe", 1230, 1)
        assert found[0]["unsubscribed_at"] == datetime(2026, 12, 4, 6, 13, 44)
    elif name == "purchases":
        assert [row["amount"] for row in found] == [1234.5, -4.5]
    elif name == "campaigns":
        assert (found[0]["name"], found[0]["fixed_cost"], found[0]["gross_margin_pct"]) == (CAMPAIGN, 1234.5, 62.5)
        assert (found[0]["redemption_rate_pct"], found[0]["offer"]) == (33.3, "Ein Stück Kuchen")
    elif name == "redemptions":
        assert found[0]["redeemed_at"] == datetime(2026, 12, 3, 6, 13, 44)
        assert found[0]["redeemed_at_utc"] == "2026-12-03T05:13:44Z"
    elif name == "feedback":
        assert (found[0]["answer"], found[0]["answer_2"], found[0]["score"]) == ("Die Größe war gut", "'=1+1", 9)
    elif name == "vouchers":
        assert [row["batch"] for row in found] == ["flyer", "flyer", "'" + FORMULA]  # text, never run
    elif name == "deliveries":
        assert (found[0]["subject"], found[0]["attempts"]) == ("'-2+3 Grüße", 1)
    elif name == "audit":
        assert CAMPAIGN in {row["campaign"] for row in found} and {row["user"] for row in found} >= {"Jürgen Größe"}
