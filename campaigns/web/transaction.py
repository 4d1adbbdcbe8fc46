"""The request's one transaction edge: commit once when a request succeeds, roll back otherwise.

Views and services never commit. A request succeeds when it answers below 400, is not a read (GET, HEAD and
OPTIONS are always rolled back) and no view caught a domain error with `attempt`. Work a request queues (an e-mail)
is enqueued only after its commit; while the job queue cannot be reached, such a request is rolled back and
answered 503 `unavailable` with Retry-After. Explicit exceptions:
`keep_refusal()` keeps what a refused request wrote on purpose (the audit entry of a failed redemption), as
`keep_note()` keeps a read's note that a page was seen (the first campaign report read, a first step), and
`note_token_use()` has an API token's use written down after the request's own transaction, whatever became of it
(a GET, a refusal), so the tokens page never says "never used" of a token used only to read.
A streamed response works after its request has answered, so `streamed` gives it the same edge.
An API request the database rolled back to settle a conflict with another writer (PostgreSQL's deadlock or
serialization failure, SQLSTATE class 40) is run again from the start, up to RETRIES times, before it answers 503:
its JSON body is kept by the request, and what the run noted on the request is forgotten. A page's request is not
(an uploaded file is read once, a flash message would stay): it answers 503 and the person tries again.
"""
from collections.abc import Callable, Iterable, Iterator

from flask import Flask, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from campaigns.accounts import tokens
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.jobs import after_commit, queue

_FAILED = "reciprocate.failed"
_KEEP = "reciprocate.keep_refusal"
_TOKEN_USED = "reciprocate.token_used"
_RETRY = "reciprocate.retry"
RETRIES = 3  # runs of one request the database rolled back for a conflict with another writer
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def attempt(action: Callable):
    """Run one service call for a page; return (result, None), or (None, error) and mark the request failed."""
    try:
        return action(), None
    except DomainError as error:
        request.environ[_FAILED] = True
        return None, error


def keep_refusal() -> None:
    """Commit this request's writes although it answers with a refusal: the service left only its audit entry."""
    request.environ[_KEEP] = True


def keep_note() -> None:
    """Commit what this read wrote on purpose, a note that a page was seen (a first step done): reads roll back."""
    request.environ[_KEEP] = True


def note_token_use(token) -> None:
    """Have this request's API token marked as used at its edge, in a transaction of its own."""
    request.environ[_TOKEN_USED] = token


def rolled_back_for_conflict(error: BaseException) -> bool:
    """Tell whether the database rolled this transaction back to settle a conflict with a concurrent writer
    (deadlock, serialization failure: SQLSTATE class 40), so that running it again is the cure."""
    return str(getattr(getattr(error, "orig", None), "sqlstate", "") or "").startswith("40")


def run_again() -> None:
    """Have the current request run again from the start once it has answered (its transaction rolled back)."""
    request.environ[_RETRY] = True


def succeeded(status: int) -> bool:
    """Tell whether the current request, answering `status`, should commit."""
    if request.environ.get(_KEEP):
        return True
    return status < 400 and request.method not in READS and not request.environ.get(_FAILED)


QUEUE_AWAY = "E-mail cannot be queued just now, so nothing was saved. Please try again in a minute."


def _finish(response):
    try:
        if succeeded(response.status_code):
            if after_commit.waiting() and not queue.reachable():  # API.md: 503, and nothing of it written
                db.session.rollback()
                return _queue_away()
            db.session.commit()  # the work it asked for is enqueued now, after the commit (jobs/after_commit.py)
        else:
            db.session.rollback()
    except SQLAlchemyError as error:  # the database went away at the commit: nothing of it is written
        request.environ.pop(_TOKEN_USED, None)
        return _database_away(error)
    token = request.environ.pop(_TOKEN_USED, None)
    if token is not None:
        try:
            tokens.mark_used(token, request_line=f"{request.method} {request.path}", ip_address=request.remote_addr)
            db.session.commit()
        except SQLAlchemyError:  # the request's own work is done: a token's "last used" can wait for the next
            db.session.rollback()
    return response


def _database_away(error):
    from campaigns.web.error_responses import handle_database  # it imports access, which imports this module

    return handle_database(error)


def _queue_away():
    from campaigns.web.error_responses import handle_http  # it imports access, which imports this module

    response = handle_http(ServiceUnavailable(QUEUE_AWAY, retry_after=queue.RETRY_AFTER_SECONDS))
    request.environ.pop(_TOKEN_USED, None)
    return response


def streamed(lines: Iterable[str], finished: Callable[[], str], failed: Callable[[DomainError], str]) -> Iterator[str]:
    """Yield a streamed response's lines in one transaction: commit after the last and yield finished(),
    or roll back on a domain error and yield failed(error)."""
    try:
        yield from lines
    except DomainError as error:
        db.session.rollback()
        yield failed(error)
        return
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    yield finished()


def _retrying(dispatch: Callable) -> Callable:
    def full_dispatch_request():
        for run in range(RETRIES):
            response = dispatch()
            again = request.environ.pop(_RETRY, False) and request.path.startswith("/api/") and not request.files
            if not again or run == RETRIES - 1:
                return response
            db.session.rollback()
            for key in [key for key in request.environ if key.startswith("reciprocate.")]:
                del request.environ[key]  # what the run noted: failed, kept, token used, identity, refusals
        return response

    return full_dispatch_request


def init_app(app: Flask) -> None:
    """Settle every request's transaction at its edge, running again one the database rolled back for a conflict."""
    app.after_request(_finish)
    app.full_dispatch_request = _retrying(app.full_dispatch_request)
