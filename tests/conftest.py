"""Test harness: a fresh database per test on SQLite and on PostgreSQL, factories, a live server."""
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.routing.rules import Rule
from werkzeug.serving import make_server

from app import create_app
from campaigns.accounts import tokens
from campaigns.accounts import users as accounts
from campaigns.contacts.contact import make_contact
from campaigns.desk import redemption
from campaigns.extensions import db
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Campaign
from tests.designs import design
from tests.ledger_rows import record_purchase

# Passwords are hashed with scrypt (a tenth of a second, on purpose); the suite makes and signs in thousands of
# users, so here a cheap method stands in. tests/test_auth.py checks that the app's own choice is scrypt.
APP_PASSWORD_METHOD = accounts.PASSWORD_METHOD
accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"

PG_URL = os.environ.get("TEST_DATABASE_URL")
_PG_SHAPE: dict = {}  # the template's tables and migration, which an emptied database must still have
PG_TEMPLATE = f"reciprocate_test_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # one per xdist worker
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REDIS_SERVER = os.environ.get("REDIS_SERVER_PATH", shutil.which("redis-server") or "/usr/bin/redis-server")
PASSWORD = "correct horse battery"


def missing(what: str, flag: str):
    """Skip a test for want of `what`, or fail it when the flag says `what` is required."""
    if os.environ.get(flag) == "1":
        pytest.fail(f"{what} is required here ({flag}=1) but is not available")
    pytest.skip(f"{what} is not available (set {flag}=1 to make this a failure)")


def _compile_url_builders_once() -> None:
    """Compile each URL rule's builder once per test process, not once per app.

    Werkzeug writes and compiles a small function (ast, then compile) for every rule of every new app: ~60 ms an
    app here, ~90% of create_app, and the suite makes an app per test. The function depends only on the rule's
    text, its parsed parts, its defaults and append_unknown; it reads the rule's converters through `self` when
    called, and each rule binds it to itself. So one compiled function serves every app's copy of a rule."""
    original = Rule._compile_builder
    compiled = {}

    def compile_once(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), append_unknown,
               tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
               tuple(sorted((name, type(converter).__qualname__) for name, converter in self._converters.items())))
        if key not in compiled:
            compiled[key] = original(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = compile_once


_compile_url_builders_once()


def app_config(database_url: str, **overrides) -> dict:
    """Return the configuration every test app starts from."""
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
              "BASE_URL": "http://testserver", "RATELIMIT_STORAGE_URI": "memory://", "ENV_NAME": "test",
              "QUEUE_URL": "immediate"}  # tasks run where they are queued; tests of the queue itself start a consumer
    config.update(overrides)
    return config


def _migrate(url: str) -> None:
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file built by the migrations once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@dataclass(frozen=True)
class Seeded:
    """A database that `flask seed-demo` filled (a SQLite file, or a PostgreSQL database to copy), what the command
    printed and answered, and when it finished."""

    where: str
    output: str
    exit_code: int
    finished: datetime


@contextmanager
def _one_at_a_time(path: Path):
    """Hold an exclusive lock on `path` (shared by every xdist worker of this run) while the block runs."""
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _seeded_once(tmp_path_factory, name: str, seed) -> Seeded:
    """Seed the demo once for the whole run, whichever worker asks first (seeding takes half a minute); the
    others wait for it and read what it printed."""
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker of this run
    said = shared / f"{name}.json"
    with _one_at_a_time(shared / f"{name}.lock"):
        if not said.exists():
            where, result = seed(shared)
            said.write_text(json.dumps({"where": where, "output": result.output, "exit_code": result.exit_code,
                                        "finished": datetime.now(UTC).isoformat()}))
    found = json.loads(said.read_text())
    return Seeded(found["where"], found["output"], found["exit_code"], datetime.fromisoformat(found["finished"]))


def _seed_demo(url: str):
    """Run `flask seed-demo` against a migrated database and let go of it."""
    app = create_app(app_config(url))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


