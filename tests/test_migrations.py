"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from campaigns.extensions import db

# SQLite's reflection cannot read an index on an expression (lower(name)); it says so and skips it (when
# comparing schemas, and when a later migration's batch copy reflects a table that refers to location), and
# the tests below check that index by its effect instead.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index:UserWarning"),
]


def test_migrated_schema_matches_the_models(ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_cli_upgrade_is_idempotent(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_the_database_itself_refuses_a_location_named_like_another_in_any_case(ctx):
    db.session.execute(text("INSERT INTO location (name, address, active) VALUES ('Main St', '', true)"))
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO location (name, address, active) VALUES ('MAIN st', '', true)"))


def test_the_migration_renames_case_twins_made_before_the_rule(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import app_config

    app = create_app(app_config(f"sqlite:///{tmp_path / 'twins.db'}"))
    with app.app_context():
        upgrade(revision="0002")
        db.session.execute(text("INSERT INTO location (name, address, active) VALUES ('Main St', '', 1), "
                                "('main st', '', 1), ('Pier', '', 1)"))
        db.session.commit()
        upgrade()
        names = db.session.scalars(text("SELECT name FROM location ORDER BY id")).all()
        assert names == ["Main St", "main st (2)", "Pier"]
        downgrade(revision="0002")
        db.engine.dispose()


def test_the_migration_reads_old_star_ratings_on_the_0_to_10_scale(tmp_path):
    """Revision 0008 turns a 1-5 star rating put in by hand into a 0-10 score (1 star 0, 3 stars 5, 5 stars 10;
    none: 5) and keeps the answer; going back restores stars."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import app_config

    app = create_app(app_config(f"sqlite:///{tmp_path / 'stars.db'}"))
    with app.app_context():
        upgrade(revision="0007")
        db.session.execute(text(
            "INSERT INTO campaign (name, kind, offer, unit_cost_cents, fixed_cost_cents, gross_margin_bp, "
            "per_customer_limit, attribution_window_days, status, vouchers_issued, feedback_question, created_at, "
            "updated_at) VALUES ('Latte', 'sample', '', 85, 0, 10000, 1, 90, 'active', 4, 'Q?', '2026-01-01', "
            "'2026-01-01')"))
        for number, stars in enumerate((1, 3, 5, None), start=1):
            db.session.execute(text("INSERT INTO voucher (campaign_id, code, channel, issued_at) "
                                    "VALUES (1, :code, 'batch', '2026-01-01')"), {"code": f"CODE{number}"})
            db.session.execute(text("INSERT INTO feedback (voucher_id, campaign_id, rating, answer, created_at) "
                                    "VALUES (:v, 1, :stars, :answer, '2026-01-02')"),
                               {"v": number, "stars": stars, "answer": f"said {number}"})
        db.session.commit()
        upgrade()
        rows = db.session.execute(text("SELECT score, answer, answer_2, version FROM feedback ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(0, "said 1", "", 1), (5, "said 2", "", 1), (10, "said 3", "", 1),
                                                (5, "said 4", "", 1)]
        downgrade(revision="0007")
        assert db.session.scalars(text("SELECT rating FROM feedback ORDER BY id")).all() == [1, 3, 5, 3]
        db.engine.dispose()


def test_the_migration_moves_an_import_file_into_its_own_table_and_back(tmp_path):
    """Revision 0019 keeps an uploaded file in purchase_import_file (the import's row no longer holds it);
    going back puts it in the import's row again."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from campaigns.models import PurchaseImport
    from tests.conftest import app_config

    app = create_app(app_config(f"sqlite:///{tmp_path / 'files.db'}"))
    with app.app_context():
        upgrade(revision="0018")
        db.session.execute(text(
            "INSERT INTO purchase_import (filename, source, content, size, columns, options, status, total_rows, "
            "done_rows, created, duplicates, failed, deferred, errors, created_at) VALUES ('sales.csv', 'plain', "
            ":content, 9, '{}', '{}', 'running', 1, 0, 0, 0, 0, 0, '[]', '2026-01-01')"), {"content": b"a,b\n1,2\n"})
        db.session.commit()
        upgrade()
        assert db.session.get(PurchaseImport, 1).content == b"a,b\n1,2\n"
        db.session.rollback()
        downgrade(revision="0018")
        assert db.session.scalar(text("SELECT content FROM purchase_import WHERE id = 1")) == b"a,b\n1,2\n"
        db.engine.dispose()
