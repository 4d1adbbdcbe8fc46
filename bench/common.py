"""Shared set-up for benchmarks: a fresh migrated database (SQLite file, or PostgreSQL when asked)."""
import os
import tempfile
import uuid

from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from app import create_app


def fresh_database(postgres: bool) -> str:
    """Create an empty database with the schema from the migrations; return its URL."""
    if postgres:
        admin_url = os.environ.get("TEST_DATABASE_URL")
        if not admin_url:
            raise SystemExit("--postgres needs TEST_DATABASE_URL: run under scripts/with-postgres.sh")
        name = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    else:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="reciprocate-bench-"), "bench.db")
    app = bench_app(url)
    with app.app_context():
        upgrade()
    return url


def bench_app(url: str):
    """Return the app configured for a benchmark database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "BASE_URL": "http://127.0.0.1:5000",
                       "RATELIMIT_ENABLED": False})
