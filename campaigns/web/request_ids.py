"""A request id on every request and every log line: the one the proxy sent (`X-Request-Id`, when it looks like
one), else a new one; answered back in `X-Request-Id`, so a customer's complaint, the proxy's log, gunicorn's
access log (gunicorn.conf.py) and the app's own log lines all name the same request."""
import logging
import re
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,64}")
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Give each log record the request id of the request it was written in ("-" outside any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


def _take_id() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex


def _answer_id(response):
    response.headers[HEADER] = getattr(g, "request_id", "-")
    return response


def init_app(app: Flask) -> None:
    """Number every request and have the app's log lines say its number."""
    app.before_request(_take_id)
    app.after_request(_answer_id)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]  # Flask's default handler, with the request id
