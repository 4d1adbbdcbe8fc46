"""Work queued only once the transaction that asked for it commits: a rolled-back request, command or task
enqueues nothing. The rows the work reads (a delivery) are the record; a task that was lost on the way (the
queue went away between the commit and the enqueue) is found again by a periodic task of whoever owns the rows."""
import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaigns.extensions import db
from campaigns.jobs.queue import task_named

log = logging.getLogger(__name__)
_KEY = "reciprocate.after_commit"


def enqueue_after_commit(task_name: str, *args) -> None:
    """Enqueue the task `task_name` with `args` when the current transaction commits (never if it rolls back);
    asked twice in one transaction, it is enqueued once."""
    jobs = db.session.info.setdefault(_KEY, [])
    if (task_name, args) not in jobs:
        jobs.append((task_name, args))


def waiting() -> bool:
    """Tell whether the current transaction will enqueue work when it commits."""
    return bool(db.session.info.get(_KEY))


def _enqueue(session: Session) -> None:
    jobs = session.info.pop(_KEY, [])
    if not jobs or not has_app_context():
        return
    app = current_app._get_current_object()
    for name, args in jobs:
        try:
            task_named(name, app)(*args)
        except Exception:  # committed already: the periodic sweep finds the row and queues it again
            log.exception("could not enqueue %s%r after the commit", name, args)


def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)


def init_app() -> None:
    """Listen to every session's commits and rollbacks (once per process)."""
    if not event.contains(Session, "after_commit", _enqueue):
        event.listen(Session, "after_commit", _enqueue)
        event.listen(Session, "after_rollback", _forget)
