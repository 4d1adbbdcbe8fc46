"""Configuration comes from the environment, with safe defaults; anything unknown or unsafe refuses to start."""
from datetime import timedelta

import pytest

from app import create_app
from campaigns.accounts import users as accounts
from campaigns.config import ConfigError, load_config
from campaigns.extensions import db
from tests.conftest import PASSWORD, app_config, csrf_from


def test_development_defaults(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "RECIPROCATE_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/reciprocate.db"
    assert config["BASE_URL"] is None  # links follow the address the app is served on
    assert not config["PRODUCTION"]


def test_production_refuses_the_development_secret_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECIPROCATE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_production_starts_with_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECIPROCATE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("BASE_URL", "https://vouchers.example.com")
    config = load_config(str(tmp_path))
    assert config["PRODUCTION"] and config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("base", [None, "", "vouchers.example.com", "https://vouchers.example.com/app"])
def test_production_refuses_to_start_without_a_public_base_url(tmp_path, monkeypatch, base):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECIPROCATE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("BASE_URL", raising=False)
    if base is not None:
        monkeypatch.setenv("BASE_URL", base)
    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config(str(tmp_path))


def test_dotenv_file_is_read_and_postgres_urls_get_psycopg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BASE_URL", raising=False)
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u@db/reciprocate\nBASE_URL=https://vouchers.example.com/\n")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/reciprocate"
    assert config["BASE_URL"] == "https://vouchers.example.com"


@pytest.fixture
def environment(tmp_path, monkeypatch):
    """A clean environment in an empty directory (no .env); returns a setter for variables."""
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "RECIPROCATE_ENV", "TRUSTED_PROXIES",
                 "SESSION_LIFETIME_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'config.db'}")
    return lambda **values: [monkeypatch.setenv(name, value) for name, value in values.items()]


@pytest.mark.parametrize("env_name, key", [
    ("development", None), ("test", None), ("production", "k" * 32),
])
def test_each_known_environment_starts(environment, env_name, key):
    environment(RECIPROCATE_ENV=env_name, **({"SECRET_KEY": key, "BASE_URL": "https://v.example.com"} if key else {}))
    app = create_app()
    assert app.config["ENV_NAME"] == env_name and app.config["PRODUCTION"] == (env_name == "production")


@pytest.mark.parametrize("env_name", ["prod", "Production", "PRODUCTION", "staging", "", " production", "dev"])
def test_any_other_environment_refuses_to_start_saying_why(environment, env_name):
    environment(RECIPROCATE_ENV=env_name, SECRET_KEY="k" * 48)
    with pytest.raises(ConfigError) as error:
        create_app()
    message = str(error.value)
    assert "RECIPROCATE_ENV" in message and repr(env_name) in message
    assert "development, test, production" in message


@pytest.mark.parametrize("key", [None, "", "short-key", "dev-only-secret-key-not-for-production"])
def test_production_without_a_real_key_refuses_to_start(environment, key):
    environment(RECIPROCATE_ENV="production", **({"SECRET_KEY": key} if key is not None else {}))
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_an_environment_name_given_as_an_override_is_checked_too(environment):
    with pytest.raises(ConfigError, match="RECIPROCATE_ENV"):
        create_app({"ENV_NAME": "prod"})


def test_the_tests_run_as_test(app):
    assert app.config["ENV_NAME"] == "test" and not app.config["PRODUCTION"]


@pytest.mark.parametrize("value", ["one", "1.5", "-1", "²", "", "99"])
def test_a_bad_trusted_proxies_refuses_to_start(environment, value):
    environment(TRUSTED_PROXIES=value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app()


@pytest.mark.parametrize("value", ["0", "0.5", "x", ""])
def test_a_bad_session_lifetime_refuses_to_start(environment, value):
    environment(SESSION_LIFETIME_HOURS=value)
    with pytest.raises(ConfigError, match="SESSION_LIFETIME_HOURS"):
        create_app()


def test_session_lifetime_is_a_setting(environment):
    environment(SESSION_LIFETIME_HOURS="8")
    app = create_app()
    assert app.permanent_session_lifetime == timedelta(hours=8)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(hours=8)


@pytest.fixture
def app_factory(database_url):
    """Make the test app with extra settings, on a fresh database holding one owner."""
    made = []

    def make(**overrides):
        app = create_app(app_config(database_url, **overrides))
        with app.app_context():
            accounts.create_user("owner@example.com", "Owner", "owner", PASSWORD)
            db.session.commit()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _wrong_login(client, forwarded_for: str):
    headers = {"X-Forwarded-For": forwarded_for}
    token = csrf_from(client.get("/login", headers=headers).get_data(as_text=True))
    return client.post("/login", headers=headers,
                       data={"email": "owner@example.com", "password": "wrong password", "csrf_token": token})


@pytest.mark.parametrize("trusted", [0, 1])
def test_trusted_proxies_decide_which_address_the_limits_see(app_factory, trusted):
    app = app_factory(TRUSTED_PROXIES=trusted, LOGIN_RATE_LIMIT="2 per minute",
                      LOGIN_ADDRESS_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = []
    for _ in range(3):  # three wrong log-ins through the proxy, from one client
        statuses.append(_wrong_login(client, forwarded_for="203.0.113.7").status_code)
    other_client = _wrong_login(client, forwarded_for="198.51.100.9").status_code
    assert statuses == [401, 401, 429]
    # With the proxy trusted, another client behind it is not limited; untrusted, everyone is one address.
    assert other_client == (401 if trusted else 429)


@pytest.mark.parametrize("delays", ["", "60,abc", "0,60", "60,,90000"])
def test_mail_retry_delays_are_whole_seconds_or_refuse_to_start(tmp_path, delays):
    with pytest.raises(ConfigError, match="MAIL_RETRY_DELAYS"):
        load_config(str(tmp_path), {"MAIL_RETRY_DELAYS": delays})
    assert load_config(str(tmp_path), {"MAIL_RETRY_DELAYS": " 60, 300 "})["MAIL_RETRY_DELAYS"] == (60, 300)
