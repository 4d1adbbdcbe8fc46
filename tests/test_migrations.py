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
