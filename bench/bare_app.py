"""Baselines for bench/redeem.py: one indexed UPDATE, on the app's own stack and on plain Flask.

- create_app_with_bare(): the app itself (same middleware, token check, pool, gunicorn) with one more
  route that only runs the UPDATE. The issue's goal compares against this.
- create_bare_app(): a plain Flask app with just the UPDATE: the floor, shown for scale.
"""
import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

UPDATE = text("UPDATE voucher SET redeemed_at = now() WHERE code = :code AND redeemed_at IS NULL "
              "AND void_at IS NULL RETURNING id, redeemed_at")


def _answer(row, code):
    if row is None:
        return jsonify(error={"code": "already_redeemed"}), 409
    return jsonify(code=code, redeemed_at=row.redeemed_at.isoformat()), 201


def create_app_with_bare() -> Flask:
    """Return the real app plus POST /api/v1/bench-bare: token-checked, one UPDATE, nothing else."""
    from app import create_app
    from campaigns.extensions import db
    from campaigns.web.access import requires

    app = create_app()

    @requires("staff")
    def bare_redemption():
        code = (request.get_json(silent=True) or {}).get("code", "")
        row = db.session.execute(UPDATE, {"code": code}).first()
        db.session.commit()
        return _answer(row, code)

    app.add_url_rule("/api/v1/bench-bare", "bench_bare", bare_redemption, methods=["POST"])
    app.extensions["csrf"].exempt(bare_redemption)
    return app


def create_bare_app() -> Flask:
    """Return a plain Flask app with one endpoint that redeems by a single conditional UPDATE."""
    app = Flask(__name__)
    engine = create_engine(os.environ["DATABASE_URL"], pool_size=8)

    @app.post("/bare/redemptions")
    def redeem():
        code = (request.get_json(silent=True) or {}).get("code", "")
        with engine.begin() as conn:
            row = conn.execute(UPDATE, {"code": code}).first()
        return _answer(row, code)

    return app
