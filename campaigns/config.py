"""Configuration from environment variables, with safe development defaults."""
import os

from dotenv import load_dotenv

DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe to start with."""


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the app configuration from the environment (and .env), then apply overrides."""
    load_dotenv(os.path.join(os.getcwd(), ".env"))
    env = os.environ
    default_db = "sqlite:///" + os.path.join(instance_path, "reciprocate.db")
    config = {
        "ENV_NAME": env.get("RECIPROCATE_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour"),
        "REDEEM_FAILURE_LIMIT": env.get("REDEEM_FAILURE_LIMIT", "30 per minute;300 per hour"),
        "CLAIM_RATE_LIMIT": env.get("CLAIM_RATE_LIMIT", "10 per minute;50 per hour"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "vouchers@reciprocate.local"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # Recycle instead of pinging before every checkout: a ping is one more round trip per request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800},
    }
    config.update(overrides or {})
    config["SQLALCHEMY_DATABASE_URI"] = _explicit_driver(config["SQLALCHEMY_DATABASE_URI"])
    config["PRODUCTION"] = config["ENV_NAME"] == "production"
    if config["PRODUCTION"]:
        _check_production(config)
        config["SESSION_COOKIE_SECURE"] = True
    return config


def _explicit_driver(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg 3: a bare postgresql:// picks a driver by version."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _check_production(config: dict) -> None:
    """Refuse to run in production with a missing, default or short secret key."""
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise ConfigError(
            "RECIPROCATE_ENV=production needs SECRET_KEY set to a random value of at least "
            "32 characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
