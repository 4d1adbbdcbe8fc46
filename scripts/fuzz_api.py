"""Fuzz the served JSON API with schemathesis against its own /api/v1/openapi.json, bounded in time.

    .venv/bin/python scripts/fuzz_api.py [--database-url URL] [--max-time SECONDS] [--max-examples N]

Builds a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server of
TEST_DATABASE_URL), an owner token, a campaign with vouchers, and serves the app on a free loopback port with
the rate limits raised. Then runs schemathesis with the checks that say the document tells the truth: no
server error, no status it does not list, responses and headers as documented, schema-breaking requests
refused, 405 with Allow, and no schema-valid request refused as malformed (400). Prints the figures and exits
with schemathesis's exit code.
"""
import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from campaigns.accounts import tokens  # noqa: E402
from campaigns.extensions import db  # noqa: E402
from campaigns.giving import designs as campaign  # noqa: E402
from campaigns.giving import vouchers

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,negative_data_rejection,positive_data_acceptance,unsupported_method,"
          "allow_header_conformance,missing_required_header,ignored_auth")


def _fresh_postgres(url: str) -> tuple[str, callable]:
    """Create an empty database next to the one in `url`; return its URL and how to drop it."""
    name = f"reciprocate_fuzz_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def _prepare(url: str):
    """Return the app on a fresh schema with an owner token and a campaign with a few vouchers."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENV_NAME": "test", "SECRET_KEY": "fuzz-" + uuid.uuid4().hex,
                      "BASE_URL": "http://127.0.0.1", "REDEEM_FAILURE_LIMIT": "100000 per minute",
                      "LOGIN_RATE_LIMIT": "100000 per minute", "CLAIM_RATE_LIMIT": "100000 per minute",
                      # a queue of its own that nothing consumes: never the developer's instance/queue.db
                      "QUEUE_URL": f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='fuzz-queue-'), 'queue.db')}"})
    with app.app_context():
        upgrade()
        _token, secret = tokens.create_token("fuzz", "owner")
        made = campaign.create_campaign(campaign.CampaignDesign(name="Fuzz", unit_cost=1))
        campaign.set_status(made, "active")
        vouchers.issue_batch(made, 5, "fuzz")
        db.session.commit()
    return app, secret


def main() -> int:
    """Serve the app, run schemathesis against it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--max-time", type=int, default=int(os.environ.get("FUZZ_MAX_TIME", "30")))
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "60")))
    args = parser.parse_args()
    cleanup, workdir = None, tempfile.mkdtemp(prefix="reciprocate-fuzz-")
    url = args.database_url or f"sqlite:///{workdir}/fuzz.db"
    if url.startswith("postgresql"):
        url, cleanup = _fresh_postgres(url)
    app, secret = _prepare(url)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request would bury the figures
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    print(f"Fuzzing {base}/api/v1/openapi.json on {make_url(url).get_backend_name()} "
          f"(at most {args.max_time} s, {args.max_examples} examples per operation)", flush=True)
    try:
        result = subprocess.run(
            [str(ROOT / ".venv/bin/st"), "--config-file", str(ROOT / "schemathesis.toml"), "run",
             f"{base}/api/v1/openapi.json", "--checks", CHECKS, "--max-time", str(args.max_time),
             "--max-examples", str(args.max_examples), "--header", f"Authorization: Bearer {secret}",
             "--workers", "1", "--seed", os.environ.get("FUZZ_SEED", "20261123"), "--no-color"],
            cwd=workdir, capture_output=True, text=True)
        output = result.stdout + result.stderr
        print(output)
        tested = re.search(r"Tested: (\d+)", output)
        cases = re.search(r"Test cases:\s*\n\s*(.+)", output)
        print(f"Schemathesis figures: operations tested {tested.group(1) if tested else '?'}; "
              f"test cases {cases.group(1).strip() if cases else '?'}; exit code {result.returncode}")
        return result.returncode
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
        if cleanup:
            cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
