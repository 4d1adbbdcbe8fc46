"""User accounts at the service level: one rule per test, asserting the error code."""
import pytest

from campaigns.accounts import users as accounts
from campaigns.core.errors import AccountError, ValidationError
from campaigns.models import User
from campaigns.web.error_responses import status_of


def test_create_user_normalises_email_and_hashes_password(ctx):
    user = accounts.create_user("  Ana@Example.COM ", "Ana", "staff", "long enough pw")
    assert user.email == "ana@example.com"
    assert user.password_hash != "long enough pw"
    assert accounts.authenticate("ANA@example.com", "long enough pw") == user


def test_email_taken(ctx):
    accounts.create_user("ana@example.com", "Ana", "staff", "long enough pw")
    with pytest.raises(AccountError) as error:
        accounts.create_user("ANA@example.com", "Other", "owner", "long enough pw")
    assert error.value.code == "email_taken" and status_of(error.value) == 409


@pytest.mark.parametrize("email, role, password, field", [
    ("nope", "staff", "long enough pw", "email"),
    ("a@example.com", "admin", "long enough pw", "role"),
    ("a@example.com", "staff", "short", "password"),
])
def test_bad_input_names_the_field(ctx, email, role, password, field):
    with pytest.raises(ValidationError) as error:
        accounts.create_user(email, "A", role, password)
    assert error.value.code == "invalid_input" and field in error.value.details["fields"]
    assert accounts.user_count() == 0


def test_first_owner_only_once(ctx):
    accounts.create_first_owner("o@example.com", "O", "long enough pw")
    with pytest.raises(AccountError) as error:
        accounts.create_first_owner("p@example.com", "P", "long enough pw")
    assert error.value.code == "already_set_up"


def test_the_last_active_owner_cannot_step_down_or_be_deactivated(ctx):
    owner = accounts.create_user("o@example.com", "O", "owner", "long enough pw")
    for change in ({"role": "staff", "active": True}, {"role": "owner", "active": False}):
        with pytest.raises(AccountError) as error:
            accounts.update_user(owner, **change)
        assert error.value.code == "last_owner"
    second = accounts.create_user("p@example.com", "P", "owner", "long enough pw")
    accounts.update_user(owner, role="marketer", active=True)
    assert (owner.role, second.role) == ("marketer", "owner")


def test_inactive_user_does_not_authenticate(ctx):
    user = accounts.create_user("s@example.com", "S", "staff", "long enough pw")
    accounts.update_user(user, role="staff", active=False)
    assert accounts.authenticate("s@example.com", "long enough pw") is None
    assert isinstance(user, User) and not user.is_active
