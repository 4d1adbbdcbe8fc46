"""The fault test of issue 30: a PostgreSQL server of this test's own is stopped in the middle of a burst of
redemptions and purchases and started again. Every answer in between is a success that really happened or a 503
`unavailable` with Retry-After; nothing is half-written; and the app, never restarted, serves again once the
database is back (its pool checks connections before use)."""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from campaigns.accounts import tokens
from campaigns.extensions import db
from campaigns.giving import designs
from campaigns.giving.vouchers import issue_batch
from campaigns.models import Purchase, Redemption, Voucher
from tests.conftest import app_config, free_port, missing
from tests.designs import design

CODES, PURCHASES, THREADS = 60, 60, 6


class OwnPostgres:
    """A throw-away PostgreSQL cluster on a free port, run as the postgres user when we are root."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            missing("PostgreSQL binaries (pg_ctl)", "REQUIRE_POSTGRES")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="reciprocate-fault-")
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(f"'{self.bin}/initdb' -D '{self.dir}/data' -U postgres --auth=trust >/dev/null")
        for attempt in range(5):  # a free port can be taken between the look and the bind (other tests run too)
            self.port = free_port()
            if self.start(give_up=attempt == 4):
                break

    def _run(self, command: str) -> None:
        argv = ["su", "postgres", "-s", "/bin/bash", "-c", command] if os.getuid() == 0 else ["bash", "-c", command]
        subprocess.run(argv, check=True, timeout=60)

    def start(self, give_up: bool = True) -> bool:
        """Start the server on its port; tell whether it did (False: the port was taken, and not `give_up`)."""
        try:
            self._run(f"'{self.bin}/pg_ctl' -D '{self.dir}/data' -l '{self.dir}/log' -w -o \"-p {self.port} "
                      f"-k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null")
        except subprocess.CalledProcessError:
            with open(f"{self.dir}/log") as log:
                said = log.read()
            if not give_up and "Address already in use" in said:
                return False
            pytest.fail("PostgreSQL did not start: " + said[-1500:])
        return True

    def stop(self) -> None:
        self._run(f"'{self.bin}/pg_ctl' -D '{self.dir}/data' -m fast -w stop >/dev/null")

    def remove(self) -> None:
        try:
            self._run(f"'{self.bin}/pg_ctl' -D '{self.dir}/data' -m immediate stop >/dev/null 2>&1 || true")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def server():
    """Our own PostgreSQL, migrated, with an active campaign's vouchers and a staff token; the app served."""
    postgres = OwnPostgres()
    try:
        app = create_app(app_config(postgres.url))
        with app.app_context():
            upgrade()
            campaign = designs.create_campaign(design({"name": "Free latte", "unit_cost": "0.85"}))
            designs.set_status(campaign, "active")
            codes = issue_batch(campaign, CODES, "flyer")
            _, secret = tokens.create_token("till", "staff")
            db.session.commit()
        http = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=http.serve_forever, daemon=True).start()
        yield postgres, app, f"http://127.0.0.1:{http.server_port}", secret, codes
        http.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        postgres.remove()


def _post(base: str, secret: str, path: str, body: dict) -> tuple[int, dict, str | None]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers.get("Retry-After")


def test_a_database_stopped_mid_burst_gives_503s_or_real_successes_and_the_app_recovers(server):
    postgres, app, base, secret, codes = server
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    jobs = [("/api/v1/redemptions", {"code": code}) for code in codes]
    jobs += [("/api/v1/purchases", {"external_id": f"till-{n}", "amount": "4.50", "occurred_at": when})
             for n in range(PURCHASES)]
    jobs = [job for pair in zip(jobs[:CODES], jobs[CODES:], strict=True) for job in pair]  # both kinds throughout

    def paced(job):
        time.sleep(0.05)  # a busy counter, not a flood: the burst spans the database's restart
        return job, _post(base, secret, *job)

    restarted = threading.Event()

    def restart():
        time.sleep(0.6)
        postgres.stop()
        time.sleep(1.5)
        postgres.start()
        restarted.set()

    threading.Thread(target=restart, daemon=True).start()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(paced, jobs))
    assert restarted.wait(60)
    statuses = [status for _, (status, _, _) in answers]
    assert set(statuses) <= {200, 201, 503}, [a for a in answers if a[1][0] not in (200, 201, 503)][:3]
    assert 503 in statuses and 201 in statuses  # the burst did span the outage
    assert all(retry and int(retry) > 0 for _, (status, _, retry) in answers if status == 503)

    # The app was never restarted: everything refused is now taken, once.
    for job, (status, _, _) in answers:
        if status == 503:
            again = _post(base, secret, *job)[0]
            assert again in (200, 201) or (again == 409 and job[0].endswith("redemptions")), (job, again)
    with app.app_context():
        redeemed = db.session.scalar(select(func.count()).where(Voucher.redeemed_at.is_not(None)))
        live = db.session.scalar(select(func.count()).where(Redemption.undone_at.is_(None)))
        stored = db.session.scalar(select(func.count(Purchase.external_id.distinct())))
        rows = db.session.scalar(select(func.count()).select_from(Purchase))
        db.session.remove()
    assert (redeemed, live) == (CODES, CODES)  # every code redeemed once, a redemption row for each: no half
    assert (stored, rows) == (PURCHASES, PURCHASES)  # every purchase stored exactly once
