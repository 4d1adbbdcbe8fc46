"""Who uses the app: users, API tokens, locations, and the business's settings."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from campaigns.extensions import db
from campaigns.models.types import UTCDateTime, utcnow

# Lowest first: each role may do all that the roles before it may.
ROLES = ("staff", "marketer", "owner")
ROLE_SQL = "(" + ", ".join(f"'{role}'" for role in ROLES) + ")"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLE_SQL}", name="role"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the id a session carries: raising it ends every session signed in before (see get_id).
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """Return the id a session stores: the user's id and session version, so a bumped version ends it."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(db.Model):
    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint(f"role IN {ROLE_SQL}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name} {self.role}>"


class Location(db.Model):
    __tablename__ = "location"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    def __repr__(self) -> str:
        return f"<Location {self.id} {self.name}>"


# Names are unique whatever their case: "Main St" and "main st" would be the same place to a person.
Index("uq_location_name_lower", func.lower(Location.name), unique=True)


class BusinessSettings(db.Model):
    """The one row of installation-wide settings."""

    __tablename__ = "business_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
        CheckConstraint("default_gross_margin_bp BETWEEN 0 AND 10000", name="margin_range"),
        CheckConstraint("length(default_phone_region) = 2", name="phone_region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    business_name: Mapped[str] = mapped_column(String(120), default="My business")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Basis points (1/100 of a percent), so 62.5% is exact: 6250.
    default_gross_margin_bp: Mapped[int] = mapped_column(Integer, default=10000)
    default_phone_region: Mapped[str] = mapped_column(String(2), default="US")
    # How people type and read money here (decimal and grouping marks): a Babel locale such as de_DE.
    locale: Mapped[str] = mapped_column(String(16), default="en_US", server_default="en_US")
    # The language customers read (pages, poster, cards, e-mails): a code of core.words.LANGUAGES; None: the
    # language of `locale` (de_DE: German), English where that one is not offered.
    customer_language: Mapped[str | None] = mapped_column(String(8))
    # The desk asks once more before recording a purchase above this (None: never asks).
    large_purchase_cents: Mapped[int | None] = mapped_column(Integer, default=50_000)
    # What customers' pages show about the business besides its name.
    address: Mapped[str | None] = mapped_column(String(255))
    opening_hours: Mapped[str | None] = mapped_column(String(255))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # up to 500 KB: loaded only by /logo
    logo_type: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<BusinessSettings {self.business_name} {self.currency} {self.time_zone}>"
