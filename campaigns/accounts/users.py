"""Users: create, authenticate, change role or password, deactivate, end sessions."""
import re
from datetime import datetime

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from campaigns.accounts.business import get_settings
from campaigns.core import audit
from campaigns.core.addresses import normalise_email
from campaigns.core.errors import AccountError, ValidationError
from campaigns.core.locks import lock_rows
from campaigns.extensions import db
from campaigns.models import ROLES, User, utcnow

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable", about 10^10 guesses
# zxcvbn's time grows fast with length; a password whose first 100 characters are strong is strong.
_SCORED_LENGTH = 100
# Compared against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Werkzeug's default, scrypt: a tenth of a second per hash, on purpose. The test suite, which makes and signs in
# thousands of users, lowers it (tests/conftest.py) and checks once that the app's own choice is scrypt.
PASSWORD_METHOD = "scrypt"


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError({"role": f"Role must be one of {', '.join(ROLES)}."})
    return role


def _check_password(password: str, email: str, name: str = "") -> None:
    """Refuse a password that is short, contains the e-mail's local part, or that zxcvbn calls weak."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": f"Use at least {MIN_PASSWORD_LENGTH} characters."})
    local_part = email.split("@")[0].casefold()
    if len(local_part) >= 3 and local_part in password.casefold():
        raise ValidationError({"password": "Do not put your e-mail address in the password: choose another."})
    words = [word for word in re.split(r"[\W_]+", f"{local_part} {name}".casefold()) if word]
    verdict = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[email, local_part, name, *words])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        advice = [verdict["feedback"]["warning"], *verdict["feedback"]["suggestions"]]
        hint = " ".join(part for part in advice if part) or "Add another word or two. Uncommon words are better."
        raise ValidationError({"password": f"This password is too easy to guess. {hint}"})


def user_count() -> int:
    """Return how many user accounts exist."""
    return db.session.scalar(select(func.count()).select_from(User))


def create_user(email: str, name: str, role: str, password: str, by_user_id: int | None = None) -> User:
    """Create a user with a hashed password (audited as added by `by_user_id`); raise if the e-mail is taken or
    input is wrong."""
    email = normalise_email(email)
    _check_role(role)
    name = (name or "").strip() or email.split("@")[0]
    _check_password(password, email, name)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError("email_taken", f"There is already a user with the e-mail {email}.",
                           {"fields": {"email": "already in use"}})
    user = User(email=email, name=name[:120], role=role,
                password_hash=generate_password_hash(password, method=PASSWORD_METHOD))
    db.session.add(user)
    db.session.flush()
    audit.record("user_create", "created", user_id=by_user_id, subject=("user", user.id),
                 details={"name": user.name, "email": email, "role": role})
    return user


def create_first_owner(email: str, name: str, password: str, business_name: str | None = None) -> User:
    """Create the owner account on first run (naming the business); refuse once any user exists."""
    if user_count() > 0:
        raise AccountError("already_set_up", "This installation already has an owner.")
    if business_name and business_name.strip():
        get_settings().business_name = business_name.strip()[:120]
    return create_user(email, name, "owner", password)


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """Return the active user with these credentials, or None."""
    try:
        email = normalise_email(email)
    except ValidationError:
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = now or utcnow()
    return user


def _lock_owners(user: User) -> None:
    """Lock the active owners' rows and this user's (in id order; SQLite: the write lock) and read them afresh,
    so two owners demoting each other at once take turns and the second finds it would leave no owner."""
    owners = db.session.scalars(select(User.id).where(User.role == "owner", User.active.is_(True))).all()
    lock_rows(User, [*owners, user.id])


def _active_owners_besides(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == "owner", User.active.is_(True), User.id != user.id)
    )


def update_user(user: User, *, role: str, active: bool, name: str | None = None,
                by_user_id: int | None = None) -> User:
    """Change a user's role, name or active flag, keeping at least one active owner; audit each change."""
    _check_role(role)
    _lock_owners(user)
    losing_owner = user.role == "owner" and (role != "owner" or not active)
    if losing_owner and _active_owners_besides(user) == 0:
        raise AccountError("last_owner", "Keep at least one active owner: make another user owner first.")
    if (role, active) != (user.role, user.active):
        user.session_version += 1  # whoever was signed in as this user must sign in again under the new rule
    name = name.strip()[:120] if name is not None and name.strip() else user.name
    _audit_update(user, role, active, name, by_user_id)
    user.role, user.active, user.name = role, active, name
    db.session.flush()
    return user


def _audit_update(user: User, role: str, active: bool, name: str, by_user_id: int | None) -> None:
    """Write down each change update_user is about to make: role, active flag, name."""
    subject = ("user", user.id)
    if role != user.role:
        audit.record("user_role", "changed", user_id=by_user_id, subject=subject,
                     details={"changes": {"role": [user.role, role]}})
    if active != user.active:
        audit.record("user_active", "reactivated" if active else "deactivated", user_id=by_user_id, subject=subject)
    if name != user.name:
        audit.record("user_rename", "renamed", user_id=by_user_id, subject=subject,
                     details={"changes": {"name": [user.name, name]}})


def set_password(user: User, password: str, by_user_id: int | None = None) -> None:
    """Replace a user's password and end every session signed in with the old one; audited as a reset when
    someone else (`by_user_id`) set it."""
    _check_password(password, user.email, user.name)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    end_sessions(user)
    audit.record("user_password", "changed" if by_user_id == user.id else "reset", user_id=by_user_id,
                 subject=("user", user.id))


def change_own_password(user: User, current_password: str, password: str) -> None:
    """Replace a user's password when they know the current one; end every session signed in with the old one."""
    if not check_password_hash(user.password_hash, current_password or ""):
        raise ValidationError({"current_password": "That is not your current password."})
    set_password(user, password, by_user_id=user.id)


def end_sessions(user: User) -> None:
    """End every session of this user, wherever it was signed in."""
    user.session_version += 1
    db.session.flush()
