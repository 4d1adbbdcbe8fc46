"""Reciprocate's application factory: `flask --app app …` finds create_app here."""
import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app: load config, bind extensions, register blueprints, CLI and error handlers."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    from campaigns.config import load_config

    app.config.update(load_config(app.instance_path, config))
    trusted = app.config["TRUSTED_PROXIES"]
    if trusted:  # behind a TLS proxy: read the client's address and scheme from the headers it sets
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)

    from campaigns import cli
    from campaigns.extensions import csrf, db, limiter, login_manager, mail, migrate, sqlite_transactions
    from campaigns.jobs import after_commit
    from campaigns.jobs import queue as job_queue
    from campaigns.mail import delivery_tasks
    from campaigns.reports import attribution_store
    from campaigns.web import access, guessing, register_blueprints, request_ids, transaction
    from campaigns.web import error_responses as errors
    from campaigns.web.api import bp as api_bp
    from campaigns.web.auth import redirect_to_setup
    from campaigns.web.languages import init_app as init_languages
    from campaigns.web.layout import init_app as init_layout
    from campaigns.web.security import init_app as init_security

    request_ids.init_app(app)  # first: every later hook and log line knows the request's id
    db.init_app(app)
    with app.app_context():
        sqlite_transactions(db.engine)  # a rolled-back request undoes its savepoints on SQLite too
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    init_security(app)
    app.before_request(redirect_to_setup)  # first run: every page leads to creating the owner
    access.init_app(app)  # before CSRF, so a role that may not post gets 403 whatever it sent
    csrf.init_app(app)
    csrf.exempt(api_bp)
    limiter.init_app(app)
    guessing.init_app(app)  # the failed-redemption limits, in the limiter's storage
    mail.init_app(app)
    job_queue.init_app(app)  # Huey: SQLite in the instance folder, or QUEUE_URL's Redis
    after_commit.init_app()  # work is enqueued only when the transaction that asked for it commits
    delivery_tasks.init_app(app)  # the e-mail tasks `flask run-queue` runs
    attribution_store.init_app(app)  # the stored attribution refreshed each minute
    register_blueprints(app)
    init_layout(app)
    init_languages(app)  # customers' pages in their language; staff pages in English
    errors.init_app(app)
    transaction.init_app(app)  # the request's one commit, or its rollback
    cli.init_app(app)
    return app
