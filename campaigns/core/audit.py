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
