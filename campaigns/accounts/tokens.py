"""API tokens: made by an owner, stored only as a hash, revocable, each acting with a role."""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from campaigns.core import audit, cache
from campaigns.core.errors import NotFound, ValidationError
from campaigns.extensions import db
from campaigns.models import ROLES, ApiToken, utcnow

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
    audit.record("token_create", "created", user_id=created_by_id, subject=("token", token.id),
                 details={"name": name, "role": role, "prefix": token.prefix})
    return token, secret


_TOKENS = ApiToken.__table__


TOKEN_CACHE_SECONDS = 5.0
USE_GRANULARITY = timedelta(minutes=1)  # a token's last use is written down at most this often
AUDITED_USE = timedelta(hours=1)  # a token's use goes to the audit log when it was not used for this long


def find_token(secret: str):
    """Return the live token with this secret as a row (id, name, role, last_used_at, token_hash), or None.

    It runs on every API call, so each process remembers a good token for a few seconds: revoking it
    takes effect at once in this process and within TOKEN_CACHE_SECONDS in the others.
    """
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(secret)
    return cache.remember(("token", digest), TOKEN_CACHE_SECONDS, lambda: _load_token(digest))


def _load_token(digest: str):
    return db.session.execute(select(_TOKENS.c.id, _TOKENS.c.name, _TOKENS.c.role, _TOKENS.c.last_used_at,
                                     _TOKENS.c.token_hash)
                              .where(_TOKENS.c.token_hash == digest, _TOKENS.c.revoked_at.is_(None))).first()


def use_is_news(token, now: datetime | None = None) -> bool:
    """Tell whether a use of this token is worth writing down (its last use is unknown or over a minute old)."""
    return token.last_used_at is None or (now or utcnow()) - token.last_used_at > USE_GRANULARITY


def mark_used(token, now: datetime | None = None, request_line: str = "", ip_address: str | None = None) -> None:
    """Write down that a token was used now (at most once a minute); its own write, whatever the request did.
    The first use after an hour without one also goes to the audit log, with the request that used it."""
    now = now or utcnow()
    if _touch(token, now, AUDITED_USE):  # one request wins the hour's entry: the update says which
        audit.record("token_use", "used", token_id=token.id, subject=("token", token.id), ip_address=ip_address,
                     details={"request": request_line[:200]}, now=now)
    else:
        _touch(token, now, USE_GRANULARITY)
    cache.forget(("token", token.token_hash))


def _touch(token, now: datetime, older_than: timedelta) -> bool:
    """Set the token's last use to now when it is unknown or older than `older_than`; tell whether it was."""
    stale = or_(_TOKENS.c.last_used_at.is_(None), _TOKENS.c.last_used_at < now - older_than)
    return db.session.execute(update(_TOKENS).where(_TOKENS.c.id == token.id, stale)
                              .values(last_used_at=now)).rowcount == 1


def revoke_token(token_id: int, now: datetime | None = None, by_user_id: int | None = None) -> ApiToken:
    """Revoke a token so it no longer authenticates (audited as done by `by_user_id`)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("unknown_token", "There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        audit.record("token_revoke", "revoked", user_id=by_user_id, subject=("token", token.id),
                     details={"name": token.name}, now=token.revoked_at)
    db.session.flush()
    cache.forget(("token", token.token_hash))
    return token


def list_tokens() -> list[ApiToken]:
    """Return every token, newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
