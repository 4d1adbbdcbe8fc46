"""API plumbing: health, the JSON error format, and an OpenAPI description that lists every route."""
import re

from app import create_app
from campaigns.web.access import PUBLIC
from tests.conftest import app_config


def test_health_reports_ok(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    unreachable = app_config("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    response = create_app(unreachable).test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable", "queue": "ok"}


def test_errors_are_json_in_the_api_format(client):
    for response, status, code in ((client.get("/api/v1/nothing"), 404, "not_found"),
                                   (client.post("/api/v1/health"), 405, "method_not_allowed")):
        assert response.status_code == status
        body = response.get_json()
        assert body["error"]["code"] == code and body["error"]["message"] and body["error"]["details"] == {}


def test_openapi_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            served |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served and served == described


def test_openapi_states_each_operations_role(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/"):
                continue
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            declared = app.view_functions[rule.endpoint].required_role
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert document["paths"][path][method.lower()]["x-required-role"] == declared
    assert document["paths"]["/api/v1/health"]["get"]["x-required-role"] == PUBLIC
