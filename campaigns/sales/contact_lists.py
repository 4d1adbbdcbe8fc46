"""A list of people as a spreadsheet exports it (uploaded or pasted): read like a till's file (any encoding and
delimiter the imports read), its columns matched by the names the imports know, each row made a contact or
reported by its line. Nothing is stored: the list becomes an audience only when a marketer assigns it."""
from dataclasses import dataclass

from campaigns.contacts.contact import Contact, make_contact
from campaigns.core.errors import ValidationError
from campaigns.sales.pos import Sheet, read_sheet
from campaigns.sales.pos.columns import CONTACT_ALIASES, CONTACT_FIELDS, CONTACT_NEEDS, header_for, match_columns, unmet
from campaigns.sales.pos.reading import DELIMITERS, decode_text

FIELDS = CONTACT_FIELDS
NEEDS = CONTACT_NEEDS
LIST_MAX_BYTES = 1 * 2**20  # a pasted or carried list is one form field: the app's limit on one


@dataclass(frozen=True)
class ContactList:
    """A list read with a column mapping: the contacts in file order and the lines that are not one."""

    columns: dict[str, str | None]
    contacts: list[Contact]
    problems: list[tuple[int, str]]  # (line, what is wrong)
    rows: int


def read_list(text: str) -> Sheet:
    """Read a pasted or uploaded list (one column of addresses is a list too); invalid_input (file) when it is
    empty, too long, has no header line or is not a table."""
    if not text.strip():
        raise ValidationError({"file": "The list is empty: paste rows with a header line, or choose a CSV file."})
    if len(text.encode("utf-8")) > LIST_MAX_BYTES:
        raise ValidationError({"file": f"The list is over {LIST_MAX_BYTES // 2**20} MB: split it and add each part."})
    lines = text.lstrip("\ufeff").splitlines()
    first = lines[0] if lines else ""
    if "@" in first:  # its first person would be read as the column names
        raise ValidationError({"file": "The list needs a header line above its rows (for example: email,name)."})
    if not any(mark in first for mark in DELIMITERS):
        rows = [(number, line.strip()) for number, line in enumerate(lines[1:], start=2) if line.strip()]
        if not rows:
            raise ValidationError({"file": "The list has no rows below its header line."})
        return Sheet([first.strip()], [[cell] for _, cell in rows], [n for n, _ in rows], "utf-8", ",")
    return read_sheet(text.encode("utf-8"))


def decode_upload(data: bytes) -> str:
    """Return an uploaded file as text (in the encodings the imports read), refusing what is not text."""
    if not data.strip():
        raise ValidationError({"file": "The file is empty."})
    return decode_text(data).replace("\r\n", "\n")


def suggested_columns(sheet: Sheet, chosen: dict[str, str | None] | None = None) -> dict[str, str | None]:
    """Return field -> header: the columns chosen (those the list has), the others guessed from their names."""
    return match_columns(CONTACT_ALIASES, sheet.headers, chosen)


def check_columns(sheet: Sheet, columns: dict[str, str | None]) -> dict[str, str | None]:
    """Return the mapping with each header one of the list's and an e-mail column among them."""
    wrong = {f"column_{field}": "Choose one of the list's columns." for field, _, _ in FIELDS
             if columns.get(field) and header_for(sheet.headers, columns[field]) is None}
    if not wrong:  # an audience is e-mailed its vouchers: the e-mail column is needed
        wrong = {f"column_{field}": text for field, text in unmet(NEEDS, columns).items()}
    if wrong:
        raise ValidationError(wrong, "Check the columns marked below.")
    return {field: columns.get(field) or None for field, _, _ in FIELDS}


def contacts_of(sheet: Sheet, columns: dict[str, str | None]) -> ContactList:
    """Make each row a contact (e-mail lower-cased, phone in E.164), or note its line and what is wrong."""
    columns = check_columns(sheet, columns)
    index = {field: header_for(sheet.headers, header) for field, header in columns.items()}
    contacts, problems = [], []
    for line, cells in zip(sheet.lines, sheet.rows, strict=True):
        value = {field: (cells[i].strip() if i is not None and i < len(cells) else "") for field, i in index.items()}
        name = value["name"] or " ".join(part for part in (value["first_name"], value["last_name"]) if part)
        if not any(value.values()):
            continue  # a blank line
        try:
            contacts.append(make_contact(value["email"] or None, value["phone"] or None, name or None))
        except ValidationError as error:
            problems.append((line, " ".join(error.details["fields"].values())))
    return ContactList(columns, contacts, problems, len(sheet.rows))