@pytest.fixture(scope="session")
def demo_sqlite(sqlite_template, tmp_path_factory) -> Seeded:
    """The demo café seeded once per run into a SQLite file, through `flask seed-demo`; copy the file to use it
    (tests/test_demo.py, tests/browser/test_reports.py)."""
    def seed(shared: Path):
        target = shared / "demo.db"
        shutil.copy(sqlite_template, target)
        return str(target), _seed_demo(f"sqlite:///{target}")

    return _seeded_once(tmp_path_factory, "demo-sqlite", seed)


@pytest.fixture(scope="session")
def demo_postgresql(postgres, tmp_path_factory) -> Seeded:
    """The demo café seeded once per run into a PostgreSQL database of its own, to be copied as a template."""
    def seed(shared: Path):
        name = f"demo_{hashlib.sha256(str(shared).encode()).hexdigest()[:12]}"  # this run's, never an older one's
        with postgres.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}"))
        return name, _seed_demo(_pg_url(name))

    return _seeded_once(tmp_path_factory, "demo-postgresql", seed)


@pytest.fixture(scope="session")
def postgres():
    """An admin engine on the test PostgreSQL server and a template database built by the migrations."""
    if not PG_URL:
        missing("PostgreSQL (TEST_DATABASE_URL)", "REQUIRE_POSTGRES")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_TEMPLATE}"))
    except Exception as exc:  # the server is not there: same as not configured
        missing(f"PostgreSQL at {PG_URL} ({exc.__class__.__name__})", "REQUIRE_POSTGRES")
    _migrate(_pg_url(PG_TEMPLATE))
    shape = create_engine(_pg_url(PG_TEMPLATE), poolclass=NullPool)
    with shape.connect() as conn:
        _PG_SHAPE["tables"] = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
                                                "tablename <> 'alembic_version' ORDER BY tablename")).all()
        _PG_SHAPE["version"] = conn.scalar(text("SELECT version_num FROM alembic_version"))
        _PG_SHAPE["sequences"] = conn.scalars(text("SELECT sequencename FROM pg_sequences "
                                                   "WHERE schemaname = 'public'")).all()
    shape.dispose()
    yield admin
    while _FREE_PG:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_FREE_PG.pop()} WITH (FORCE)"))
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)"))
    admin.dispose()


def _pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A Redis server of this test process's own on a free loopback port, stopped at the end (REQUIRE_REDIS=1
    makes its absence a failure, as CI does)."""
    port = free_port()
    server = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}"  # each user picks a database of its own: /1, /2…
    server.terminate()
    server.wait(timeout=10)


def start_redis(port: int, folder) -> subprocess.Popen:
    """Start a redis-server on loopback `port` (no persistence) and wait until it answers (a skip, or a failure
    with REQUIRE_REDIS=1, when there is none)."""
    if not os.path.exists(REDIS_SERVER):
        missing(f"redis-server at {REDIS_SERVER}", "REQUIRE_REDIS")
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                missing(f"a running redis-server ({REDIS_SERVER} did not start)", "REQUIRE_REDIS")
            time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database for one test, on each backend in turn."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    yield from _pg_copy(request.getfixturevalue("postgres"))


_FREE_PG: list[str] = []  # this process's databases, emptied and ready for the next test


def _pg_copy(admin):
    """Yield the URL of an empty, migrated PostgreSQL database; empty it afterwards for the next test.

    Creating a database from the template for every test cost about 0.4 s; emptying one (one TRUNCATE of every
    table, sequences restarted) costs a few hundredths. A database that cannot be emptied at once (a connection
    left open, a schema changed) is dropped, and the next test gets a new copy of the template."""
    name = _FREE_PG.pop() if _FREE_PG else _pg_create(admin)
    url = _pg_url(name)
    yield url
    if _pg_empty(url):
        _FREE_PG.append(name)
    else:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _pg_create(admin) -> str:
    name = f"test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}"))
    return name


def _pg_empty(url: str) -> bool:
    """Empty every table but the migrations' own and restart every sequence, as in the template; tell
    whether that worked (and the schema is still the template's)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '2s'"))
            tables = conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                       "AND tablename <> 'alembic_version' ORDER BY tablename")).all()
            if tables != _PG_SHAPE["tables"] or conn.scalar(text("SELECT version_num FROM alembic_version")) \
                    != _PG_SHAPE["version"]:
                return False
            # DELETE beats TRUNCATE on a test's few rows; foreign keys are not checked while emptying everything.
            conn.execute(text("SET session_replication_role = replica"))
            conn.execute(text("; ".join(f"DELETE FROM {table}" for table in tables)))
            conn.execute(text("; ".join(f"ALTER SEQUENCE {sequence} RESTART" for sequence in _PG_SHAPE["sequences"])))
        return True
    except Exception:  # a lock held by a connection the test left open, say: start afresh instead
        return False
    finally:
        engine.dispose()


