"""Write entries to the audit log."""
from datetime import datetime

from sqlalchemy import insert

from campaigns.extensions import db
from campaigns.models import AuditEntry, utcnow


def record(action: str, outcome: str, *, user_id: int | None = None, token_id: int | None = None,
           location_id: int | None = None, ip_address: str | None = None,
           device_time: datetime | None = None, subject: tuple[str, object] | None = None,
           details: dict | None = None, now: datetime | None = None) -> int:
    """Write one audit entry in the current transaction (a plain INSERT: it sits on hot paths); return its id."""
    return db.session.execute(insert(AuditEntry.__table__).values(
        occurred_at=now or utcnow(), action=action, outcome=outcome, user_id=user_id, token_id=token_id,
        location_id=location_id, ip_address=ip_address, device_time=device_time,
        subject_type=subject[0] if subject else None, subject_id=str(subject[1]) if subject else None,
        details=details or {},
    ).returning(AuditEntry.__table__.c.id)).scalar_one()


def changes(before: dict, after: dict, secret: frozenset[str] = frozenset()) -> dict:
    """Return what changed between two readings of the same fields as {field: [old, new]}, for an entry's details;
    a secret field (a password) that changed reads "changed", never its value."""
    found = {}
    for field, new in after.items():
        old = before.get(field)
        if old != new:
            found[field] = "changed" if field in secret else [_plain(old), _plain(new)]
    return found


def _plain(value):
    """A value as JSON keeps it: text, a number, a flag or None; anything else (a date, a Decimal) as its text."""
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
