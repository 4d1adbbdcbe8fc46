"""API tokens: made by an owner, stored only as a hash, revocable, each acting with a role."""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from .errors import NotFound, ValidationError
from .extensions import db
from .models import ROLES, ApiToken, utcnow

TOKEN_PREFIX = "rcp_"


def _digest(token: str) -> str:
    # A token carries 256 random bits, so one SHA-256 is enough: no salt or slow hash is needed.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, role: str, created_by_id: int | None = None) -> tuple[ApiToken, str]:
    """Make a token; return its row and the secret, which is shown once and never stored."""
    name = (name or "").strip()
    errors = {}
    if not 1 <= len(name) <= 120:
        errors["name"] = "Give the token a name of 1 to 120 characters."
    if role not in ROLES:
        errors["role"] = f"Role must be one of {', '.join(ROLES)}."
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=_digest(secret), prefix=secret[:10],
                     created_by_id=created_by_id)
    db.session.add(token)
    db.session.flush()
    return token, secret


def find_token(secret: str, now: datetime | None = None) -> ApiToken | None:
    """Return the live token with this secret (marking it used), or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    now = now or utcnow()
    # Written at most once a minute, so busy API clients do not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token


def revoke_token(token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token so it no longer authenticates."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("unknown_token", "There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    db.session.flush()
    return token


def list_tokens() -> list[ApiToken]:
    """Return every token, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
