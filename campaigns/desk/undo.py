"""Undoing a redemption at the desk: its own staff member within 15 minutes, a marketer or owner any time."""
from datetime import datetime, timedelta

from sqlalchemy import update

from campaigns.core import audit
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.jobs import webhooks
from campaigns.models import ROLES, Redemption, User, Voucher, utcnow

UNDO_WINDOW = timedelta(minutes=15)


class UndoError(DomainError):
    """A redemption that cannot be undone as asked."""


def may_undo(redemption: Redemption, user: User, now: datetime | None = None) -> bool:
    """Whether `user` may undo `redemption`: their own within 15 minutes, any if above staff."""
    if user.role != ROLES[0]:
        return True
    return redemption.user_id == user.id and (now or utcnow()) - redemption.recorded_at <= UNDO_WINDOW


def undo(redemption_id: int, user: User, reason: str, now: datetime | None = None) -> Redemption:
    """Undo a redemption (with a reason) so its voucher can be used again, or raise UndoError."""
    now = now or utcnow()
    reason = (reason or "").strip()
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None:
        raise UndoError("unknown_redemption", "There is no such redemption.")
    if not reason:
        raise UndoError("invalid_input", "Say why the redemption is undone.", {"fields": {"reason": "required"}})
    if redemption.undone_at is not None:
        raise UndoError("already_undone", "This redemption was already undone.")
    if not may_undo(redemption, user, now):
        raise UndoError("undo_not_allowed", "Staff can undo only their own redemptions, within 15 minutes. "
                        "Ask a marketer or the owner.")
    undone = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=user.id, undo_reason=reason[:500])
        .execution_options(synchronize_session=False)).rowcount == 1
    if not undone:
        raise UndoError("already_undone", "This redemption was already undone.")
    db.session.execute(update(Voucher).where(Voucher.id == redemption.voucher_id)
                       .values(redeemed_at=None).execution_options(synchronize_session=False))
    db.session.refresh(redemption)
    audit.record("undo_redemption", "undone", user_id=user.id, location_id=redemption.location_id,
                 subject=("redemption", redemption.id), details={"reason": reason[:500]}, now=now)
    webhooks.emit("redemption.undone", {
        "redemption_id": redemption.id, "code": redemption.voucher.code, "campaign_id": redemption.campaign_id,
        "undone_at": now.isoformat(), "reason": reason[:500]}, now)
    return redemption
