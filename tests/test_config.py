"""Configuration comes from the environment, with safe defaults and a refusal of unsafe production."""
import pytest

from app import create_app
from campaigns.config import ConfigError, load_config


def test_development_defaults(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "RECIPROCATE_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/reciprocate.db"
    assert config["BASE_URL"] == "http://127.0.0.1:5000"
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
    config = load_config(str(tmp_path))
    assert config["PRODUCTION"] and config["SESSION_COOKIE_SECURE"]


def test_dotenv_file_is_read_and_postgres_urls_get_psycopg(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BASE_URL", raising=False)
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://u@db/reciprocate\nBASE_URL=https://vouchers.example.com/\n")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/reciprocate"
    assert config["BASE_URL"] == "https://vouchers.example.com"
