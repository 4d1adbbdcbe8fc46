"""`flask --app app …` commands: tokens, users, demo data, importing point-of-sale files, and the job queue's
consumer."""
import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from campaigns import demo
from campaigns.accounts import tokens
from campaigns.accounts import users as accounts
from campaigns.accounts.business import get_settings
from campaigns.core import words
from campaigns.core.errors import DomainError
from campaigns.extensions import db
from campaigns.jobs.queue import queue_of, task_named
from campaigns.mail.feedback_invites import queue_feedback_invites
from campaigns.models import ROLES
from campaigns.reports import attribution_store
from campaigns.sales import import_files, import_mapping, import_runs, import_warnings
from campaigns.sales import pos as imports


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


SHORT_SOURCES = {"square": "square_transactions", "shopify": "shopify_orders"}


@click.command("import-purchases")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--source", type=click.Choice([*imports.SOURCES, *SHORT_SOURCES]),
              help="The kind of file (default: found from its headers). square: a Square export "
                   "(transactions, items or customers, by its headers); shopify: Shopify's orders export.")
def import_purchases_command(file, source: str | None):
    """Import purchases (or Square's customer directory) from a point-of-sale CSV file, in chunks."""
    try:
        record = import_files.upload(file.name, file.read(), None)
        import_mapping.confirm_proposed(record, _chosen_source(source, record.source))
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(" ".join(error.details.get("fields", {}).values()) or error.message) from None
    db.session.commit()
    click.echo(f"Importing {record.total_rows:,} rows of {record.filename} as {imports.SOURCES[record.source]}.")
    for progress in import_runs.run_all(record):
        db.session.commit()
        click.echo(f"  {progress['done_rows']:,} / {progress['total_rows']:,} rows: {progress['created']:,} added, "
                   f"{progress['duplicates']:,} already there, {progress['failed']:,} refused")
        for problem in progress["problems"]:
            click.echo(f"  line {problem['line']}: {problem['reason']}")
    click.echo(f"Done: {record.created:,} added, {record.duplicates:,} already there, {record.failed:,} refused.")
    for warning in import_warnings.findings(record).warnings:
        click.echo(f"Note: {warning}")


def _chosen_source(given: str | None, detected: str) -> str:
    """The full kind of file for what was given on the command line (square: the Square kind detected)."""
    if given == "square" and detected.startswith("square_"):
        return detected
    return SHORT_SOURCES.get(given, given) or detected


@click.command("send-feedback-invites")
@with_appcontext
def send_feedback_invites_command():
    """Queue the feedback e-mails that are due (the queue's periodic task does this each minute by itself)."""
    settings = get_settings()
    queued = queue_feedback_invites(settings.business_name, language=words.customer_language(settings))
    db.session.commit()  # the deliveries are enqueued now; `flask run-queue` sends them
    click.echo(f"Queued {queued} feedback e-mail(s).")


@click.command("run-queue")
@with_appcontext
@click.option("--workers", default=2, show_default=True, help="Tasks run at once (threads).")
def run_queue_command(workers: int):
    """Run the job queue's consumer: e-mails, retries and the periodic tasks; Ctrl+C or SIGTERM stops it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s queue %(levelname)s %(message)s")
    huey = queue_of()
    if huey.immediate:
        raise click.ClickException("QUEUE_URL=immediate runs tasks where they are queued: there is nothing to consume.")
    poll = float(current_app.config.get("QUEUE_POLL_SECONDS") or 1)
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, initial_delay=min(0.1, poll),
                                    backoff=1.5, max_delay=poll, scheduler_interval=1, check_worker_health=True)
    task_named("sweep_deliveries")(0)  # what a consumer killed mid-task left queued is queued again (sent once)
    click.echo(f"Job queue consumer on {huey.storage.__class__.__name__} with {workers} worker(s); Ctrl+C stops it.")
    consumer.run()


@click.command("refresh-attribution")
@with_appcontext
@click.option("--rebuild", is_flag=True, help="Recompute every customer's attribution from scratch.")
def refresh_attribution_command(rebuild: bool):
    """Bring the stored attribution up to date now (reports and the queue's periodic task do it by themselves)."""
    done = attribution_store.rebuild() if rebuild else attribution_store.refresh()
    if done is None:
        raise click.ClickException("Another refresh is running: try again in a moment.")
    click.echo(f"Attribution refreshed for {done} customer(s).")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (create_token_command, create_user_command, seed_demo_command, import_purchases_command,
                    send_feedback_invites_command, run_queue_command, refresh_attribution_command):
        app.cli.add_command(command)
