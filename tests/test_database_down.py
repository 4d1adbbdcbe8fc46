"""While the database cannot be reached, every request is 503 `unavailable` with Retry-After (API.md), JSON for the
API and a plain page for people, and nothing is half-written (issue 30). Here the database is a PostgreSQL address
where nothing listens (connection refused), as during a restart; the fault test with a real server stopped in the
middle of a burst is in tests/test_database_restart.py."""
import socket

import pytest

from app import create_app
from tests.conftest import app_config


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


@pytest.fixture(scope="module")
def down():
    app = create_app(app_config(f"postgresql+psycopg://reciprocate@127.0.0.1:{_closed_port()}/gone"))
    return app.test_client()


@pytest.mark.parametrize("method, path, body", [
    ("get", "/api/v1/campaigns", None),
    ("post", "/api/v1/redemptions", {"code": "K7QM-3XTD-9PRA-W"}),
    ("post", "/api/v1/purchases", {"external_id": "till-1", "amount": "5.00", "occurred_at": "2026-05-02T12:00:00Z"}),
])
def test_the_api_answers_503_unavailable_with_retry_after(down, method, path, body):
    response = getattr(down, method)(path, json=body, headers={"Authorization": "Bearer rcp_anything"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_health_says_the_database_is_unreachable(down):
    response = down.get("/api/v1/health")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_a_person_gets_a_plain_page_not_a_stack_trace(down):
    response = down.get("/login")  # it asks the database whether the app is set up yet
    assert response.status_code == 503 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Back in a moment" in page and "nothing of this request was saved" in page
    assert "Traceback" not in page and response.headers["Retry-After"]
