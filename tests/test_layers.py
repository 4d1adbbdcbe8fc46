"""The seams between layers: the error table, the transaction edge, and the redemption rule written once."""
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import jsonify
from sqlalchemy import event, func, select

from campaigns.core import audit
from campaigns.core.errors import DomainError
from campaigns.desk import redemption
from campaigns.desk import rule as redemption_rule
from campaigns.extensions import db
from campaigns.giving import codes
from campaigns.giving import designs as campaigns
from campaigns.giving.vouchers import issue_batch
from campaigns.models import AuditEntry, Campaign, Voucher
from campaigns.web.access import public
from campaigns.web.error_responses import STATUS, status_of
from campaigns.web.transaction import attempt, keep_refusal
from tests.conftest import app_config
from tests.designs import design

PACKAGE = Path(__file__).resolve().parents[1] / "campaigns"


def test_every_error_code_the_code_raises_has_its_status_in_the_one_table():
    raised = set()
    for source in PACKAGE.rglob("*.py"):
        raised |= set(re.findall(r'Error\(\s*"([a-z_]+)"', source.read_text()))
    raised.add("invalid_input")  # ValidationError's code
    assert raised and raised <= set(STATUS), sorted(raised - set(STATUS))
    assert status_of(DomainError("already_redeemed", "")) == 409 and status_of(DomainError("expired", "")) == 410


def test_services_carry_no_http_status():
    error = redemption.RedemptionError("void", "Cancelled.", {"x": 1})
    assert (error.code, error.message, error.details) == ("void", "Cancelled.", {"x": 1})
    assert not hasattr(error, "status")


@pytest.fixture
def edge_app(database_url):
    """An app with routes that write one audit entry and answer in each way the edge must settle."""
    from app import create_app

    app = create_app(app_config(database_url, WTF_CSRF_ENABLED=False))

    def write(answer):
        def view():
            audit.record("edge_test", answer)
            if answer == "refused":
                return jsonify(error="no"), 409
            if answer == "kept":
                keep_refusal()
                return jsonify(error="audited"), 409
            if answer == "caught":
                attempt(lambda: (_ for _ in ()).throw(DomainError("void", "Cancelled.")))
                return jsonify(shown="a page with the error"), 200
            if answer == "raised":
                raise DomainError("void", "Cancelled.")
            return jsonify(ok=True), 200
        view.__name__ = f"edge_{answer}"
        return public(view)

    for answer in ("ok", "refused", "kept", "caught", "raised"):
        app.add_url_rule(f"/edge/{answer}", view_func=write(answer), methods=["GET", "POST"])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("method, answer, kept", [
    ("POST", "ok", True), ("GET", "ok", False), ("POST", "refused", False), ("POST", "kept", True),
    ("POST", "caught", False), ("POST", "raised", False),
])
def test_the_transaction_edge_commits_only_a_succeeding_write_or_a_kept_refusal(edge_app, method, answer, kept):
    response = edge_app.test_client().open(f"/edge/{answer}", method=method)
    assert response.status_code in (200, 409)
    with edge_app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "edge_test"))
    assert stored == (1 if kept else 0)


def test_no_view_or_service_commits_by_itself():
    # The edges that own a transaction, one per kind of process: a request's, a command's, and a task's on the job queue.
    edges = ("web/transaction.py", "cli.py", "mail/delivery_tasks.py")
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if "session.commit()" in path.read_text() and str(path.relative_to(PACKAGE)) not in edges]
    assert offenders == []


def test_no_module_is_over_300_lines_and_no_two_share_a_stem():
    modules = [path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"]
    long = {str(path.relative_to(PACKAGE)): n for path in modules if (n := len(path.read_text().splitlines())) > 300}
    assert long == {}
    stems: dict[str, list[str]] = {}
    for path in modules:
        stems.setdefault(path.stem, []).append(str(path.relative_to(PACKAGE)))
    shared = {stem: sorted(paths) for stem, paths in stems.items() if len(paths) > 1}
    # The same name in two rooms only for one thing seen from two layers: its table, and its page or service.
    assert shared == {"audit": ["core/audit.py", "models/audit.py"], "exports": ["core/exports.py", "web/exports.py"],
                      "imports": ["models/imports.py", "web/imports.py"],
                      "redemption": ["desk/redemption.py", "models/redemption.py"]}


def test_each_blueprint_is_named_after_its_module(app):
    for name, blueprint in app.blueprints.items():
        assert blueprint.import_name == f"campaigns.web.{name}", (name, blueprint.import_name)


def test_the_sql_redemption_rule_agrees_with_the_campaign_calendar(ctx):
    day = date(2026, 6, 15)
    edges = (None, day - timedelta(days=1), day, day + timedelta(days=1))
    cases = []
    for status in ("draft", "active", "paused", "ended"):
        for starts in edges:
            for ends in edges:
                if starts and ends and ends < starts:
                    continue
                made = campaigns.create_campaign(design({"name": f"{status} {starts} {ends}", "unit_cost": "1"}))
                code = issue_batch(made, 1)[0]
                made.status, made.starts_on, made.ends_on = status, starts, ends
                cases.append((made, code))
    db.session.flush()
    zone = campaigns.business_zone()
    moment = campaigns.day_start(day, zone) + timedelta(hours=12)
    by_sql = set(db.session.scalars(select(Voucher.code).join(Campaign, Campaign.id == Voucher.campaign_id)
                                    .where(redemption_rule.redeemable(day))))
    by_calendar = {code for made, code in cases if campaigns.campaign_state(made, moment, zone) == "active"}
    assert len(cases) == 4 * 13 and by_sql == by_calendar and by_sql


def test_a_redemption_is_one_statement_on_postgresql_and_a_few_elsewhere(ctx, backend, monkeypatch):
    made = campaigns.create_campaign(design({"name": "Free latte", "unit_cost": "1"}))
    campaigns.set_status(made, "active")
    code = issue_batch(made, 1)[0]
    campaigns.business_zone()  # the zone is kept for a few seconds, as on a till that scans all day
    db.session.flush()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    if backend == "postgresql":  # counted at the driver: the one statement runs on the driver's own cursor
        import psycopg

        execute = psycopg.Cursor.execute

        def counted(cursor, query, *args, **kwargs):
            statements.append(query)
            return execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    else:
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        redemption.redeem(codes.format_code(code), redemption.Attempt(user_id=None))
    finally:
        if backend != "postgresql":
            event.remove(db.engine, "before_cursor_execute", listener)
    dml = [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(dml) == (1 if backend == "postgresql" else 4), dml
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "redeemed")) == 1
