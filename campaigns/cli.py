"""`flask --app app …` commands: tokens, users and demo data."""
import click
from flask import Flask
from flask.cli import with_appcontext

from . import accounts, demo, tokens
from .errors import DomainError
from .extensions import db
from .models import ROLES


def _fail(error: DomainError):
    db.session.rollback()
    fields = error.details.get("fields")
    raise click.ClickException(error.message + (f" ({fields})" if fields else ""))


@click.command("create-token")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the token may do.")
def create_token_command(name: str, role: str):
    """Make an API token; its secret is printed as the last line and never shown again."""
    try:
        token, secret = tokens.create_token(name, role)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Token {token.name!r} (id {token.id}) acts as {token.role}. Keep it secret; it is not stored:")
    click.echo(secret)


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="", help="Display name (default: the part of the e-mail before @).")
@click.password_option(help="At least 12 characters, hard to guess, without the e-mail; asked for when not given.")
def create_user_command(email: str, role: str, name: str, password: str):
    """Create a user who can log in."""
    try:
        user = accounts.create_user(email, name, role, password)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--seed", default=7, show_default=True, help="Random seed, for the same demo every time.")
def seed_demo_command(if_empty: bool, seed: int):
    """Fill the database with a believable café's campaigns, vouchers, customers and purchases."""
    if accounts.user_count() > 0:
        if if_empty:
            click.echo("The database already has users; no demo data added.")
            click.echo(demo.describe_logins())
            return
        raise click.ClickException("The database already has users: seed-demo fills only an empty database.")
    summary = demo.seed(seed=seed)
    db.session.commit()
    click.echo(demo.describe(summary))


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (create_token_command, create_user_command, seed_demo_command):
        app.cli.add_command(command)