@pytest.fixture
def pg_database_url(request):
    """A fresh, migrated PostgreSQL database, for tests that only PostgreSQL can run (many processes)."""
    yield from _pg_copy(request.getfixturevalue("postgres"))


@pytest.fixture
def backend(database_url) -> str:
    """The name of the database backend under test."""
    return make_url(database_url).get_backend_name()


@pytest.fixture
def app(database_url):
    """The app on a fresh database. No app context is pushed: use `ctx` for service-level tests."""
    app = create_app(app_config(database_url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for calling services directly."""
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class Person:
    id: int
    email: str
    role: str
    name: str
    password: str = PASSWORD


@pytest.fixture
def make_user(app):
    """Create and commit a user: make_user(role="staff", email=None, name=None, password=PASSWORD)."""
    def make(role: str = "staff", email: str | None = None, name: str | None = None, password: str = PASSWORD):
        email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        with app.app_context():
            user = accounts.create_user(email, name or f"{role.title()} Person", role, password)
            db.session.commit()
            return Person(user.id, user.email, user.role, user.name, password)

    return make


@pytest.fixture
def make_token(app):
    """Create and commit an API token; return its secret."""
    def make(role: str = "staff", name: str = "test token") -> str:
        with app.app_context():
            _, secret = tokens.create_token(name, role)
            db.session.commit()
            return secret

    return make


def log_in(client, person: Person):
    """Log a test client in (CSRF is on, so read the token off the form first)."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": person.email, "password": person.password, "csrf_token": token})


def csrf_from(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.find(marker)
    if start < 0:
        marker = 'name="csrf_token" value="'
        start = html.find(marker)
    assert start >= 0, "no CSRF token on the page"
    start += len(marker)
    return html[start : html.index('"', start)]


@pytest.fixture
def live_server(app):
    """Serve the app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Launch Debian's Chromium (never a downloaded one) with the flags this closed network needs."""
    if not os.path.exists(CHROMIUM):
        missing(f"Chromium at {CHROMIUM}", "REQUIRE_BROWSER")
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def make_campaign(app):
    """Create and commit a campaign through the service: make_campaign(**fields) returns its id."""
    from campaigns.giving import designs as campaigns

    def make(**fields) -> int:
        payload = {"name": "Free latte", "offer": "One free latte", "unit_cost": "0.85"}
        payload.update(fields)
        status = payload.pop("status", None)
        with app.app_context():
            made = campaigns.create_campaign(design(payload))
            if status == "active":
                campaigns.set_status(made, "active")
            elif status in ("paused", "ended"):
                campaigns.set_status(made, "active")
                campaigns.set_status(made, status)
            db.session.commit()
            return made.id

    return make


@pytest.fixture
def latte(app, make_campaign):
    """A report's smallest case: two redemptions three days ago, Ana's (she bought 12.50 the next day) and an
    anonymous one; unit cost 1.00, fixed cost 5.00, margin 60%. Returns the campaign id."""
    campaign_id = make_campaign(status="active", unit_cost="1.00", fixed_cost="5.00", gross_margin_pct="60")
    redeemed = datetime.now(UTC) - timedelta(days=3)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        known, anonymous = issue_batch(campaign, 2, "flyer")
        redemption.redeem(known, redemption.Attempt(customer=make_contact("ana@example.com")), now=redeemed)
        redemption.redeem(anonymous, redemption.Attempt(), now=redeemed)
        customer_id = db.session.execute(db.text("SELECT id FROM customer")).scalar_one()
        record_purchase("till-1", 1250, redeemed + timedelta(days=1), customer_id=customer_id)
        db.session.commit()
    return campaign_id
