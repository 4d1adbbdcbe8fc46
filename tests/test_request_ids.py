"""Every request has an id (the proxy's X-Request-Id when it looks like one, else a new one), answered back and
written on the app's log lines, so the proxy's, gunicorn's and the app's logs name the same request."""
import io
import logging

from campaigns.web.request_ids import HEADER, RequestIdFilter


def test_a_request_gets_an_id_or_keeps_the_proxy_s(client):
    made = client.get("/api/v1/health").headers[HEADER]
    assert len(made) == 32 and made != client.get("/api/v1/health").headers[HEADER]
    assert client.get("/api/v1/health", headers={HEADER: "req-2026-abc123"}).headers[HEADER] == "req-2026-abc123"
    forged = client.get("/api/v1/health", headers={HEADER: "<script>alert(1)</script>"}).headers[HEADER]
    assert len(forged) == 32 and "<" not in forged  # not an id: a new one, never echoed into logs


def test_the_app_s_log_lines_carry_the_request_s_id(app):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    handler.addFilter(RequestIdFilter())
    app.logger.addHandler(handler)

    @app.get("/_log")
    def log_something():
        app.logger.warning("something to say")
        return "ok"

    log_something.required_role = "public"
    app.test_client().get("/_log", headers={HEADER: "req-0000-logline"})
    assert "[req-0000-logline] something to say" in out.getvalue()
