"""The request's one transaction edge: commit once when a request succeeds, roll back otherwise.

Views and services never commit. A request succeeds when it answers below 400, is not a read (GET, HEAD and
OPTIONS are always rolled back) and no view caught a domain error with `attempt`. One explicit exception:
`keep_refusal()` keeps what a refused request wrote on purpose (the audit entry of a failed redemption).
A streamed response works after its request has answered, so `streamed` gives it the same edge.
"""
from collections.abc import Callable, Iterable, Iterator

from flask import Flask, request

from campaigns.core.errors import DomainError
from campaigns.extensions import db

_FAILED = "reciprocate.failed"
_KEEP = "reciprocate.keep_refusal"
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


def succeeded(status: int) -> bool:
    """Tell whether the current request, answering `status`, should commit."""
    if request.environ.get(_KEEP):
        return True
    return status < 400 and request.method not in READS and not request.environ.get(_FAILED)


def _finish(response):
    if succeeded(response.status_code):
        db.session.commit()
    else:
        db.session.rollback()
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


def init_app(app: Flask) -> None:
    """Settle every request's transaction at its edge."""
    app.after_request(_finish)
