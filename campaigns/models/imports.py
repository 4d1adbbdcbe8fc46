"""What arrives from other systems: customers' ids there, point-of-sale files and how their columns map."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow

IMPORT_STATUSES = ("uploaded", "running", "done")


class CustomerLink(db.Model):
    """A customer's id in another system (Square's `Customer ID`), so that its sales find our customer."""

    __tablename__ = "customer_link"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_customer_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<CustomerLink {self.source}:{self.external_id} -> {self.customer_id}>"


class ImportMapping(db.Model):
    """The column mapping and reading options last confirmed for one kind of file, offered again next time."""

    __tablename__ = "import_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), unique=True)
    columns: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field -> column header
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON: decimal mark, date order, time zone
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PurchaseImportFile(db.Model):
    """An import's uploaded file, in a row of its own: SQLite writes a whole row again whenever one of its columns
    changes, and every chunk of an import updates the import's progress and counts."""

    __tablename__ = "purchase_import_file"

    import_id: Mapped[int] = mapped_column(ForeignKey("purchase_import.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<PurchaseImportFile {self.import_id} {len(self.content or b'')} bytes>"


class PurchaseImport(db.Model):
    """One uploaded file and how far its import has gone; rows are written in chunks, each its own transaction."""

    __tablename__ = "purchase_import"
    __table_args__ = (
        CheckConstraint("status IN ('uploaded', 'running', 'done')", name="status"),
        CheckConstraint("done_rows <= total_rows", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    columns: Mapped[str] = mapped_column(Text, default="{}")
    options: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # Refunds whose sale had not been stored yet (a newest-first export lists the refund before the sale):
    # stored once more after the last chunk, when every sale of the file is in.
    deferred: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    errors: Mapped[str] = mapped_column(Text, default="[]", server_default=text("'[]'"))  # JSON: [{line, reason}]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    file: Mapped[PurchaseImportFile] = relationship(cascade="all, delete-orphan")  # read only when asked for
    content: AssociationProxy[bytes] = association_proxy("file", "content",
                                                         creator=lambda content: PurchaseImportFile(content=content))

    def __repr__(self) -> str:
        return f"<PurchaseImport {self.id} {self.filename!r} {self.status} {self.done_rows}/{self.total_rows}>"
