"""Configuration from environment variables, with safe development defaults."""
import os
from datetime import timedelta

from dotenv import load_dotenv

DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
ENV_NAMES = ("development", "test", "production")


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
        # Unset: links follow the address the app is served on (development and tests only).
        "BASE_URL": (env.get("BASE_URL") or "").strip().rstrip("/") or None,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis away: each process counts the limits in memory until it is back (none is lifted, none is a 500).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour"),
        "LOGIN_ADDRESS_RATE_LIMIT": env.get("LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;100 per hour"),
        "TRUSTED_PROXIES": env.get("TRUSTED_PROXIES", "0"),
        "SESSION_LIFETIME_HOURS": env.get("SESSION_LIFETIME_HOURS", "12"),
        "REDEEM_FAILURE_LIMIT": env.get("REDEEM_FAILURE_LIMIT", "30 per minute;300 per hour"),
        "CLAIM_RATE_LIMIT": env.get("CLAIM_RATE_LIMIT", "10 per minute;50 per hour"),
        # Feedback sent or changed: per voucher, and per address (a shop's Wi-Fi is one address for many customers).
        "FEEDBACK_RATE_LIMIT": env.get("FEEDBACK_RATE_LIMIT", "10 per minute;40 per hour"),
        "FEEDBACK_ADDRESS_RATE_LIMIT": env.get("FEEDBACK_ADDRESS_RATE_LIMIT", "120 per minute;2000 per hour"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "vouchers@reciprocate.local"),
        "MAIL_TIMEOUT": env.get("MAIL_TIMEOUT", "10"),
        # Seconds before each new try of a failed e-mail; after the last, it is given up.
        "MAIL_RETRY_DELAYS": env.get("MAIL_RETRY_DELAYS", "60,300,1800,7200"),
        # The job queue: unset, a SQLite file in the instance folder; redis://… in production.
        "QUEUE_URL": env.get("QUEUE_URL", ""),
        # How long the consumer waits at most between looks at an empty queue (seconds).
        "QUEUE_POLL_SECONDS": env.get("QUEUE_POLL_SECONDS", "1"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # A request body over this is refused with 413 before it is parsed (a CSV upload may set its own limit).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_REQUEST_MB", "16")) * 2**20,
        "MAX_FORM_MEMORY_SIZE": 1 * 2**20,  # one form field: the longest text a page takes is far below
        # Recycle instead of pinging before every checkout: a ping is one more round trip per request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800, "pool_pre_ping": True},  # recovers after a restart
    }
    config.update(overrides or {})
    config["SQLALCHEMY_DATABASE_URI"] = _explicit_driver(config["SQLALCHEMY_DATABASE_URI"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # PostgreSQL's JIT compiles a report's aggregates for 0.1-0.2 s each and wins nothing back at these sizes.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c jit=off -c random_page_cost=1.1 -c work_mem=32MB"},
                                               **config["SQLALCHEMY_ENGINE_OPTIONS"]}
    _check_env_name(config["ENV_NAME"])
    config["TRUSTED_PROXIES"] = _whole_number(config, "TRUSTED_PROXIES", low=0, high=10)
    config["MAIL_TIMEOUT"] = _whole_number(config, "MAIL_TIMEOUT", low=1, high=300)
    config["MAIL_RETRY_DELAYS"] = _delays(config["MAIL_RETRY_DELAYS"])
    hours = _whole_number(config, "SESSION_LIFETIME_HOURS", low=1, high=24 * 90)
    config["SESSION_LIFETIME_HOURS"] = hours
    # A session lasts this long from log-in (see the user loader); the cookie and remember-me expire with it.
    config["PERMANENT_SESSION_LIFETIME"] = config["REMEMBER_COOKIE_DURATION"] = timedelta(hours=hours)
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


def _delays(value) -> tuple[int, ...]:
    """Read MAIL_RETRY_DELAYS: whole seconds separated by commas (or a tuple of them), each 1 to 86400."""
    parts = value if isinstance(value, (tuple, list)) else str(value).split(",")
    try:
        delays = tuple(int(str(part).strip()) for part in parts if str(part).strip())
    except ValueError:
        delays = ()
    if not delays or not all(1 <= delay <= 86400 for delay in delays):
        raise ConfigError(f"MAIL_RETRY_DELAYS is {value!r}; it must be whole seconds from 1 to 86400, "
                          "separated by commas, e.g. 60,300,1800,7200.")
    return delays


def _check_env_name(name) -> None:
    """Refuse any environment name but the known ones: an unknown name must not start with the built-in key."""
    if name not in ENV_NAMES:
        raise ConfigError(f"RECIPROCATE_ENV is {name!r}; it must be exactly one of: {', '.join(ENV_NAMES)}.")


def _whole_number(config: dict, name: str, low: int, high: int) -> int:
    """Return a setting read as a whole number within [low, high], or raise ConfigError."""
    value = config[name]
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ConfigError(f"{name} is {value!r}; it must be a whole number from {low} to {high}.")
    if not low <= number <= high:
        raise ConfigError(f"{name} is {number}; it must be a whole number from {low} to {high}.")
    return number


def _check_production(config: dict) -> None:
    """Refuse to run in production with a missing, default or short secret key, or without BASE_URL."""
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise ConfigError(
            "RECIPROCATE_ENV=production needs SECRET_KEY set to a random value of at least "
            "32 characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    base = config.get("BASE_URL") or ""
    if not base.startswith(("https://", "http://")) or "/" in base.split("://", 1)[1]:
        raise ConfigError(
            "RECIPROCATE_ENV=production needs BASE_URL: the public address printed in every QR code, "
            "e.g. BASE_URL=https://vouchers.example.com (scheme and host, no path)"
        )
